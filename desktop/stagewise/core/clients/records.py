"""Clients and their focuses: create, change, discharge, find.

The validators live in :mod:`stagewise.core.clients.fields`, the list and search in
:mod:`stagewise.core.clients.listing`, reassessment status in
:mod:`stagewise.core.administrations.reassessment`; this module
re-exports them, so ``from stagewise.core.clients.records import list_clients`` keeps working.

Audit events name ids and changed field *names* only, never the names or dates themselves.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.administrations.reassessment import (
    Reassessment,
    combine,
    focus_reassessments,
    reassessment_status,
)
from stagewise.core.audit import trail as audit
from stagewise.core.clients.fields import (
    EARLIEST_BIRTH,
    FOCUS_KEY_RE,
    MAX_CHART_NUMBER,
    MAX_FOCUS_KEY,
    MAX_LABEL,
    MAX_NAME,
    MAX_REASSESSMENT_DAYS,
    FocusInput,
    chart_number_problem,
    check_focus,
    date_of_birth_problem,
    focus_key_problem,
    focus_problems,
    label_problem,
    name_problem,
    optional_text,
    raise_problem,
    reassessment_days_problem,
)
from stagewise.core.clients.listing import SORTS, ClientRow, count_clients, list_clients
from stagewise.core.errors import ConflictError, NotFoundError, UserInputError
from stagewise.core.models import Client, ClientStatus, Focus, Role, User, utcnow
from stagewise.core.text import clean_line, name_key
from stagewise.core.users import require_clinical

log = logging.getLogger(__name__)


class Unset(enum.Enum):
    """Marks an argument that was not given (so ``None`` can mean "clear it")."""

    UNSET = enum.auto()


UNSET = Unset.UNSET


# --------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class FocusInfo:
    id: int
    client_id: int
    key: str
    label: str
    behaviour_phrase: str | None
    reassessment_days: int | None
    active: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ClientInfo:
    id: int
    chart_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    status: ClientStatus
    clinician_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    discharged_at: dt.datetime | None
    focuses: tuple[FocusInfo, ...]  # every focus, removed ones too (``active`` False), oldest first

    @property
    def display_name(self) -> str:
        """``Family, Given``."""
        return f"{self.family_name}, {self.given_name}"

    @property
    def active_focuses(self) -> tuple[FocusInfo, ...]:
        return tuple(f for f in self.focuses if f.active)


def focus_info(focus: Focus) -> FocusInfo:
    """The value form of a focus row."""
    return FocusInfo(
        id=focus.id,
        client_id=focus.client_id,
        key=focus.key,
        label=focus.label,
        behaviour_phrase=focus.behaviour_phrase,
        reassessment_days=focus.reassessment_days,
        active=focus.active,
        created_at=focus.created_at,
    )


def client_info(client: Client) -> ClientInfo:
    """The value form of a client row (with its focuses)."""
    return ClientInfo(
        id=client.id,
        chart_number=client.chart_number,
        given_name=client.given_name,
        family_name=client.family_name,
        date_of_birth=client.date_of_birth,
        status=ClientStatus(client.status),
        clinician_id=client.clinician_id,
        created_at=client.created_at,
        updated_at=client.updated_at,
        discharged_at=client.discharged_at,
        focuses=tuple(focus_info(f) for f in client.focuses),
    )


# --------------------------------------------------------------------------------------------------------
# Checks against the practice file


def check_clinician(session: Session, clinician_id: int | None) -> None:
    """Refuse a clinician id that is not an account with the clinician role."""
    if clinician_id is None:
        return
    user = session.get(User, clinician_id)
    if user is None:
        raise NotFoundError(f"There is no user with id {clinician_id}.")
    if Role.CLINICIAN not in user.role_set:
        raise UserInputError(f"User {user.username} is not a clinician; choose a clinician.")


def _chart_taken(session: Session, chart_number: str, *, except_id: int | None = None) -> bool:
    q = select(Client.id).where(Client.chart_number == chart_number)
    if except_id is not None:
        q = q.where(Client.id != except_id)
    return session.execute(q).first() is not None


def chart_in_use_message(chart_number: str) -> str:
    return f"Chart number {chart_number} is already in use by another client; choose another."


# --------------------------------------------------------------------------------------------------------
# Clients


def _load(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError(f"There is no client with id {client_id}.")
    return client


def _new_focus(focus: FocusInput) -> Focus:
    return Focus(
        key=focus.key,
        label=clean_line(focus.label),
        behaviour_phrase=optional_text(focus.behaviour_phrase),
        reassessment_days=focus.reassessment_days,
        active=True,
    )


def _set_name(client: Client, field: str, value: str) -> bool:
    """Set ``given_name`` or ``family_name`` with its search key (``…_key``); True when it changed."""
    raise_problem(field, name_problem(value))
    cleaned = clean_line(value)
    if cleaned == getattr(client, field):
        return False
    setattr(client, field, cleaned)
    setattr(client, f"{field}_key", name_key(cleaned))
    return True


def create_client(
    session: Session,
    *,
    chart_number: str,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    clinician_id: int | None = None,
    focuses: Sequence[FocusInput] = (),
    actor: str | None,
) -> ClientInfo:
    """Add a client (active) with any focuses.

    Raises:
        UserInputError: a name, chart number, date of birth or focus is not acceptable.
        ConflictError: the chart number is in use.
        NotFoundError: ``clinician_id`` is not an account.
    """
    raise_problem("chart_number", chart_number_problem(chart_number))
    raise_problem("given_name", name_problem(given_name))
    raise_problem("family_name", name_problem(family_name))
    raise_problem("date_of_birth", date_of_birth_problem(date_of_birth))
    keys_seen: set[str] = set()
    for focus in focuses:
        check_focus(focus)
        if focus.key in keys_seen:
            raise UserInputError(f"The focus id {focus.key} is listed twice.")
        keys_seen.add(focus.key)
    check_clinician(session, clinician_id)
    chart = chart_number.strip()
    if _chart_taken(session, chart):
        raise ConflictError(chart_in_use_message(chart))
    given, family = clean_line(given_name), clean_line(family_name)
    client = Client(
        chart_number=chart,
        given_name=given,
        family_name=family,
        given_name_key=name_key(given),
        family_name_key=name_key(family),
        date_of_birth=date_of_birth,
        status=ClientStatus.ACTIVE.value,
        clinician_id=clinician_id,
    )
    client.focuses = [_new_focus(f) for f in focuses]
    session.add(client)
    session.flush()
    audit.record(session, actor, "create", "client", client.id, {"focuses": [f.id for f in client.focuses]})
    log.info("created client %s", client.id)
    return client_info(client)


def update_client(
    session: Session,
    client_id: int,
    *,
    actor: str | None,
    given_name: str | Unset = UNSET,
    family_name: str | Unset = UNSET,
    date_of_birth: dt.date | Unset = UNSET,
    chart_number: str | Unset = UNSET,
    clinician_id: int | Unset | None = UNSET,
) -> ClientInfo:
    """Change the given fields only; the audit event lists the names of the fields that changed."""
    client = _load(session, client_id)
    changed: list[str] = []
    for field, name in (("given_name", given_name), ("family_name", family_name)):
        if not isinstance(name, Unset) and _set_name(client, field, name):
            changed.append(field)
    if not isinstance(date_of_birth, Unset):
        raise_problem("date_of_birth", date_of_birth_problem(date_of_birth))
        if date_of_birth != client.date_of_birth:
            client.date_of_birth = date_of_birth
            changed.append("date_of_birth")
    if not isinstance(chart_number, Unset):
        raise_problem("chart_number", chart_number_problem(chart_number))
        chart = chart_number.strip()
        if chart != client.chart_number:
            if _chart_taken(session, chart, except_id=client.id):
                raise ConflictError(chart_in_use_message(chart))
            client.chart_number = chart
            changed.append("chart_number")
    if not isinstance(clinician_id, Unset) and clinician_id != client.clinician_id:
        check_clinician(session, clinician_id)
        client.clinician_id = clinician_id
        changed.append("clinician_id")
    if changed:
        client.updated_at = utcnow()
        session.flush()
        audit.record(session, actor, "update", "client", client.id, {"fields": changed})
    return client_info(client)


def discharge(session: Session, client_id: int, *, actor: str | None) -> ClientInfo:
    """Mark a client discharged (records stay; reassessment reminders stop)."""
    client = _load(session, client_id)
    if client.status == ClientStatus.DISCHARGED.value:
        raise ConflictError("This client is already discharged.")
    client.status = ClientStatus.DISCHARGED.value
    client.discharged_at = client.updated_at = utcnow()
    session.flush()
    audit.record(
        session, actor, "update", "client", client.id, {"fields": ["status"], "status": "discharged"}
    )
    return client_info(client)


def reactivate(session: Session, client_id: int, *, actor: str | None) -> ClientInfo:
    """Make a discharged client active again."""
    client = _load(session, client_id)
    if client.status == ClientStatus.ACTIVE.value:
        raise ConflictError("This client is already active.")
    client.status = ClientStatus.ACTIVE.value
    client.discharged_at = None
    client.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "update", "client", client.id, {"fields": ["status"], "status": "active"})
    return client_info(client)


def get_client(
    session: Session, client_id: int, *, actor: str | None, record_view: bool = True
) -> ClientInfo:
    """A client with focuses; records a chart ``view`` audit event unless ``record_view`` is False.

    Recording a view is opening the chart: refused to an account without a clinical role (the client list,
    editing and discharging stay open to practice administrators; they read no clinical content).

    Raises:
        NotFoundError: no such client.
        ClinicalRoleRequiredError: opening the chart as an account that is not clinician or supervisor.
    """
    if record_view:
        require_clinical(session, actor)
    client = _load(session, client_id)
    if record_view:
        audit.record(session, actor, "view", "client", client.id)
    return client_info(client)


def get_by_chart_number(session: Session, chart_number: str) -> ClientInfo | None:
    """The client with this chart number (exact, after trimming), or None.  Records no view."""
    client = session.execute(
        select(Client).where(Client.chart_number == chart_number.strip())
    ).scalar_one_or_none()
    return None if client is None else client_info(client)


# --------------------------------------------------------------------------------------------------------
# Focuses


def _load_focus(session: Session, focus_id: int) -> Focus:
    focus = session.get(Focus, focus_id)
    if focus is None:
        raise NotFoundError(f"There is no focus with id {focus_id}.")
    return focus


def add_focus(session: Session, client_id: int, focus: FocusInput, *, actor: str | None) -> FocusInfo:
    """Add a focus to a client.  Adding back a removed focus's id makes that focus active again
    (with the new label and settings), so its history continues.

    Raises:
        UserInputError: bad key, label, phrase or interval.
        ConflictError: the client already has an active focus with this key.
    """
    client = _load(session, client_id)
    check_focus(focus)
    existing = session.execute(
        select(Focus).where(Focus.client_id == client.id, Focus.key == focus.key)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.active:
            raise ConflictError(f"This client already has a focus with id {focus.key}.")
        existing.active = True
        existing.removed_at = None
        existing.label = clean_line(focus.label)
        existing.behaviour_phrase = optional_text(focus.behaviour_phrase)
        existing.reassessment_days = focus.reassessment_days
        session.flush()
        audit.record(
            session, actor, "update", "focus", existing.id, {"fields": ["active"], "client": client.id}
        )
        return focus_info(existing)
    row = _new_focus(focus)
    client.focuses.append(row)
    session.flush()
    audit.record(session, actor, "create", "focus", row.id, {"client": client.id})
    return focus_info(row)


def update_focus(
    session: Session,
    focus_id: int,
    *,
    actor: str | None,
    label: str | Unset = UNSET,
    behaviour_phrase: str | Unset | None = UNSET,
    reassessment_days: int | Unset | None = UNSET,
) -> FocusInfo:
    """Change a focus's wording or interval (its key is permanent: records refer to it)."""
    focus = _load_focus(session, focus_id)
    changed: list[str] = []
    if not isinstance(label, Unset):
        raise_problem("label", label_problem(label))
        if clean_line(label) != focus.label:
            focus.label = clean_line(label)
            changed.append("label")
    if not isinstance(behaviour_phrase, Unset):
        raise_problem("behaviour_phrase", label_problem(behaviour_phrase, optional=True))
        phrase = optional_text(behaviour_phrase)
        if phrase != focus.behaviour_phrase:
            focus.behaviour_phrase = phrase
            changed.append("behaviour_phrase")
    if not isinstance(reassessment_days, Unset):
        raise_problem("reassessment_days", reassessment_days_problem(reassessment_days))
        if reassessment_days != focus.reassessment_days:
            focus.reassessment_days = reassessment_days
            changed.append("reassessment_days")
    if changed:
        session.flush()
        audit.record(session, actor, "update", "focus", focus.id, {"fields": changed})
    return focus_info(focus)


def remove_focus(session: Session, focus_id: int, *, actor: str | None) -> FocusInfo:
    """Retire a focus (soft: its administrations and stages stay in the record)."""
    focus = _load_focus(session, focus_id)
    if focus.active:
        focus.active = False
        focus.removed_at = utcnow()
        session.flush()
        audit.record(session, actor, "update", "focus", focus.id, {"fields": ["active"], "active": False})
    return focus_info(focus)


# --------------------------------------------------------------------------------------------------------
# Reassessment status of one client


def client_reassessment(session: Session, client_id: int, *, today: dt.date | None = None) -> Reassessment:
    """One client's reassessment status (nothing due once discharged)."""
    from stagewise.core.settings import load_settings

    client = _load(session, client_id)
    per_focus = focus_reassessments(
        session, [client_id], default_days=load_settings(session).reassessment_days
    )
    status = combine(per_focus.get(client_id, {}).values())
    if client.status != ClientStatus.ACTIVE.value:
        return Reassessment(status.last_assessed, None)
    return status


__all__ = [
    "EARLIEST_BIRTH",
    "FOCUS_KEY_RE",
    "MAX_CHART_NUMBER",
    "MAX_FOCUS_KEY",
    "MAX_LABEL",
    "MAX_NAME",
    "MAX_REASSESSMENT_DAYS",
    "SORTS",
    "UNSET",
    "ClientInfo",
    "ClientRow",
    "FocusInfo",
    "FocusInput",
    "Reassessment",
    "Unset",
    "add_focus",
    "chart_in_use_message",
    "chart_number_problem",
    "check_clinician",
    "client_info",
    "client_reassessment",
    "combine",
    "count_clients",
    "create_client",
    "date_of_birth_problem",
    "discharge",
    "focus_info",
    "focus_key_problem",
    "focus_problems",
    "focus_reassessments",
    "get_by_chart_number",
    "get_client",
    "label_problem",
    "list_clients",
    "name_problem",
    "reactivate",
    "reassessment_days_problem",
    "reassessment_status",
    "remove_focus",
    "update_client",
    "update_focus",
]
