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
  registry ignore it.  Re-scoring keeps every earlier result (``score_result`` rows; the newest is current).

Decisions: a *discharged* client may still be given an instrument (follow-up outcome measurement is
routine; nothing is due for them, so the registry stays quiet).  A *removed* focus cannot start a new
administration, but one already open when the focus is removed keeps saving answers and may be completed
(never lose an answer); ``AdministrationInfo.focus_removed`` lets the screen say so.  An administration
may be completed with answers missing: the result then says ``complete`` false and lists them.

Reading lives in :mod:`.administration_queries`, the stored instrument versions in :mod:`.form_versions`,
results and risk alerts in :mod:`.administration_results`; this module re-exports their public names, so
``administrations.history`` and the like keep working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from stagewise.core.administrations import risk
from stagewise.core.administrations.form_versions import row_form, snapshot, stored_form
from stagewise.core.administrations.queries import (
    AdministrationInfo,
    AdministrationScreen,
    ItemColumn,
    ItemHistory,
    ItemRow,
    ItemView,
    Number,
    OptionView,
    form_for,
    get,
    history,
    in_progress,
    info_query,
    item_history,
    item_text,
    latest_results_for_focus,
    load_administration,
    ordered_form_choices,
    previous,
    recent_forms,
    results_history,
    resume_point,
    screen,
    stage_comparison,
)
from stagewise.core.administrations.results import (
    default_options,
    raise_item_alert,
    raise_risk_alerts,
    store_result,
)
from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, NotFoundError, UserInputError
from stagewise.core.instruments.loader import Library, load_library
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import Result, ScoringOptions, diff_results, score, validate_answer
from stagewise.core.models import (
    Administration,
    AdministrationMode,
    AdministrationStatus,
    Client,
    Focus,
    User,
    utcnow,
)
from stagewise.core.users import require_clinical

MAX_VOID_REASON = 1000

# --------------------------------------------------------------------------------------------------------
# Values


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


# --------------------------------------------------------------------------------------------------------
# Changing


def _open(session: Session, administration_id: int) -> Administration:
    adm = load_administration(session, administration_id)
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
        focus_id: the focus the answers refer to; its phrase fills "[the behaviour]".  Ignored for a
            client-level instrument (``subject = "client"``: PHQ-9, GAD-7), which is always filed without one.
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
        ClinicalRoleRequiredError: ``actor`` is an account without a clinical role.
    """
    require_clinical(session, actor)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError(f"There is no client {client_id}.")
    form = (library or load_library()).get(form_id)
    if form.client_level:
        focus_id = None  # about the client as a whole: one history whatever focus the screen has selected
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
        alert_id = raise_item_alert(session, adm, flag.name, item_id, actor, now)
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
    adm = load_administration(session, administration_id)
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

    Both results are kept: a new ``score_result`` row is added (the newest is current) and the administration
    shows the new one.  When nothing differs nothing is written.

    Args:
        options: scoring options; default from Practice settings.
        form: score with this instrument version instead of the administration's own (same id; it must
            have every answered item), e.g. a newer file whose scoring was corrected.

    Raises:
        ConflictError: the administration is not completed.
        UserInputError: ``form`` is another instrument or lacks an answered item.
    """
    adm = load_administration(session, administration_id)
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


__all__ = [
    "MAX_VOID_REASON",
    "AdministrationInfo",
    "AdministrationScreen",
    "AnswerSaved",
    "ItemColumn",
    "ItemHistory",
    "ItemRow",
    "ItemView",
    "Number",
    "OptionView",
    "RescoreOutcome",
    "answer",
    "behaviour_phrase",
    "clear_answer",
    "complete",
    "default_options",
    "form_for",
    "get",
    "history",
    "in_progress",
    "info_query",
    "item_history",
    "item_text",
    "latest_results_for_focus",
    "ordered_form_choices",
    "previous",
    "raise_risk_alerts",
    "recent_forms",
    "rescore",
    "results_history",
    "resume_point",
    "row_form",
    "screen",
    "set_current_item",
    "snapshot",
    "stage_comparison",
    "start",
    "store_result",
    "stored_form",
    "void",
]
