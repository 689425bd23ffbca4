"""Clients and their focuses: create, change, discharge, find, list with reassessment status.

Names are stored as typed; each has a folded search key beside it (:mod:`stagewise.core.text`), so the
type-ahead search is case- and accent-insensitive: every word typed must be the start of a word of the
given name, of the family name, or the start of the chart number (``smith jo`` finds Jo Smith).

The validators (``*_problem``) return a reason or None; :mod:`stagewise.core.interchange` uses them to
collect every problem of an import file, the create/update functions raise the first one.

Audit events name ids and changed field *names* only, never the names or dates themselves.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from stagewise.core import audit
from stagewise.core.errors import ConflictError, NotFoundError, UserInputError
from stagewise.core.models import (
    Administration,
    AdministrationStatus,
    Client,
    ClientStatus,
    Focus,
    Role,
    StageBasis,
    StageRecord,
    User,
    utcnow,
)
from stagewise.core.text import clean_line, name_key

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_CHART_NUMBER = 40
MAX_FOCUS_KEY = 64
MAX_LABEL = 200
MAX_REASSESSMENT_DAYS = 3650
EARLIEST_BIRTH = dt.date(1900, 1, 1)
FOCUS_KEY_RE = re.compile(r"[a-z0-9_-]{1,64}")
SORTS = ("family_name", "given_name", "chart_number", "date_of_birth", "next_due", "status")


class Unset(enum.Enum):
    """Marks an argument that was not given (so ``None`` can mean "clear it")."""

    UNSET = enum.auto()


UNSET = Unset.UNSET


# --------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class FocusInput:
    """A focus to add: ``key`` is a slug (``alcohol``), ``label`` the wording (``Alcohol``)."""

    key: str
    label: str
    behaviour_phrase: str | None = None
    reassessment_days: int | None = None


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


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One line of the client list."""

    id: int
    chart_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    status: ClientStatus
    clinician_id: int | None
    last_assessed: dt.date | None
    next_due: dt.date | None
    overdue: bool

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


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
# Validators: a reason (lowercase, for "<field>: <reason>") or None.


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def name_problem(value: object) -> str | None:
    """Why ``value`` cannot be a given or family name."""
    if not isinstance(value, str):
        return "must be text"
    cleaned = clean_line(value)
    if not cleaned:
        return "must not be empty"
    if len(cleaned) > MAX_NAME:
        return f"must have at most {MAX_NAME} characters"
    if _has_control(cleaned):
        return "must not contain control characters"
    if not name_key(cleaned):
        return "must contain at least one letter or digit"
    return None


def chart_number_problem(value: object) -> str | None:
    """Why ``value`` cannot be a chart number (1–40 printable characters)."""
    if not isinstance(value, str):
        return "must be text"
    cleaned = value.strip()
    if not cleaned:
        return "must not be empty"
    if len(cleaned) > MAX_CHART_NUMBER:
        return f"must have at most {MAX_CHART_NUMBER} characters"
    if not cleaned.isprintable():
        return "must contain only printable characters"
    return None


def date_of_birth_problem(value: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` cannot be a date of birth (not in the future, not before 1900)."""
    today = today or dt.date.today()
    if value > today:
        return "is in the future"
    if value < EARLIEST_BIRTH:
        return "is before 1900"
    return None


def focus_key_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    if not FOCUS_KEY_RE.fullmatch(value):
        return f"must be 1 to {MAX_FOCUS_KEY} lowercase letters, digits, dashes or underscores (like alcohol)"
    return None


def label_problem(value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        return "must be text"
    cleaned = clean_line(value)
    if not cleaned and not optional:
        return "must not be empty"
    if len(cleaned) > MAX_LABEL:
        return f"must have at most {MAX_LABEL} characters"
    if _has_control(cleaned):
        return "must not contain control characters"
    return None


def reassessment_days_problem(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number of days"
    if not 1 <= value <= MAX_REASSESSMENT_DAYS:
        return f"must be between 1 and {MAX_REASSESSMENT_DAYS} days"
    return None


def focus_problems(focus: FocusInput) -> list[tuple[str, str]]:
    """Every problem of a focus, as ``(field, reason)``."""
    checks = (
        ("key", focus_key_problem(focus.key)),
        ("label", label_problem(focus.label)),
        ("behaviour_phrase", label_problem(focus.behaviour_phrase, optional=True)),
        ("reassessment_days", reassessment_days_problem(focus.reassessment_days)),
    )
    return [(name, reason) for name, reason in checks if reason]


_FIELD_WORDS = {
    "given_name": "given name",
    "family_name": "family name",
    "chart_number": "chart number",
    "date_of_birth": "date of birth",
    "key": "focus id",
    "label": "focus label",
    "behaviour_phrase": "behaviour phrase",
    "reassessment_days": "reassessment interval",
}


def _raise_if(field_name: str, problem: str | None) -> None:
    if problem:
        raise UserInputError(f"The {_FIELD_WORDS.get(field_name, field_name)} {problem}.")


def _check_focus(focus: FocusInput) -> None:
    for name, reason in focus_problems(focus):
        _raise_if(name, reason)


def _optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = clean_line(value)
    return cleaned or None


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
        behaviour_phrase=_optional_text(focus.behaviour_phrase),
        reassessment_days=focus.reassessment_days,
        active=True,
    )


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
    _raise_if("chart_number", chart_number_problem(chart_number))
    _raise_if("given_name", name_problem(given_name))
    _raise_if("family_name", name_problem(family_name))
    _raise_if("date_of_birth", date_of_birth_problem(date_of_birth))
    keys_seen: set[str] = set()
    for focus in focuses:
        _check_focus(focus)
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
    if not isinstance(given_name, Unset):
        _raise_if("given_name", name_problem(given_name))
        if clean_line(given_name) != client.given_name:
            client.given_name = clean_line(given_name)
            client.given_name_key = name_key(client.given_name)
            changed.append("given_name")
    if not isinstance(family_name, Unset):
        _raise_if("family_name", name_problem(family_name))
        if clean_line(family_name) != client.family_name:
            client.family_name = clean_line(family_name)
            client.family_name_key = name_key(client.family_name)
            changed.append("family_name")
    if not isinstance(date_of_birth, Unset):
        _raise_if("date_of_birth", date_of_birth_problem(date_of_birth))
        if date_of_birth != client.date_of_birth:
            client.date_of_birth = date_of_birth
            changed.append("date_of_birth")
    if not isinstance(chart_number, Unset):
        _raise_if("chart_number", chart_number_problem(chart_number))
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

    Raises:
        NotFoundError: no such client.
    """
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
    _check_focus(focus)
    existing = session.execute(
        select(Focus).where(Focus.client_id == client.id, Focus.key == focus.key)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.active:
            raise ConflictError(f"This client already has a focus with id {focus.key}.")
        existing.active = True
        existing.removed_at = None
        existing.label = clean_line(focus.label)
        existing.behaviour_phrase = _optional_text(focus.behaviour_phrase)
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
        _raise_if("label", label_problem(label))
        if clean_line(label) != focus.label:
            focus.label = clean_line(label)
            changed.append("label")
    if not isinstance(behaviour_phrase, Unset):
        _raise_if("behaviour_phrase", label_problem(behaviour_phrase, optional=True))
        phrase = _optional_text(behaviour_phrase)
        if phrase != focus.behaviour_phrase:
            focus.behaviour_phrase = phrase
            changed.append("behaviour_phrase")
    if not isinstance(reassessment_days, Unset):
        _raise_if("reassessment_days", reassessment_days_problem(reassessment_days))
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
# Reassessment status


@dataclass(frozen=True, slots=True)
class Reassessment:
    """When a focus (or a client, over all its active focuses) was last assessed and is next due."""

    last_assessed: dt.date | None
    next_due: dt.date | None  # None: nothing due (paused, discharged, or no active focus)

    def overdue(self, today: dt.date) -> bool:
        """Due before ``today`` (due today is not yet overdue)."""
        return self.next_due is not None and self.next_due < today


def reassessment_status(
    *, last_assessed: dt.date | None, focus_added: dt.date, interval_days: int, paused: bool
) -> Reassessment:
    """The reassessment status of one focus.

    Args:
        last_assessed: date of the latest completed administration for the focus, if any.
        focus_added: when the focus was added; a focus never assessed is due from that day (baseline).
        interval_days: the focus's own interval, else the practice default.
        paused: the latest stage record says "not staged for now": no reminder until staged again.
    """
    if paused:
        return Reassessment(last_assessed, None)
    if last_assessed is None:
        return Reassessment(None, focus_added)
    return Reassessment(last_assessed, last_assessed + dt.timedelta(days=interval_days))


def combine(statuses: Iterable[Reassessment]) -> Reassessment:
    """A client's status from its focuses': the latest assessment and the earliest due date."""
    items = list(statuses)
    last = [s.last_assessed for s in items if s.last_assessed is not None]
    due = [s.next_due for s in items if s.next_due is not None]
    return Reassessment(max(last) if last else None, min(due) if due else None)


def _local_date(value: dt.datetime) -> dt.date:
    return value.astimezone().date()


def focus_reassessments(
    session: Session, client_ids: Sequence[int] | Any, *, default_days: int
) -> dict[int, dict[int, Reassessment]]:
    """``{client_id: {focus_id: Reassessment}}`` for the active focuses of the given clients.

    One statement: correlated subqueries on the ``(focus_id, …)`` indexes give each focus's latest
    completed administration and latest stage record basis.

    Args:
        session: any session.
        client_ids: a list of ids or a ``select(Client.id)`` subquery.
        default_days: the practice's reassessment interval for focuses without their own.
    """
    last_done = (
        select(func.max(Administration.completed_at))
        .where(
            Administration.focus_id == Focus.id,
            # Unary + keeps SQLite from using the low-selectivity status index, which made it scan every
            # completed administration for each focus (1.5 s for 5,000 clients instead of 0.05 s); see
            # https://www.sqlite.org/optoverview.html ("Disqualifying WHERE clause terms using unary-+").
            literal_column("+administration.status") == AdministrationStatus.COMPLETE.value,
        )
        .correlate(Focus)
        .scalar_subquery()
    )
    latest_basis = (
        select(StageRecord.basis)
        .where(StageRecord.focus_id == Focus.id)
        .order_by(StageRecord.effective.desc(), StageRecord.id.desc())
        .limit(1)
        .correlate(Focus)
        .scalar_subquery()
    )
    q = select(
        Focus.client_id, Focus.id, Focus.reassessment_days, Focus.created_at, last_done, latest_basis
    ).where(Focus.active, Focus.client_id.in_(client_ids))
    out: dict[int, dict[int, Reassessment]] = {}
    for client_id, focus_id, days, created, done, basis in session.execute(q):
        out.setdefault(client_id, {})[focus_id] = reassessment_status(
            last_assessed=None if done is None else _local_date(done),
            focus_added=_local_date(created),
            interval_days=days or default_days,
            paused=basis == StageBasis.NOT_STAGED.value,
        )
    return out


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


# --------------------------------------------------------------------------------------------------------
# Listing and search


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_prefix(column: Any, word: str) -> ColumnElement[bool]:
    # Keys hold only letters, digits and single spaces, and search words only letters and digits, so no
    # LIKE wildcard can appear in them.
    return or_(column.like(f"{word}%"), column.like(f"% {word}%"))


def search_condition(query: str) -> ColumnElement[bool] | None:
    """The WHERE clause for a type-ahead query (None for an empty query).

    Each whitespace-separated token must match: the start of the chart number (case-insensitive), or
    every folded part of it must start a word of the given or family name.
    """
    from stagewise.core.text import search_words

    conditions: list[ColumnElement[bool]] = []
    for token in query.split():
        alternatives: list[ColumnElement[bool]] = [
            Client.chart_number.like(f"{_escape_like(token)}%", escape="\\")
        ]
        parts = search_words(token)
        if parts:
            alternatives.append(
                and_(
                    *(
                        or_(_word_prefix(Client.given_name_key, p), _word_prefix(Client.family_name_key, p))
                        for p in parts
                    )
                )
            )
        conditions.append(or_(*alternatives))
    return and_(*conditions) if conditions else None


def _order(sort: str, descending: bool) -> list[Any]:
    columns: dict[str, list[Any]] = {
        "family_name": [Client.family_name_key, Client.given_name_key],
        "given_name": [Client.given_name_key, Client.family_name_key],
        "chart_number": [Client.chart_number],
        "date_of_birth": [Client.date_of_birth, Client.family_name_key],
        "status": [Client.status, Client.family_name_key, Client.given_name_key],
    }
    cols = [*columns[sort], Client.id]
    return [c.desc() for c in cols] if descending else cols


def list_clients(
    session: Session,
    *,
    query: str = "",
    status: ClientStatus | None = ClientStatus.ACTIVE,
    sort: str = "family_name",
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
    today: dt.date | None = None,
) -> list[ClientRow]:
    """The client list: filtered by a type-ahead ``query`` and ``status`` (None: all), sorted, paged.

    Args:
        session: any session.
        query: words to match (see :func:`search_condition`).
        status: only clients with this status; None for everyone.
        sort: one of :data:`SORTS`; ``next_due`` puts clients with nothing due last.
        descending: reverse the order.
        limit: at most this many rows; None for all.
        offset: skip this many rows first.
        today: the date that decides "overdue" (defaults to today's local date).

    Raises:
        UserInputError: unknown sort.
    """
    if sort not in SORTS:
        raise UserInputError(f"Cannot sort clients by {sort}; choose one of {', '.join(SORTS)}.")
    from stagewise.core.settings import load_settings

    today = today or dt.date.today()
    default_days = load_settings(session).reassessment_days
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(Client.status == status.value)
    cond = search_condition(query)
    if cond is not None:
        where.append(cond)
    columns = (
        Client.id,
        Client.chart_number,
        Client.given_name,
        Client.family_name,
        Client.date_of_birth,
        Client.status,
        Client.clinician_id,
    )
    base = select(*columns).where(*where)
    if sort == "next_due":
        rows = session.execute(base.order_by(Client.family_name_key, Client.given_name_key, Client.id)).all()
        due = focus_reassessments(session, select(Client.id).where(*where), default_days=default_days)
    else:
        q = base.order_by(*_order(sort, descending)).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        rows = session.execute(q).all()
        due = focus_reassessments(session, [r.id for r in rows], default_days=default_days)
    result: list[ClientRow] = []
    for r in rows:
        st = combine(due.get(r.id, {}).values())
        next_due = st.next_due if r.status == ClientStatus.ACTIVE.value else None
        result.append(
            ClientRow(
                id=r.id,
                chart_number=r.chart_number,
                given_name=r.given_name,
                family_name=r.family_name,
                date_of_birth=r.date_of_birth,
                status=ClientStatus(r.status),
                clinician_id=r.clinician_id,
                last_assessed=st.last_assessed,
                next_due=next_due,
                overdue=next_due is not None and next_due < today,
            )
        )
    if sort == "next_due":
        with_due = sorted((r for r in result if r.next_due is not None), key=lambda r: r.next_due or today)
        if descending:
            with_due.reverse()
        # The stable sort keeps name order among equal dates; clients with nothing due always come last.
        result = with_due + [r for r in result if r.next_due is None]
        result = result[offset : None if limit is None else offset + limit]
    return result


def count_clients(
    session: Session, *, query: str = "", status: ClientStatus | None = ClientStatus.ACTIVE
) -> int:
    """How many clients :func:`list_clients` would return without a limit."""
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(Client.status == status.value)
    cond = search_condition(query)
    if cond is not None:
        where.append(cond)
    return int(session.execute(select(func.count(Client.id)).where(*where)).scalar_one())
