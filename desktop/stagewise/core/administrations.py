"""Giving a questionnaire: start, save each answer as it is given, resume, complete, void, re-score.

The rules this module keeps (see ``docs/administrations.md``):

* **Never lose an answer.**  :func:`answer` writes the answer and the item to resume at in the caller's
  transaction; the screen commits one transaction per answer.  A crash, a lock or a closed window leaves
  an ``in_progress`` administration that :func:`in_progress` lists and :func:`resume_point` re-opens at
  the item where it stopped.  Per-answer saves are deliberately **not audited** (they must stay cheap);
  start, complete, void, re-score and import are.
* **An administration keeps its instrument version.**  :func:`start` stores the exact source text of the
  instrument file in ``form_version`` (once per id, version and SHA-256); answers are validated and
  scored against that snapshot, so editing or upgrading the shipped file mid-administration changes
  nothing for it.
* **Risk answers are never missed.**  A flagged answer raises its alert at once (:mod:`.risk`).
* **Nothing is deleted.**  Voiding keeps the row (and its results) with a reason; trends and the
  registry ignore it.  Re-scoring keeps every earlier result (``score_result`` rows, ``current`` False).

Decisions: a *discharged* client may still be given an instrument (follow-up outcome measurement is
routine; nothing is due for them, so the registry stays quiet).  A *removed* focus cannot start a new
administration, but one already open when the focus is removed keeps saving answers and may be completed
(never lose an answer); ``AdministrationInfo.focus_removed`` lets the screen say so.  An administration
may be completed with answers missing: the result then says ``complete`` false and lists them.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core import audit, risk
from stagewise.core.errors import ConflictError, FormError, NotFoundError, UserInputError
from stagewise.core.forms.loader import Library, load_library, parse_form
from stagewise.core.forms.model import Form
from stagewise.core.models import (
    Administration,
    AdministrationMode,
    AdministrationStatus,
    Client,
    Focus,
    FormVersion,
    ScoreResult,
    User,
    utcnow,
)
from stagewise.core.scoring import Result, ScoringOptions, diff_results, score, validate_answer
from stagewise.core.staging import StageComparison, side_by_side

Number = int | float
MAX_VOID_REASON = 1000

# --------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class AdministrationInfo:
    """One administration, as screens, reports and the CLI see it.

    ``answers`` is a copy (printed item id → printed value); ``item_ids`` lists the items of the
    administration's own instrument version in printed order.
    """

    id: int
    client_id: int
    focus_id: int | None
    focus_key: str | None
    form_id: str
    form_version: str
    scoring_version: str | None
    mode: AdministrationMode
    by_user_id: int | None
    by_username: str | None
    started_at: dt.datetime
    completed_at: dt.datetime | None
    status: AdministrationStatus
    void_reason: str | None
    voided_at: dt.datetime | None
    answers: dict[str, Number]
    current_item: str | None
    behaviour_text: str | None
    result: Result | None
    item_ids: tuple[str, ...]
    focus_removed: bool

    @property
    def unanswered(self) -> tuple[str, ...]:
        """Items without an answer, in printed order."""
        return tuple(i for i in self.item_ids if i not in self.answers)


@dataclass(frozen=True, slots=True)
class AnswerSaved:
    """What :func:`answer` (or :func:`clear_answer`) stored, and what the screen does next.

    Attributes:
        next_item: the item to show next (first unanswered after this one, wrapping), None when all are
            answered.
        risk: prompts to show *now* (a flagged answer whose alert is not yet acknowledged).
    """

    administration_id: int
    item_id: str
    value: Number | None
    next_item: str | None
    answered: int
    total: int
    risk: tuple[risk.RiskPrompt, ...] = ()


@dataclass(frozen=True, slots=True)
class RescoreOutcome:
    """Old and new result of a re-score; ``differences`` in words (empty when nothing changed)."""

    old: Result
    new: Result
    differences: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.differences)


@dataclass(frozen=True, slots=True)
class ItemColumn:
    administration_id: int
    completed_at: dt.datetime | None
    form_version: str


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item across administrations: ``values`` line up with :attr:`ItemHistory.columns`."""

    item_id: str
    text: str
    values: tuple[Number | None, ...]

    @property
    def moved(self) -> bool:
        """The answer differs between at least two administrations that answered it."""
        return len({v for v in self.values if v is not None}) > 1

    @property
    def change(self) -> Number | None:
        """Last answer minus first answer (None unless answered at least twice)."""
        given = [v for v in self.values if v is not None]
        return given[-1] - given[0] if len(given) > 1 else None


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """A client's answers to one instrument over time, item by item ("which statements moved")."""

    form_id: str
    columns: tuple[ItemColumn, ...]
    rows: tuple[ItemRow, ...]


@dataclass(frozen=True, slots=True)
class OptionView:
    value: Number
    label: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """One question as the screen shows it: wording with the behaviour filled in, options in display order."""

    id: str
    number: int
    text: str
    options: tuple[OptionView, ...]
    optional: bool
    answer: Number | None


@dataclass(frozen=True, slots=True)
class AdministrationScreen:
    """Everything a questionnaire screen needs, and nothing about the client or other records.

    Safe to show to the client in client mode: no name, chart number, scores or earlier answers; only
    this administration's questions and its own answers so far.  ``clinician_instructions`` is for the
    clinician's view only.
    """

    administration_id: int
    form_id: str
    title: str
    mode: AdministrationMode
    client_instructions: str
    clinician_instructions: str
    items: tuple[ItemView, ...]
    resume_at: str | None


# --------------------------------------------------------------------------------------------------------
# The administration's own instrument version

_FORMS: OrderedDict[str, Form] = OrderedDict()  # sha256 → Form parsed from a stored snapshot
_FORMS_MAX = 64


def _remember(form: Form) -> Form:
    _FORMS[form.sha256] = form
    _FORMS.move_to_end(form.sha256)
    while len(_FORMS) > _FORMS_MAX:
        _FORMS.popitem(last=False)
    return form


def snapshot(session: Session, form: Form) -> FormVersion:
    """The ``form_version`` row holding ``form``'s exact source text (created on first use)."""
    row = session.execute(
        select(FormVersion).where(
            FormVersion.form_id == form.id,
            FormVersion.version == form.version,
            FormVersion.sha256 == form.sha256,
        )
    ).scalar_one_or_none()
    if row is None:
        row = FormVersion(form_id=form.id, version=form.version, sha256=form.sha256, source=form.source_text)
        session.add(row)
        session.flush()
    _remember(form)
    return row


def stored_form(session: Session, form_version_id: int) -> Form:
    """The instrument exactly as it was when an administration started (parsed from its snapshot).

    Raises:
        FormError: the snapshot is missing or can no longer be read by this version of Stagewise.
    """
    sha = session.execute(
        select(FormVersion.sha256).where(FormVersion.id == form_version_id)
    ).scalar_one_or_none()
    if sha is None:
        raise FormError(f"The stored instrument version {form_version_id} is missing from the practice file.")
    cached = _FORMS.get(sha)
    if cached is not None:
        return cached
    row = session.get(FormVersion, form_version_id)
    assert row is not None
    try:
        form = parse_form(row.source, Path(f"{row.form_id}-{row.version}.toml"))
    except FormError as exc:
        raise FormError(
            f"The stored copy of {row.form_id} version {row.version} cannot be read by this version of "
            f"Stagewise ({exc})."
        ) from exc
    return _remember(form)


def row_form(session: Session, adm: Administration) -> Form:
    if adm.form_version_id is None:
        # Not written by this module (every start and import snapshots); fall back to the library.
        return load_library().get(adm.form_id, adm.form_version)
    return stored_form(session, adm.form_version_id)


# --------------------------------------------------------------------------------------------------------
# Reading


def _info(
    session: Session,
    adm: Administration,
    focus_key: str | None,
    focus_active: bool | None,
    username: str | None,
) -> AdministrationInfo:
    form = row_form(session, adm)
    return AdministrationInfo(
        id=adm.id,
        client_id=adm.client_id,
        focus_id=adm.focus_id,
        focus_key=focus_key,
        form_id=adm.form_id,
        form_version=adm.form_version,
        scoring_version=adm.scoring_version,
        mode=AdministrationMode(adm.mode),
        by_user_id=adm.by_user_id,
        by_username=username,
        started_at=adm.started_at,
        completed_at=adm.completed_at,
        status=AdministrationStatus(adm.status),
        void_reason=adm.void_reason,
        voided_at=adm.voided_at,
        answers=dict(adm.answers or {}),
        current_item=adm.current_item,
        behaviour_text=adm.behaviour_text,
        result=None if adm.result is None else Result.from_json(adm.result),
        item_ids=tuple(it.id for it in form.items),
        focus_removed=focus_active is False,
    )


def info_query() -> Any:
    return (
        select(Administration, Focus.key, Focus.active, User.username)
        .outerjoin(Focus, Focus.id == Administration.focus_id)
        .outerjoin(User, User.id == Administration.by_user_id)
    )


def _infos(session: Session, q: Any) -> list[AdministrationInfo]:
    return [_info(session, adm, key, active, user) for adm, key, active, user in session.execute(q)]


def get(session: Session, administration_id: int) -> AdministrationInfo:
    """One administration.

    Raises:
        NotFoundError: no such administration.
    """
    found = _infos(session, info_query().where(Administration.id == administration_id))
    if not found:
        raise NotFoundError(f"There is no administration {administration_id}.")
    return found[0]


def form_for(session: Session, administration_id: int) -> Form:
    """The instrument version an administration uses (for item wording and scales on screen)."""
    return row_form(session, _load(session, administration_id))


def screen(session: Session, administration_id: int) -> AdministrationScreen:
    """The questions of an administration in its own instrument version, ready to display."""
    info = get(session, administration_id)
    form = form_for(session, administration_id)
    behaviour = info.behaviour_text
    items = tuple(
        ItemView(
            id=item.id,
            number=item.number,
            text=form.item_text(item.id, behaviour),
            options=tuple(
                OptionView(o.value, form.fill(o.label, behaviour))
                for o in form.scale(item.scale).display_options()
            ),
            optional=item.optional,
            answer=info.answers.get(item.id),
        )
        for item in form.items
    )
    return AdministrationScreen(
        administration_id=info.id,
        form_id=form.id,
        title=form.title,
        mode=info.mode,
        client_instructions=form.fill(form.client_instructions, behaviour),
        clinician_instructions=form.instructions,
        items=items,
        resume_at=resume_point(info),
    )


def item_text(session: Session, info: AdministrationInfo, item_id: str) -> str:
    """Item wording with the behaviour placeholder filled from the administration's focus."""
    return form_for(session, info.id).item_text(item_id, info.behaviour_text)


def resume_point(info: AdministrationInfo) -> str | None:
    """The item to re-open at: the first unanswered item at or after ``current_item`` (wrapping round).

    When every item is answered it is ``current_item`` (or the last item), for review before completing;
    None only for an instrument without items.
    """
    order = info.item_ids
    if not order:
        return None
    start = order.index(info.current_item) if info.current_item in order else 0
    for item_id in order[start:] + order[:start]:
        if item_id not in info.answers:
            return item_id
    return info.current_item if info.current_item in order else order[-1]


def in_progress(session: Session, *, client_id: int | None = None) -> list[AdministrationInfo]:
    """Unfinished administrations, oldest first (for "resume?" after a crash, lock or closed window)."""
    q = info_query().where(Administration.status == AdministrationStatus.IN_PROGRESS.value)
    if client_id is not None:
        q = q.where(Administration.client_id == client_id)
    return _infos(session, q.order_by(Administration.started_at, Administration.id))


def history(
    session: Session,
    *,
    client_id: int,
    form_id: str | None = None,
    focus_id: int | None = None,
    include_voided: bool = False,
) -> list[AdministrationInfo]:
    """Completed administrations, oldest first (voided ones only with ``include_voided``)."""
    statuses = [AdministrationStatus.COMPLETE.value]
    if include_voided:
        statuses.append(AdministrationStatus.VOIDED.value)
    q = info_query().where(Administration.client_id == client_id, Administration.status.in_(statuses))
    if form_id is not None:
        q = q.where(Administration.form_id == form_id)
    if focus_id is not None:
        q = q.where(Administration.focus_id == focus_id)
    when = func.coalesce(Administration.completed_at, Administration.started_at)
    return _infos(session, q.order_by(when, Administration.id))


def previous(session: Session, administration_id: int) -> AdministrationInfo | None:
    """The completed administration of the same client, instrument and focus just before this one."""
    adm = _load(session, administration_id)
    when = adm.completed_at or adm.started_at
    q = info_query().where(
        Administration.client_id == adm.client_id,
        Administration.form_id == adm.form_id,
        Administration.status == AdministrationStatus.COMPLETE.value,
        Administration.id != adm.id,
        Administration.completed_at <= when,
    )
    q = q.where(
        Administration.focus_id.is_(None) if adm.focus_id is None else Administration.focus_id == adm.focus_id
    )
    found = _infos(session, q.order_by(Administration.completed_at.desc(), Administration.id.desc()))
    # Same completion instant: only an earlier id counts as "before".
    found = [f for f in found if f.completed_at != when or f.id < adm.id]
    return found[0] if found else None


def item_history(
    session: Session, *, client_id: int, form_id: str, focus_id: int | None = None
) -> ItemHistory:
    """A client's answers to one instrument, item by item over time (completed, not voided).

    Rows follow the newest administration's item order and wording (behaviour filled in); items only an
    older version had are added after them.
    """
    done = history(session, client_id=client_id, form_id=form_id, focus_id=focus_id)
    columns = tuple(ItemColumn(a.id, a.completed_at, a.form_version) for a in done)
    order: list[str] = []
    texts: dict[str, str] = {}
    for info in reversed(done):  # newest first, so the newest wording wins
        form = form_for(session, info.id)
        for item in form.items:
            if item.id not in texts:
                texts[item.id] = form.item_text(item.id, info.behaviour_text)
                order.append(item.id)
    rows = tuple(ItemRow(i, texts[i], tuple(a.answers.get(i) for a in done)) for i in order)
    return ItemHistory(form_id, columns, rows)


def latest_results_for_focus(session: Session, focus_id: int) -> list[Result]:
    """The latest completed result of each instrument given for the focus (instrument order by id)."""
    latest: dict[str, AdministrationInfo] = {}
    q = info_query().where(
        Administration.focus_id == focus_id,
        Administration.status == AdministrationStatus.COMPLETE.value,
    )
    for info in _infos(session, q.order_by(Administration.completed_at, Administration.id)):
        latest[info.form_id] = info
    return [latest[k].result for k in sorted(latest) if latest[k].result is not None]  # type: ignore[misc]


def stage_comparison(session: Session, focus_id: int) -> StageComparison:
    """Each instrument's stage for the focus side by side, with the disagreement indicator."""
    return side_by_side(latest_results_for_focus(session, focus_id))


def recent_forms(session: Session, *, user_id: int, limit: int = 5) -> list[str]:
    """Instrument ids this user gave most recently, newest first."""
    last = func.max(Administration.started_at)
    q = (
        select(Administration.form_id, last)
        .where(Administration.by_user_id == user_id)
        .group_by(Administration.form_id)
        .order_by(last.desc(), Administration.form_id)
        .limit(limit)
    )
    return [form_id for form_id, _ in session.execute(q)]


def ordered_form_choices(
    session: Session, *, user_id: int, library: Library, favourites: Sequence[str] = ()
) -> list[Form]:
    """The instrument picker's order: the practice's favourites, then this user's recent ones, then the rest.

    Ids not in the library are skipped.
    """
    known = {f.id: f for f in library.forms}
    ordered: list[str] = []
    for form_id in [*favourites, *recent_forms(session, user_id=user_id), *(f.id for f in library.forms)]:
        if form_id in known and form_id not in ordered:
            ordered.append(form_id)
    return [known[i] for i in ordered]


# --------------------------------------------------------------------------------------------------------
# Changing


def _load(session: Session, administration_id: int) -> Administration:
    adm = session.get(Administration, administration_id)
    if adm is None:
        raise NotFoundError(f"There is no administration {administration_id}.")
    return adm


def _open(session: Session, administration_id: int) -> Administration:
    adm = _load(session, administration_id)
    if adm.status != AdministrationStatus.IN_PROGRESS.value:
        word = "completed" if adm.status == AdministrationStatus.COMPLETE.value else "voided"
        raise ConflictError(f"This administration was {word}; its answers can no longer change.")
    return adm


def behaviour_phrase(focus: Focus) -> str:
    """What fills an item's behaviour placeholder: the focus's phrase, else its label in lower case."""
    return (focus.behaviour_phrase or "").strip() or focus.label.strip().lower()


def start(
    session: Session,
    *,
    client_id: int,
    focus_id: int | None,
    form_id: str,
    mode: AdministrationMode,
    by_user_id: int | None,
    actor: str | None,
    library: Library | None = None,
    now: dt.datetime | None = None,
) -> AdministrationInfo:
    """Begin giving an instrument to a client (for a focus, or none for instruments such as the PHQ-9).

    Args:
        session: the caller's transaction.
        client_id: the client (a discharged client is allowed: follow-up measurement).
        focus_id: the focus the answers refer to; its phrase fills "[the behaviour]".
        form_id: the instrument (its newest version in ``library``).
        mode: ``clinician`` (read out / entered by the clinician) or ``client`` (the client answers).
        by_user_id: the clinician giving it.
        actor: user name for the audit log.
        library: the instrument library (default: the shipped one).
        now: start time (tests, imports); defaults to now.

    Raises:
        NotFoundError: unknown client, focus or user.
        ConflictError: the focus belongs to another client or was removed.
        UnknownFormError: no such instrument.
    """
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError(f"There is no client {client_id}.")
    behaviour: str | None = None
    if focus_id is not None:
        focus = session.get(Focus, focus_id)
        if focus is None:
            raise NotFoundError(f"There is no focus {focus_id}.")
        if focus.client_id != client_id:
            raise ConflictError("That focus belongs to another client; choose one of this client's focuses.")
        if not focus.active or focus.removed_at is not None:
            raise ConflictError(f"The focus {focus.key!r} was removed; add it again or choose another focus.")
        behaviour = behaviour_phrase(focus)
    if by_user_id is not None and session.get(User, by_user_id) is None:
        raise NotFoundError(f"There is no user {by_user_id}.")
    form = (library or load_library()).get(form_id)
    version = snapshot(session, form)
    adm = Administration(
        client_id=client_id,
        focus_id=focus_id,
        form_id=form.id,
        form_version=form.version,
        form_version_id=version.id,
        scoring_version=form.scoring_version,
        mode=AdministrationMode(mode).value,
        by_user_id=by_user_id,
        started_at=now or utcnow(),
        status=AdministrationStatus.IN_PROGRESS.value,
        answers={},
        current_item=form.items[0].id,
        behaviour_text=behaviour,
    )
    session.add(adm)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "administration",
        adm.id,
        {
            "client_id": client_id,
            "focus_id": focus_id,
            "form": form.id,
            "form_version": form.version,
            "mode": adm.mode,
        },
    )
    return get(session, adm.id)


def _next_unanswered(order: Sequence[str], answers: Mapping[str, Any], after: str) -> str | None:
    start = order.index(after) + 1 if after in order else 0
    for item_id in [*order[start:], *order[:start]]:
        if item_id not in answers:
            return item_id
    return None


def answer(
    session: Session,
    administration_id: int,
    item_id: str,
    value: Number,
    *,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> AnswerSaved:
    """Save one answer at once (call it in its own transaction, one per answer).

    Cheap on purpose: one row UPDATE (answers and the item to resume at), no audit event.  A flagged
    answer (e.g. PHQ-9 item 9 > 0) raises its risk alert in the same transaction (audited) and is
    returned in ``risk`` so the screen interrupts the clinician now.

    Args:
        session: the caller's transaction.
        administration_id: an in-progress administration.
        item_id: printed item number (``"9"``).
        value: printed response value; checked against the administration's own instrument version.
        actor: user name for the audit event of a risk alert (answers themselves are not audited).
        now: when the alert (if any) is raised; defaults to now.

    Raises:
        ScoringError: unknown item or a value outside the item's scale (the message names the item and the
            allowed values); nothing is stored.
        ConflictError: the administration is complete or voided.
    """
    adm = _open(session, administration_id)
    form = row_form(session, adm)
    checked = validate_answer(form, item_id, value)
    answers = dict(adm.answers or {})
    answers[item_id] = checked
    order = [it.id for it in form.items]
    following = _next_unanswered(order, answers, item_id)
    adm.answers = answers
    adm.current_item = following or item_id
    session.flush()
    prompts: list[risk.RiskPrompt] = []
    flag = form.item(item_id).flag
    if flag is not None and checked >= flag.at_least:
        alert_id, _created = risk.raise_alert(
            session,
            client_id=adm.client_id,
            administration_id=adm.id,
            flag=flag.name,
            item_id=item_id,
            actor=actor,
            now=now,
        )
        if not risk.is_acknowledged(session, alert_id):
            prompts.append(
                risk.RiskPrompt(alert_id, flag.name, item_id, flag.message, risk.safety_text(session))
            )
    return AnswerSaved(adm.id, item_id, checked, following, len(answers), len(order), tuple(prompts))


def clear_answer(session: Session, administration_id: int, item_id: str) -> AnswerSaved:
    """Remove one answer (the client wants to leave it blank); the administration re-opens at that item.

    Not audited (like :func:`answer`).  A risk alert already raised by the old answer stays.
    """
    adm = _open(session, administration_id)
    form = row_form(session, adm)
    form.item(item_id)  # raises ScoringError for an unknown item
    answers = dict(adm.answers or {})
    answers.pop(item_id, None)
    adm.answers = answers
    adm.current_item = item_id
    session.flush()
    order = [it.id for it in form.items]
    return AnswerSaved(adm.id, item_id, None, item_id, len(answers), len(order))


def set_current_item(session: Session, administration_id: int, item_id: str) -> None:
    """Remember which item is on screen (navigation back and forth), so a resume re-opens there."""
    adm = _open(session, administration_id)
    row_form(session, adm).item(item_id)
    adm.current_item = item_id
    session.flush()


def default_options(session: Session, form: Form) -> ScoringOptions:
    """Scoring options from Practice settings (the URICA stage rule, when the instrument offers it)."""
    from stagewise.core.settings import load_settings

    rule = load_settings(session).urica_stage_rule
    if form.stage is not None and any(r.id == rule for r in form.stage.rules):
        return ScoringOptions(urica_stage_rule=rule)
    return ScoringOptions()


def store_result(session: Session, adm: Administration, result: Result, now: dt.datetime) -> None:
    for old in session.execute(
        select(ScoreResult).where(ScoreResult.administration_id == adm.id, ScoreResult.current)
    ).scalars():
        old.current = False
    data = result.to_json()
    session.add(
        ScoreResult(
            administration_id=adm.id,
            form_version=result.form_version,
            scoring_version=result.scoring_version,
            result=data,
            computed_at=now,
            current=True,
        )
    )
    adm.result = data
    adm.scoring_version = result.scoring_version


def raise_risk_alerts(
    session: Session,
    adm: Administration,
    form: Form,
    result: Result | None,
    actor: str | None,
    now: dt.datetime,
) -> list[int]:
    """Alerts for every flagged answer (and risk flags in the result) not raised yet; returns their ids."""
    ids: list[int] = []
    answers = adm.answers or {}
    item_flags = {it.flag.name: it for it in form.items if it.flag is not None}
    for name, item in item_flags.items():
        assert item.flag is not None
        value = answers.get(item.id)
        fired = (value is not None and value >= item.flag.at_least) or (
            result is not None and name in result.flags
        )
        if fired:
            alert_id, _ = risk.raise_alert(
                session,
                client_id=adm.client_id,
                administration_id=adm.id,
                flag=name,
                item_id=item.id,
                actor=actor,
                now=now,
            )
            ids.append(alert_id)
    return ids


def complete(
    session: Session,
    administration_id: int,
    *,
    actor: str | None,
    options: ScoringOptions | None = None,
    now: dt.datetime | None = None,
) -> AdministrationInfo:
    """Score and close an administration.

    Missing answers do not stop it: the result says ``complete`` false and lists them (the screen warns
    first).  The result is stored on the administration and as a ``score_result`` row; risk alerts are
    raised for flagged answers not yet alerted.

    Args:
        options: scoring options; default from Practice settings (:func:`default_options`).

    Raises:
        ConflictError: already completed or voided.
    """
    adm = _open(session, administration_id)
    form = row_form(session, adm)
    when = now or utcnow()
    result = score(form, adm.answers or {}, options or default_options(session, form))
    store_result(session, adm, result, when)
    adm.completed_at = when
    adm.status = AdministrationStatus.COMPLETE.value
    session.flush()
    alerts = raise_risk_alerts(session, adm, form, result, actor, when)
    audit.record(
        session,
        actor,
        "update",
        "administration",
        adm.id,
        {
            "change": "complete",
            "client_id": adm.client_id,
            "answered": len(adm.answers or {}),
            "complete": result.complete,
            "risk_alerts": len(alerts),
        },
    )
    return get(session, adm.id)


def void(session: Session, administration_id: int, reason: str, *, actor: str | None) -> AdministrationInfo:
    """Void an administration: kept with its answers and results, hidden from trends, audited.

    Works on in-progress and completed administrations.  Risk alerts it raised stay open.

    Raises:
        UserInputError: no reason given.
        ConflictError: already voided.
    """
    text = (reason or "").strip()
    if not text:
        raise UserInputError("Give a reason for voiding this administration; it is kept in the record.")
    if len(text) > MAX_VOID_REASON:
        raise UserInputError(f"The reason is too long (at most {MAX_VOID_REASON} characters).")
    adm = _load(session, administration_id)
    if adm.status == AdministrationStatus.VOIDED.value:
        raise ConflictError("This administration is already voided.")
    before = adm.status
    adm.status = AdministrationStatus.VOIDED.value
    adm.void_reason = text
    adm.voided_at = utcnow()
    session.flush()
    audit.record(
        session, actor, "void", "administration", adm.id, {"client_id": adm.client_id, "was": before}
    )
    return get(session, adm.id)


def rescore(
    session: Session,
    administration_id: int,
    *,
    actor: str | None,
    options: ScoringOptions | None = None,
    form: Form | None = None,
) -> RescoreOutcome:
    """Score a completed administration again (after a scoring-rule or practice-option change).

    Both results are kept: the old ``score_result`` row becomes ``current`` False and the administration
    shows the new one.  When nothing differs nothing is written.

    Args:
        options: scoring options; default from Practice settings.
        form: score with this instrument version instead of the administration's own (same id; it must
            have every answered item), e.g. a newer file whose scoring was corrected.

    Raises:
        ConflictError: the administration is not completed.
        UserInputError: ``form`` is another instrument or lacks an answered item.
    """
    adm = _load(session, administration_id)
    if adm.status != AdministrationStatus.COMPLETE.value or adm.result is None:
        raise ConflictError("Only a completed administration can be scored again.")
    own = row_form(session, adm)
    use = form or own
    if use.id != adm.form_id:
        raise UserInputError(f"{use.id} is not the instrument this administration used ({adm.form_id}).")
    known = {it.id for it in use.items}
    lacking = [k for k in (adm.answers or {}) if k not in known]
    if lacking:
        raise UserInputError(
            f"{use.id} version {use.version} has no item(s) {', '.join(lacking)}; "
            "it cannot score these answers."
        )
    if use is not own:
        snapshot(session, use)
    old = Result.from_json(adm.result)
    new = score(use, adm.answers or {}, options or default_options(session, use))
    diff = diff_results(old, new)
    lines = tuple(diff.lines())
    versions_changed = (old.form_version, old.scoring_version) != (new.form_version, new.scoring_version)
    if versions_changed and not lines:
        lines = (f"scoring version: {old.scoring_version} → {new.scoring_version}",)
    if lines:
        store_result(session, adm, new, utcnow())
        session.flush()
        audit.record(
            session,
            actor,
            "update",
            "administration",
            adm.id,
            {"change": "rescore", "scoring_version": new.scoring_version, "differences": len(lines)},
        )
    return RescoreOutcome(old, new, lines)


def results_history(session: Session, administration_id: int) -> list[tuple[dt.datetime, bool, Result]]:
    """Every result computed for an administration, oldest first: ``(computed_at, current, result)``."""
    rows = session.execute(
        select(ScoreResult)
        .where(ScoreResult.administration_id == administration_id)
        .order_by(ScoreResult.computed_at, ScoreResult.id)
    ).scalars()
    return [(r.computed_at, r.current, Result.from_json(r.result)) for r in rows]
