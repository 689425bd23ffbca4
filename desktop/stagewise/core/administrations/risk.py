"""Risk alerts: a flagged answer (PHQ-9 item 9 > 0 …) must never be missed.

An item that carries a ``flag`` in its instrument file (``[items.flag]``, e.g. PHQ-9 item 9 at least 1;
``docs/instruments/phq-9.md``) raises a :class:`~stagewise.core.models.RiskAlert` **the moment the answer is
saved** (:func:`stagewise.core.administrations.lifecycle.answer`), not when the questionnaire is completed:
a crash, a lock or an administration that is never finished still leaves the alert in the chart. The answer
call returns a :class:`RiskPrompt` with the practice's safety text so the screen can interrupt the clinician
at once.

Life of an alert:

1. *raised*: one row per administration and flag (a changed answer does not raise a second one); an
   alert is never withdrawn automatically, even if the answer is changed back or the administration is
   voided — the client did give that answer.
2. *acknowledged*: the clinician records who, when and the action taken (:func:`acknowledge`).
3. *addressed*: closed, with an optional note (:func:`mark_addressed`).  Until then it shows in the chart
   (:func:`open_alerts`).

Audit events name ids and flag codes only; the action text stays in the alert row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, NotFoundError, UserInputError
from stagewise.core.models import Administration, RiskAlert, User, utcnow
from stagewise.core.settings import load_settings

MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class RiskPrompt:
    """What the screen must show at once after a flagged answer.

    Attributes:
        alert_id: the alert to acknowledge.
        flag: the flag code (``phq9_item9_positive``).
        item_id: the printed item whose answer raised it.
        message: the instrument's message for the flag.
        safety_text: the practice's configured safety text (Practice settings).
    """

    alert_id: int
    flag: str
    item_id: str | None
    message: str
    safety_text: str


@dataclass(frozen=True, slots=True)
class RiskAlertInfo:
    """One alert as the chart shows it."""

    id: int
    client_id: int
    administration_id: int
    form_id: str
    flag: str
    item_id: str | None
    raised_at: dt.datetime
    acknowledged_by_id: int | None
    acknowledged_by: str | None  # user name
    acknowledged_at: dt.datetime | None
    action_taken: str | None
    addressed_at: dt.datetime | None
    addressed_by_id: int | None
    addressed_note: str | None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def addressed(self) -> bool:
        return self.addressed_at is not None


def safety_text(session: Session) -> str:
    """The practice's safety text (Practice settings; ``settings.DEFAULT_SAFETY_TEXT`` until edited)."""
    return load_settings(session).safety_text


def raise_alert(
    session: Session,
    *,
    client_id: int,
    administration_id: int,
    flag: str,
    item_id: str | None,
    actor: str | None,
    now: dt.datetime | None = None,
) -> tuple[int, bool]:
    """Record an alert unless this administration already has one for ``flag``.

    Returns:
        ``(alert_id, created)``.
    """
    existing = session.execute(
        select(RiskAlert).where(RiskAlert.administration_id == administration_id, RiskAlert.flag == flag)
    ).scalar_one_or_none()
    if existing is not None:
        return existing.id, False
    alert = RiskAlert(
        client_id=client_id,
        administration_id=administration_id,
        flag=flag,
        item_id=item_id,
        raised_at=now or utcnow(),
    )
    session.add(alert)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "risk_alert",
        alert.id,
        {"administration_id": administration_id, "client_id": client_id, "flag": flag},
    )
    return alert.id, True


def is_acknowledged(session: Session, alert_id: int) -> bool:
    """Whether the alert has been acknowledged."""
    at = session.execute(select(RiskAlert.acknowledged_at).where(RiskAlert.id == alert_id)).scalar()
    return at is not None


def _alerts(session: Session, *conditions: object) -> list[RiskAlertInfo]:
    ack = aliased(User)
    q = (
        select(RiskAlert, Administration.form_id, ack.username)
        .join(Administration, Administration.id == RiskAlert.administration_id)
        .outerjoin(ack, ack.id == RiskAlert.acknowledged_by_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(RiskAlert.raised_at.desc(), RiskAlert.id.desc())
    )
    return [_info(a, form_id, username) for a, form_id, username in session.execute(q)]


def _info(a: RiskAlert, form_id: str, username: str | None) -> RiskAlertInfo:
    return RiskAlertInfo(
        id=a.id,
        client_id=a.client_id,
        administration_id=a.administration_id,
        form_id=form_id,
        flag=a.flag,
        item_id=a.item_id,
        raised_at=a.raised_at,
        acknowledged_by_id=a.acknowledged_by_id,
        acknowledged_by=username,
        acknowledged_at=a.acknowledged_at,
        action_taken=a.action_taken,
        addressed_at=a.addressed_at,
        addressed_by_id=a.addressed_by_id,
        addressed_note=a.addressed_note,
    )


def open_alerts(session: Session, *, client_id: int | None = None) -> list[RiskAlertInfo]:
    """Alerts not yet addressed (acknowledged or not), newest first; one client's or the whole practice's."""
    conditions: list[object] = [RiskAlert.addressed_at.is_(None)]
    if client_id is not None:
        conditions.append(RiskAlert.client_id == client_id)
    return _alerts(session, *conditions)


def alerts_for_administration(session: Session, administration_id: int) -> list[RiskAlertInfo]:
    """Every alert an administration raised, addressed ones included."""
    return _alerts(session, RiskAlert.administration_id == administration_id)


def get_alert(session: Session, alert_id: int) -> RiskAlertInfo:
    """One alert.

    Raises:
        NotFoundError: no such alert.
    """
    found = _alerts(session, RiskAlert.id == alert_id)
    if not found:
        raise NotFoundError(f"There is no risk alert {alert_id}.")
    return found[0]


def _required_text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UserInputError(f"Say {what}; it is required.")
    if len(text) > MAX_TEXT:
        raise UserInputError(f"The {what.split()[0]} text is too long (at most {MAX_TEXT} characters).")
    return text


def _load(session: Session, alert_id: int) -> RiskAlert:
    alert = session.get(RiskAlert, alert_id)
    if alert is None:
        raise NotFoundError(f"There is no risk alert {alert_id}.")
    return alert


def _check_user(session: Session, user_id: int) -> None:
    if session.get(User, user_id) is None:
        raise NotFoundError(f"There is no user {user_id}.")


def acknowledge(
    session: Session,
    alert_id: int,
    *,
    user_id: int,
    action_taken: str,
    actor: str | None,
    now: dt.datetime | None = None,
) -> RiskAlertInfo:
    """Record the clinician's acknowledgement of an alert: who, when and the action taken.

    Args:
        session: the caller's transaction.
        alert_id: the alert.
        user_id: the clinician acknowledging it.
        action_taken: what was done (required; e.g. "asked directly; no plan or intent; safety plan made").
        actor: user name for the audit log.
        now: the time to record (tests); defaults to now.

    Raises:
        NotFoundError: no such alert or user.
        UserInputError: no action given.
        ConflictError: it was already acknowledged.
    """
    alert = _load(session, alert_id)
    text = _required_text(action_taken, "what action was taken")
    _check_user(session, user_id)
    if alert.acknowledged_at is not None:
        raise ConflictError("This risk alert has already been acknowledged; add a note when addressing it.")
    alert.acknowledged_by_id = user_id
    alert.acknowledged_at = now or utcnow()
    alert.action_taken = text
    session.flush()
    audit.record(
        session,
        actor,
        "acknowledge",
        "risk_alert",
        alert.id,
        {"client_id": alert.client_id, "flag": alert.flag, "user_id": user_id},
    )
    return get_alert(session, alert.id)


def mark_addressed(
    session: Session,
    alert_id: int,
    *,
    user_id: int,
    actor: str | None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> RiskAlertInfo:
    """Close an acknowledged alert: it no longer shows as open in the chart (it stays in the record).

    Raises:
        NotFoundError: no such alert or user.
        ConflictError: not acknowledged yet (acknowledge first, with the action taken), or already closed.
    """
    alert = _load(session, alert_id)
    _check_user(session, user_id)
    if alert.acknowledged_at is None:
        raise ConflictError(
            "Acknowledge this risk alert (with the action taken) before marking it addressed."
        )
    if alert.addressed_at is not None:
        raise ConflictError("This risk alert has already been addressed.")
    alert.addressed_at = now or utcnow()
    alert.addressed_by_id = user_id
    cleaned = (note or "").strip()
    if len(cleaned) > MAX_TEXT:
        raise UserInputError(f"The note is too long (at most {MAX_TEXT} characters).")
    alert.addressed_note = cleaned or None
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "risk_alert",
        alert.id,
        {"client_id": alert.client_id, "flag": alert.flag, "addressed": True, "user_id": user_id},
    )
    return get_alert(session, alert.id)
