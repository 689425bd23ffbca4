"""The client list: type-ahead search, sorting and paging, with each client's reassessment status.

Names are stored as typed; each has a folded search key beside it (:mod:`stagewise.core.text`), so the
type-ahead search is case- and accent-insensitive: every word typed must be the start of a word of the
given name, of the family name, or the start of the chart number (``smith jo`` finds Jo Smith).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from stagewise.core.errors import UserInputError
from stagewise.core.models import Client, ClientStatus
from stagewise.core.reassessment import combine, focus_reassessments

SORTS = ("family_name", "given_name", "chart_number", "date_of_birth", "next_due", "status")


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


def _filters(query: str, status: ClientStatus | None) -> list[ColumnElement[bool]]:
    """The WHERE terms shared by :func:`list_clients` and :func:`count_clients`."""
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(Client.status == status.value)
    cond = search_condition(query)
    if cond is not None:
        where.append(cond)
    return where


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
    where = _filters(query, status)
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
    where = _filters(query, status)
    return int(session.execute(select(func.count(Client.id)).where(*where)).scalar_one())
