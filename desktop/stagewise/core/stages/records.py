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
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import NotFoundError, UserInputError
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
    utcnow,
)
from stagewise.core.stages.interventions import (
    InterventionEntry,
    InterventionLibrary,
    InterventionModel,
)
from stagewise.core.stages.metrics import direction as _direction
from stagewise.core.stages.values import (  # re-exported: the stage API's values
    DecisionInfo as DecisionInfo,
    FocusSuggestions as FocusSuggestions,
    StageRecordInfo as StageRecordInfo,
    Timeline as Timeline,
    TimelinePoint as TimelinePoint,
    TimelineSegment as TimelineSegment,
)
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
