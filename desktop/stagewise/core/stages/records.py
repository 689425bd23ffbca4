"""Stage records, the stage timeline and intervention decisions, for one client and focus.

A stage record is a decision: what an instrument proposed (if anything), what the clinician chose, why
they differ, who and when.  The basis is derived, never chosen:

* stage None → ``not_staged`` ("not staged for now": acute crisis, detoxification, a very short stay;
  a reason is required, and reassessment reminders pause until the focus is staged again);
* no proposal → ``clinical_judgement`` (the clinician's own assessment, no instrument);
* proposal equal to the stage → ``instrument``;
* proposal different from the stage → ``override`` (a reason is required).

Moving back a stage is ordinary: it is recorded like any other stage, never refused, never a warning.
The timeline marks it as recycling.  A stage is a snapshot for one behaviour, not an identity.

Records are immutable (triggers in ``ddl.py``): a correction is a new record.  For display, the later of
two records on the same day is read as a correction of the earlier one: :attr:`StageRecordInfo.direction`
compares a record with the latest staged record of an EARLIER day, so the timeline does not draw a
same-day correction as recycling.  The dashboard figures follow issue #5's record-by-record definitions
instead (``docs/metrics.md``), where a same-day change is a stage change like any other.

Every function takes the caller's session (one user action = one transaction) and returns frozen
dataclasses; data-changing ones write their audit event in the same session.  Logs carry ids only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ImportValidationError, NotFoundError, UserInputError, shorten
from stagewise.core.gc_pause import gc_paused
from stagewise.core.models import (
    Administration,
    Client,
    ClientStatus,
    DecisionKind,
    Focus,
    InterventionDecision,
    Stage,
    StageBasis,
    StageRecord,
    User,
    iso_utc,
    parse_utc,
    utcnow,
)
from stagewise.core.stages.interventions import (
    InterventionEntry,
    InterventionLibrary,
    InterventionModel,
)
from stagewise.core.stages.metrics import MetricRecord, direction as _direction
from stagewise.core.users import people

log = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_TITLE = 200
OVERRIDE_REASON_MESSAGE = "A reason is required when your stage differs from the proposed one."
PAUSE_REASON_MESSAGE = (
    "A reason is required to mark a focus as not staged for now (for example acute crisis, "
    "detoxification or a very short stay)."
)


# --------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class StageRecordInfo:
    """One stage record.

    Attributes:
        proposed: the stage an administration proposed, or None.
        stage: the clinician's stage; None = not staged for now.
        basis: how the stage was reached (derived from ``proposed`` and ``stage``).
        is_override: the clinician's stage differs from a proposed one.
        direction: ``"forward"``, ``"backward"`` (recycling) or ``"same"`` relative to the latest staged
            record of an earlier day; None for the first staged record and for "not staged" records.
    """

    id: int
    client_id: int
    focus_id: int
    focus_key: str
    proposed: Stage | None
    stage: Stage | None
    basis: StageBasis
    reason: str | None
    administration_id: int | None
    by_user_id: int | None
    by_username: str | None
    by_name: str | None  # the person, as shown (``users.person_label``)
    recorded_at: dt.datetime
    effective: dt.date
    is_override: bool
    direction: str | None

    @property
    def is_recycling(self) -> bool:
        """A move back a stage (ordinary in recovery)."""
        return self.direction == "backward"

    @property
    def not_staged(self) -> bool:
        return self.stage is None


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """A record on the timeline, with its markers."""

    record: StageRecordInfo
    superseded: bool  # a later record the same day replaced it (a same-day correction)

    @property
    def effective(self) -> dt.date:
        return self.record.effective

    @property
    def stage(self) -> Stage | None:
        return self.record.stage

    @property
    def basis(self) -> StageBasis:
        return self.record.basis

    @property
    def is_override(self) -> bool:
        return self.record.is_override

    @property
    def is_recycling(self) -> bool:
        return self.record.is_recycling


@dataclass(frozen=True, slots=True)
class TimelineSegment:
    """A span with one stage (or not staged), from ``start`` up to (not including) ``end``."""

    start: dt.date
    end: dt.date
    stage: Stage | None
    record_ids: tuple[int, ...]  # the records that make up the span (reassessments confirming it)
    open_ended: bool  # the current span: it ends at the timeline's ``until`` date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def not_staged(self) -> bool:
        return self.stage is None


@dataclass(frozen=True, slots=True)
class Timeline:
    """A focus's stage history for drawing: points (every record) and segments (spans between them).

    Consecutive records with the same stage form one segment; a same-day correction leaves a point
    (``superseded``) but no segment.  The last segment is open-ended up to ``until``.
    """

    focus_id: int
    until: dt.date
    points: tuple[TimelinePoint, ...]
    segments: tuple[TimelineSegment, ...]

    @property
    def not_staged_spans(self) -> tuple[TimelineSegment, ...]:
        return tuple(s for s in self.segments if s.not_staged)

    @property
    def recycling_points(self) -> tuple[TimelinePoint, ...]:
        return tuple(p for p in self.points if p.is_recycling and not p.superseded)

    @property
    def override_points(self) -> tuple[TimelinePoint, ...]:
        return tuple(p for p in self.points if p.is_override)


@dataclass(frozen=True, slots=True)
class DecisionInfo:
    """A clinician's decision about an intervention for a focus."""

    id: int
    client_id: int
    focus_id: int
    focus_key: str
    stage_record_id: int | None
    intervention_id: str | None  # None for the clinician's own ("added")
    title: str
    model: InterventionModel | None
    stage: Stage | None
    decision: DecisionKind
    reason: str | None
    by_user_id: int | None
    by_username: str | None
    by_name: str | None  # the person, as shown (``users.person_label``)
    decided_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FocusSuggestions:
    """What the library offers for a focus's current stage."""

    focus_id: int
    current: StageRecordInfo | None
    entries: tuple[InterventionEntry, ...]

    @property
    def stage(self) -> Stage | None:
        return None if self.current is None else self.current.stage

    @property
    def paused(self) -> bool:
        """The focus is not staged for now: nothing is suggested."""
        return self.current is not None and self.current.stage is None

    @property
    def recycling(self) -> bool:
        return self.current is not None and self.current.is_recycling


# --------------------------------------------------------------------------------------------------------
# Helpers


def derive_basis(stage: Stage | None, proposed: Stage | None) -> StageBasis:
    """The basis a record with this ``stage`` and ``proposed`` stage has."""
    if stage is None:
        return StageBasis.NOT_STAGED
    if proposed is None:
        return StageBasis.CLINICAL_JUDGEMENT
    return StageBasis.INSTRUMENT if proposed == stage else StageBasis.OVERRIDE


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text = reason.strip()
    if len(text) > MAX_REASON:
        raise UserInputError(f"The reason is {len(text)} characters long; keep it under {MAX_REASON}.")
    return text or None


def _today(now: dt.datetime | None) -> dt.date:
    """Today, generously: the later of the UTC and the local date (so "today" is never refused)."""
    moment = now or utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(moment.astimezone(dt.UTC).date(), moment.astimezone().date())


def _load_focus(session: Session, focus_id: int) -> Focus:
    focus = session.get(Focus, focus_id)
    if focus is None:
        raise NotFoundError(f"There is no focus with id {focus_id}.")
    return focus


def _check_user(session: Session, user_id: int | None) -> None:
    if user_id is not None and session.get(User, user_id) is None:
        raise NotFoundError(f"There is no user account with id {user_id}.")


def _stage_or_none(value: str | None) -> Stage | None:
    return None if value is None else Stage(value)


def _infos(
    rows: Iterable[tuple[StageRecord, str, str | None]], names: Mapping[int, str]
) -> list[StageRecordInfo]:
    """Rows ordered by (effective, id) → infos with each record's direction (see module docstring)."""
    out: list[StageRecordInfo] = []
    base: Stage | None = None  # the stage of the latest staged daily record of an earlier day
    day: dt.date | None = None
    day_last: Stage | None = None  # the stage of the day's last record so far (None: not staged)
    for rec, focus_key, username in rows:
        if rec.effective != day:
            if day_last is not None:  # the previous day ended staged: it is the new base
                base = day_last
            day, day_last = rec.effective, None
        stage = _stage_or_none(rec.stage)
        proposed = _stage_or_none(rec.proposed)
        out.append(
            StageRecordInfo(
                id=rec.id,
                client_id=rec.client_id,
                focus_id=rec.focus_id,
                focus_key=focus_key,
                proposed=proposed,
                stage=stage,
                basis=StageBasis(rec.basis),
                reason=rec.reason,
                administration_id=rec.administration_id,
                by_user_id=rec.by_user_id,
                by_username=username,
                by_name=None if rec.by_user_id is None else names.get(rec.by_user_id),
                recorded_at=rec.recorded_at,
                effective=rec.effective,
                is_override=proposed is not None and stage is not None and proposed != stage,
                direction=_direction(base, stage),
            )
        )
        day_last = stage
    return out


def _record_rows(session: Session, focus_id: int) -> list[tuple[StageRecord, str, str | None]]:
    q = (
        select(StageRecord, Focus.key, User.username)
        .join(Focus, Focus.id == StageRecord.focus_id)
        .outerjoin(User, User.id == StageRecord.by_user_id)
        .where(StageRecord.focus_id == focus_id)
        .order_by(StageRecord.effective, StageRecord.id)
    )
    return [(r, k, u) for r, k, u in session.execute(q)]


# --------------------------------------------------------------------------------------------------------
# Stage records


def record_stage(
    session: Session,
    *,
    focus_id: int,
    stage: Stage | None,
    proposed: Stage | None = None,
    reason: str | None = None,
    effective: dt.date | None = None,
    administration_id: int | None = None,
    by_user_id: int | None,
    actor: str | None,
    now: dt.datetime | None = None,
) -> StageRecordInfo:
    """Record the clinician's stage for a focus (or that it is not staged for now).

    A move back a stage is accepted like any other; it is marked as recycling, never refused.

    Args:
        session: the caller's transaction.
        focus_id: the focus.
        stage: the clinician's stage; None = not staged for now (reason required).
        proposed: the stage an instrument proposed; None when staged by clinical judgement.
        reason: why the stage differs from the proposal, or why staging is paused (required then).
        effective: the date the stage applies from (default today; not in the future).
        administration_id: the administration that proposed the stage (same client).
        by_user_id: the clinician.
        actor: the user name for the audit log.
        now: the current time (tests).

    Raises:
        UserInputError: a required reason is missing, the date is in the future, or the administration
            belongs to another client; NotFoundError: no such focus, user or administration.
    """
    focus = _load_focus(session, focus_id)
    if not focus.active:
        raise UserInputError("This focus was removed; add it again before recording a stage.")
    stage = None if stage is None else Stage(stage)
    proposed = None if proposed is None else Stage(proposed)
    text = _clean_reason(reason)
    basis = derive_basis(stage, proposed)
    if basis == StageBasis.NOT_STAGED and text is None:
        raise UserInputError(PAUSE_REASON_MESSAGE)
    if proposed is not None and proposed != stage and text is None:
        raise UserInputError(OVERRIDE_REASON_MESSAGE)
    today = _today(now)
    day = effective or today
    if day > today:
        raise UserInputError(
            f"The effective date {day.isoformat()} is in the future; a stage can be recorded up to today."
        )
    if administration_id is not None:
        adm = session.get(Administration, administration_id)
        if adm is None:
            raise NotFoundError(f"There is no administration with id {administration_id}.")
        if adm.client_id != focus.client_id:
            raise UserInputError("That administration belongs to another client.")
    _check_user(session, by_user_id)
    row = StageRecord(
        client_id=focus.client_id,
        focus_id=focus.id,
        proposed=None if proposed is None else proposed.value,
        stage=None if stage is None else stage.value,
        basis=basis.value,
        reason=text,
        administration_id=administration_id,
        by_user_id=by_user_id,
        recorded_at=now or utcnow(),
        effective=day,
    )
    session.add(row)
    session.flush()
    info = next(i for i in _infos(_record_rows(session, focus.id), people(session)) if i.id == row.id)
    audit.record(
        session,
        actor,
        "create",
        "stage_record",
        row.id,
        {
            "client_id": focus.client_id,
            "focus_id": focus.id,
            "basis": basis.value,
            "administration_id": administration_id,
        },
    )
    log.info("recorded stage record %s for focus %s", row.id, focus.id)
    return info


def history(session: Session, focus_id: int) -> list[StageRecordInfo]:
    """Every stage record of a focus, ordered by (effective date, id)."""
    _load_focus(session, focus_id)
    return _infos(_record_rows(session, focus_id), people(session))


def current_stage(session: Session, focus_id: int) -> StageRecordInfo | None:
    """The latest record of a focus (which may say "not staged for now"), or None if never staged."""
    records = history(session, focus_id)
    return records[-1] if records else None


def reassessment_paused(session: Session, focus_id: int) -> bool:
    """True when the focus's latest record says "not staged for now" (reminders pause)."""
    latest = current_stage(session, focus_id)
    return latest is not None and latest.stage is None


def timeline(session: Session, focus_id: int, *, until: dt.date | None = None) -> Timeline:
    """The focus's timeline: every record as a point, and the spans between them.

    Args:
        session: any session.
        focus_id: the focus.
        until: where the current span ends (default: the client's discharge date if discharged, else
            today).  Records effective after ``until`` are left out.
    """
    focus = _load_focus(session, focus_id)
    if until is None:
        client = session.get(Client, focus.client_id)
        if client is not None and client.status == ClientStatus.DISCHARGED.value and client.discharged_at:
            until = client.discharged_at.astimezone().date()
        else:
            until = _today(None)
    records = [r for r in history(session, focus_id) if r.effective <= until]
    points = tuple(
        TimelinePoint(r, superseded=i + 1 < len(records) and records[i + 1].effective == r.effective)
        for i, r in enumerate(records)
    )
    live = [p.record for p in points if not p.superseded]
    segments: list[TimelineSegment] = []
    for i, rec in enumerate(live):
        end = live[i + 1].effective if i + 1 < len(live) else until
        if segments and segments[-1].stage == rec.stage:
            last = segments[-1]
            segments[-1] = TimelineSegment(
                last.start, end, last.stage, (*last.record_ids, rec.id), i + 1 == len(live)
            )
        else:
            segments.append(TimelineSegment(rec.effective, end, rec.stage, (rec.id,), i + 1 == len(live)))
    return Timeline(focus_id, until, points, tuple(segments))


# --------------------------------------------------------------------------------------------------------
# Suggestions and intervention decisions


def focus_suggestions(
    session: Session,
    library: InterventionLibrary,
    focus_id: int,
    *,
    models: Iterable[InterventionModel] | None = None,
) -> FocusSuggestions:
    """The library's suggestions for a focus's current clinician stage.

    Nothing is suggested while the focus is not staged (or never staged).  After a move back a stage the
    entries for recycling are offered too.
    """
    current = current_stage(session, focus_id)
    entries: tuple[InterventionEntry, ...] = ()
    if current is not None and current.stage is not None:
        entries = tuple(library.suggest(current.stage, models=models, recycling=current.is_recycling))
    return FocusSuggestions(focus_id, current, entries)


def _decision_info(
    row: InterventionDecision, focus_key: str, username: str | None, names: Mapping[int, str]
) -> DecisionInfo:
    return DecisionInfo(
        id=row.id,
        client_id=row.client_id,
        focus_id=row.focus_id,
        focus_key=focus_key,
        stage_record_id=row.stage_record_id,
        intervention_id=row.intervention_id,
        title=row.title,
        model=None if row.model is None else InterventionModel(row.model),
        stage=_stage_or_none(row.stage),
        decision=DecisionKind(row.decision),
        reason=row.reason,
        by_user_id=row.by_user_id,
        by_username=username,
        by_name=None if row.by_user_id is None else names.get(row.by_user_id),
        decided_at=row.decided_at,
    )


def decide_intervention(
    session: Session,
    *,
    focus_id: int,
    intervention: InterventionEntry | None,
    decision: DecisionKind,
    reason: str | None = None,
    custom_title: str | None = None,
    stage_record_id: int | None = None,
    model: InterventionModel | None = None,
    by_user_id: int | None,
    actor: str | None,
    now: dt.datetime | None = None,
) -> DecisionInfo:
    """Record that the clinician accepted or declined a library entry, or added their own.

    Args:
        session: the caller's transaction.
        focus_id: the focus.
        intervention: the library entry (None for "added").
        decision: accepted, declined (reason optional) or added (``custom_title`` required).
        reason: optional reason (e.g. why declined).
        custom_title: the title of the clinician's own intervention ("added").
        stage_record_id: the stage record the decision was made under (default: the focus's current one).
        model: the model of an "added" intervention, if the clinician names one.
        by_user_id: the clinician.
        actor: the user name for the audit log.
        now: the current time (tests).

    Raises:
        UserInputError: the combination is not valid (see above); NotFoundError: no such focus, user
            or stage record for this focus.
    """
    focus = _load_focus(session, focus_id)
    decision = DecisionKind(decision)
    text = _clean_reason(reason)
    if decision == DecisionKind.ADDED:
        if intervention is not None:
            raise UserInputError("An intervention from the library is accepted or declined, not added.")
        title = " ".join((custom_title or "").split())
        if not title:
            raise UserInputError("Give your own intervention a title.")
        if len(title) > MAX_TITLE:
            raise UserInputError(f"The title is {len(title)} characters long; keep it under {MAX_TITLE}.")
        intervention_id, model_value = None, None if model is None else InterventionModel(model).value
    else:
        if intervention is None:
            raise UserInputError("Choose an intervention from the library, or add your own.")
        title, intervention_id, model_value = intervention.title, intervention.id, intervention.model.value
    if stage_record_id is None:
        current = current_stage(session, focus.id)
        stage_record_id = None if current is None else current.id
        stage = None if current is None else current.stage
    else:
        rec = session.get(StageRecord, stage_record_id)
        if rec is None or rec.focus_id != focus.id:
            raise NotFoundError(f"There is no stage record {stage_record_id} for this focus.")
        stage = _stage_or_none(rec.stage)
    _check_user(session, by_user_id)
    row = InterventionDecision(
        client_id=focus.client_id,
        focus_id=focus.id,
        stage_record_id=stage_record_id,
        intervention_id=intervention_id,
        title=title,
        model=model_value,
        stage=None if stage is None else stage.value,
        decision=decision.value,
        reason=text,
        by_user_id=by_user_id,
        decided_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "decide",
        "intervention_decision",
        row.id,
        {
            "client_id": focus.client_id,
            "focus_id": focus.id,
            "decision": decision.value,
            "intervention_id": intervention_id,
        },
    )
    user = None if by_user_id is None else session.get(User, by_user_id)
    username = None if user is None else user.username
    return _decision_info(row, focus.key, username, people(session))


def decisions(
    session: Session, focus_id: int | None = None, client_id: int | None = None
) -> list[DecisionInfo]:
    """Intervention decisions for a focus and/or a client (all when neither), oldest first."""
    q = (
        select(InterventionDecision, Focus.key, User.username)
        .join(Focus, Focus.id == InterventionDecision.focus_id)
        .outerjoin(User, User.id == InterventionDecision.by_user_id)
        .order_by(InterventionDecision.decided_at, InterventionDecision.id)
    )
    if focus_id is not None:
        q = q.where(InterventionDecision.focus_id == focus_id)
    if client_id is not None:
        q = q.where(InterventionDecision.client_id == client_id)
    names = people(session)
    return [_decision_info(r, k, u, names) for r, k, u in session.execute(q)]


# --------------------------------------------------------------------------------------------------------
# Metrics input


_METRIC_RECORDS_SQL = (
    "SELECT id, client_id, focus_id, stage, proposed, effective, by_user_id FROM stage_record"
)


def load_metric_records(
    session: Session, *, focus: str | None = None, until: dt.date | None = None
) -> list[MetricRecord]:
    """Every stage record as a :class:`~stagewise.core.stages.metrics.MetricRecord` (no names, no reasons).

    Records come in recorded order (by id).  The dashboard reads all of them (60,000 in a large
    practice), so this is written for speed: plain SQL on the session's own DBAPI connection (same
    transaction, no ORM or Core row objects — those cost more than the query), the stage records alone
    with the small focus, client and user tables as dicts instead of joins, and each distinct day and
    stage string parsed once.

    Args:
        session: any session.
        focus: only this focus key.
        until: only records effective on or before this date.
    """
    where: list[str] = []
    params: list[object] = []
    if focus is not None:
        where.append("focus_id IN (SELECT id FROM focus WHERE key = ?)")
        params.append(focus)
    if until is not None:
        where.append("effective <= ?")
        params.append(until.isoformat())  # dates are stored as ISO text (YYYY-MM-DD)
    sql = _METRIC_RECORDS_SQL + ("" if not where else " WHERE " + " AND ".join(where)) + " ORDER BY id"
    with gc_paused():  # ~100,000 small tuples: see stagewise.core.gc_pause
        return _metric_records(session, sql, params)


def _metric_records(session: Session, sql: str, params: Sequence[object]) -> list[MetricRecord]:
    cursor = session.connection().connection.cursor()  # one transaction: every read sees one snapshot
    try:
        rows = cursor.execute(sql, params).fetchall()
        focuses: dict[int, tuple[str, int | None]] = {
            fid: (key, days)
            for fid, key, days in cursor.execute("SELECT id, key, reassessment_days FROM focus")
        }
        discharged_at = cursor.execute(
            "SELECT id, discharged_at FROM client WHERE status = ? AND discharged_at IS NOT NULL",
            (ClientStatus.DISCHARGED.value,),
        ).fetchall()
    finally:
        cursor.close()
    person: dict[int | None, str | None] = {uid: name for uid, name in people(session).items()}
    person[None] = None
    # The discharge date is the local calendar day of the stored UTC instant.
    discharged_on = {cid: parse_utc(text).astimezone().date() for cid, text in discharged_at}
    stage_of: dict[str | None, Stage | None] = {s.value: s for s in Stage}
    stage_of[None] = None
    dates: dict[str, dt.date] = {}
    out: list[MetricRecord] = []
    append = out.append
    for rid, client_id, focus_id, stage, proposed, effective, user_id in rows:
        st, pr = stage_of[stage], stage_of[proposed]
        day = dates.get(effective)
        if day is None:
            day = dates[effective] = dt.date.fromisoformat(effective)
        key, days = focuses[focus_id]
        append(
            MetricRecord(
                client_id,
                key,
                st,
                day,
                rid,
                person.get(user_id),
                st is not None and pr is not None and st != pr,
                discharged_on.get(client_id),
                pr,
                days,
            )
        )
    return out


# --------------------------------------------------------------------------------------------------------
# Interchange (pure data in / data out; wired into interchange.py by its owner)

_RECORD_KEYS = {"focus", "effective", "proposed", "stage", "basis", "reason", "by", "recorded_at"}
_DECISION_KEYS = {
    "focus",
    "intervention",
    "title",
    "model",
    "stage",
    "decision",
    "reason",
    "by",
    "decided_at",
}


def export_client_sections(session: Session, client_id: int) -> dict[str, list[dict[str, Any]]]:
    """A client's ``stage_records`` and ``intervention_decisions`` for the interchange file.

    Deterministic order: stage records by (focus key, effective date, id), decisions by (decided_at, id).
    Dates are ISO (``2026-01-05``), times UTC ISO with milliseconds, ``by`` is the user name.
    """
    q = (
        select(StageRecord, Focus.key, User.username)
        .join(Focus, Focus.id == StageRecord.focus_id)
        .outerjoin(User, User.id == StageRecord.by_user_id)
        .where(StageRecord.client_id == client_id)
        .order_by(Focus.key, StageRecord.effective, StageRecord.id)
    )
    records = [
        {
            "focus": key,
            "effective": rec.effective.isoformat(),
            "proposed": rec.proposed,
            "stage": rec.stage,
            "basis": rec.basis,
            "reason": rec.reason,
            "by": username,
            "recorded_at": iso_utc(rec.recorded_at),
        }
        for rec, key, username in session.execute(q)
    ]
    chosen = [
        {
            "focus": d.focus_key,
            "intervention": d.intervention_id,
            "title": d.title,
            "model": None if d.model is None else d.model.value,
            "stage": None if d.stage is None else d.stage.value,
            "decision": d.decision.value,
            "reason": d.reason,
            "by": d.by_username,
            "decided_at": iso_utc(d.decided_at),
        }
        for d in decisions(session, client_id=client_id)
    ]
    return {"stage_records": records, "intervention_decisions": chosen}


def _enum_problem(
    value: object, enum_cls: type[Stage] | type[InterventionModel] | type[DecisionKind]
) -> str | None:
    if isinstance(value, str) and value in {m.value for m in enum_cls}:
        return None
    return f"{value!r} is not one of {', '.join(m.value for m in enum_cls)}"


def _text_problem(value: object, *, max_len: int, required: bool) -> str | None:
    if value is None:
        return "this field is required" if required else None
    if not isinstance(value, str):
        return "must be text"
    if required and not value.strip():
        return "must not be blank"
    if len(value) > max_len:
        return f"is longer than {max_len} characters"
    return None


def _date_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be a date like 2026-01-05"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a date like 2026-01-05"
    return None


def _time_problem(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a UTC time like 2026-01-05T09:30:00.000Z"
    try:
        parse_utc(value, strict=True)
    except ValueError:
        return f"{shorten(value)} is not a UTC time like 2026-01-05T09:30:00.000Z"
    return None


def _validate_record(
    item: object, where: str, focus_keys: set[str], usernames: set[str]
) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [(where, "must be an object")]
    problems: list[tuple[str, str]] = []
    for key in sorted(set(item) - _RECORD_KEYS):
        problems.append((f"{where}.{key}", "unknown field"))
    for key in ("focus", "effective", "stage"):
        if key not in item:
            problems.append((f"{where}.{key}", "this field is required"))
    if "focus" in item and item["focus"] not in focus_keys:
        problems.append((f"{where}.focus", f"{item['focus']!r} is not one of this client's focuses"))
    if "effective" in item and (p := _date_problem(item["effective"])):
        problems.append((f"{where}.effective", p))
    for key in ("stage", "proposed"):
        if item.get(key) is not None and (p := _enum_problem(item[key], Stage)):
            problems.append((f"{where}.{key}", p))
    if (p := _text_problem(item.get("reason"), max_len=MAX_REASON, required=False)) is not None:
        problems.append((f"{where}.reason", p))
    if item.get("by") is not None and item["by"] not in usernames:
        problems.append((f"{where}.by", f"{item['by']!r} is not a user of this practice"))
    if (p := _time_problem(item.get("recorded_at"))) is not None:
        problems.append((f"{where}.recorded_at", p))
    if problems:
        return problems
    stage, proposed = _stage_or_none(item["stage"]), _stage_or_none(item.get("proposed"))
    reason = item.get("reason")
    has_reason = isinstance(reason, str) and bool(reason.strip())
    basis = derive_basis(stage, proposed)
    if item.get("basis") is not None and item["basis"] != basis.value:
        problems.append((f"{where}.basis", f"must be {basis.value!r} for this stage and proposed stage"))
    if stage is None and not has_reason:
        problems.append((f"{where}.reason", "a reason is required for 'not staged for now'"))
    elif proposed is not None and proposed != stage and not has_reason:
        problems.append(
            (f"{where}.reason", "a reason is required when the stage differs from the proposed one")
        )
    return problems


def _validate_decision(
    item: object, where: str, focus_keys: set[str], usernames: set[str]
) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [(where, "must be an object")]
    problems: list[tuple[str, str]] = []
    for key in sorted(set(item) - _DECISION_KEYS):
        problems.append((f"{where}.{key}", "unknown field"))
    for key in ("focus", "title", "decision"):
        if key not in item:
            problems.append((f"{where}.{key}", "this field is required"))
    if "focus" in item and item["focus"] not in focus_keys:
        problems.append((f"{where}.focus", f"{item['focus']!r} is not one of this client's focuses"))
    if "title" in item and (p := _text_problem(item["title"], max_len=MAX_TITLE, required=True)):
        problems.append((f"{where}.title", p))
    if "decision" in item and (p := _enum_problem(item["decision"], DecisionKind)):
        problems.append((f"{where}.decision", p))
    if item.get("model") is not None and (p := _enum_problem(item["model"], InterventionModel)):
        problems.append((f"{where}.model", p))
    if item.get("stage") is not None and (p := _enum_problem(item["stage"], Stage)):
        problems.append((f"{where}.stage", p))
    intervention = item.get("intervention")
    if intervention is not None and (not isinstance(intervention, str) or not intervention.strip()):
        problems.append((f"{where}.intervention", "must be a library id or null"))
    if (p := _text_problem(item.get("reason"), max_len=MAX_REASON, required=False)) is not None:
        problems.append((f"{where}.reason", p))
    if item.get("by") is not None and item["by"] not in usernames:
        problems.append((f"{where}.by", f"{item['by']!r} is not a user of this practice"))
    if (p := _time_problem(item.get("decided_at"))) is not None:
        problems.append((f"{where}.decided_at", p))
    kind = item.get("decision")
    if kind == DecisionKind.ADDED.value and intervention is not None:
        problems.append((f"{where}.intervention", "an 'added' intervention is the clinician's own: use null"))
    if kind in (DecisionKind.ACCEPTED.value, DecisionKind.DECLINED.value) and intervention is None:
        problems.append((f"{where}.intervention", f"a {kind} intervention names its library id"))
    return problems


def validate_client_sections(
    data: Mapping[str, Any], path: str, *, focus_keys: set[str], usernames: set[str]
) -> list[tuple[str, str]]:
    """Check a client's ``stage_records`` and ``intervention_decisions`` (both optional).

    Args:
        data: the client object from the interchange file.
        path: its JSON path (``$.clients[3]``), prefixed to every problem.
        focus_keys: the focus keys the client has (after import).
        usernames: the practice's user names (after import).

    Returns:
        Every problem as ``(json_path, reason)``; empty when the sections are valid.
    """
    problems: list[tuple[str, str]] = []
    for section, check in (
        ("stage_records", _validate_record),
        ("intervention_decisions", _validate_decision),
    ):
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append((f"{path}.{section}", "must be a list"))
            continue
        for n, item in enumerate(items):
            problems += check(item, f"{path}.{section}[{n}]", focus_keys, usernames)
    return problems


def import_client_sections(
    session: Session,
    client_id: int,
    data: Mapping[str, Any],
    *,
    focus_ids: Mapping[str, int],
    user_ids: Mapping[str, int],
    actor: str | None,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Write a validated client's stage records and intervention decisions.

    Records are inserted in file order within each (focus, effective date), so same-day supersession
    survives a round trip.  A decision is linked to the latest imported record of its focus effective on
    or before its day.  One audit event (``import``, ``client``) gives the counts.

    Raises:
        ImportValidationError: the sections are invalid (nothing is written).

    Returns:
        ``(stage records written, decisions written)``.
    """
    problems = validate_client_sections(data, "$", focus_keys=set(focus_ids), usernames=set(user_ids))
    if problems:
        raise ImportValidationError(problems)
    stamp = now or utcnow()
    items: Sequence[dict[str, Any]] = data.get("stage_records") or []
    ordered = sorted(enumerate(items), key=lambda p: (p[1]["focus"], p[1]["effective"], p[0]))
    written: dict[str, list[StageRecord]] = {}
    for _, item in ordered:
        stage, proposed = _stage_or_none(item["stage"]), _stage_or_none(item.get("proposed"))
        reason = item.get("reason")
        row = StageRecord(
            client_id=client_id,
            focus_id=focus_ids[item["focus"]],
            proposed=None if proposed is None else proposed.value,
            stage=None if stage is None else stage.value,
            basis=derive_basis(stage, proposed).value,
            reason=reason.strip() if isinstance(reason, str) and reason.strip() else None,
            by_user_id=None if item.get("by") is None else user_ids[item["by"]],
            recorded_at=parse_utc(item["recorded_at"]) if item.get("recorded_at") else stamp,
            effective=dt.date.fromisoformat(item["effective"]),
        )
        session.add(row)
        written.setdefault(item["focus"], []).append(row)
    session.flush()
    chosen: Sequence[dict[str, Any]] = data.get("intervention_decisions") or []
    for item in chosen:
        decided_at = parse_utc(item["decided_at"]) if item.get("decided_at") else stamp
        linked = [r for r in written.get(item["focus"], []) if r.effective <= decided_at.date()]
        if not linked:  # records imported earlier (a separate section call): look them up
            earlier = session.execute(
                select(StageRecord)
                .where(
                    StageRecord.focus_id == focus_ids[item["focus"]],
                    StageRecord.effective <= decided_at.date(),
                )
                .order_by(StageRecord.effective.desc(), StageRecord.id.desc())
                .limit(1)
            ).scalar()
            linked = [earlier] if earlier is not None else []
        reason = item.get("reason")
        session.add(
            InterventionDecision(
                client_id=client_id,
                focus_id=focus_ids[item["focus"]],
                stage_record_id=linked[-1].id if linked else None,
                intervention_id=item.get("intervention"),
                title=" ".join(item["title"].split()),
                model=item.get("model"),
                stage=item.get("stage"),
                decision=item["decision"],
                reason=reason.strip() if isinstance(reason, str) and reason.strip() else None,
                by_user_id=None if item.get("by") is None else user_ids[item["by"]],
                decided_at=decided_at,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "import",
        "client",
        client_id,
        {"stage_records": len(items), "intervention_decisions": len(chosen)},
    )
    return len(items), len(chosen)
