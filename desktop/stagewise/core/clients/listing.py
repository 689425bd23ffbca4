"""The client list: type-ahead search, sorting and paging, with each client's reassessment status.

Names are stored as typed; each has a folded search key beside it (:mod:`stagewise.core.text`), so the
type-ahead search is case- and accent-insensitive: every word typed must be the start of a word of the
given name, of the family name, or the start of the chart number (``smith jo`` finds Jo Smith).

The app's first screen is this list, shown before SQLAlchemy has loaded: the queries are plain
parameterised SQL on a DBAPI connection (:mod:`stagewise.core.storage.rawdb`), and this module imports no
SQLAlchemy.  ``db`` is a SQLAlchemy ``Session`` or a DBAPI connection to the practice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stagewise.core.administrations.reassessment import ClientFilter, combine, focus_reassessments
from stagewise.core.enums import ClientStatus
from stagewise.core.errors import UserInputError
from stagewise.core.settings import load_settings
from stagewise.core.storage.rawdb import fetch_all
from stagewise.core.text import search_words

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from stagewise.core.storage.rawdb import DBAPIConnection

SORTS = ("family_name", "given_name", "chart_number", "date_of_birth", "next_due", "status")

# The columns each sort orders by (``next_due`` is sorted in Python); the id always breaks ties.
_ORDER: dict[str, tuple[str, ...]] = {
    "family_name": ("client.family_name_key", "client.given_name_key"),
    "given_name": ("client.given_name_key", "client.family_name_key"),
    "chart_number": ("client.chart_number",),
    "date_of_birth": ("client.date_of_birth", "client.family_name_key"),
    "status": ("client.status", "client.family_name_key", "client.given_name_key"),
}

_COLUMNS = (
    "client.id, client.chart_number, client.given_name, client.family_name, client.date_of_birth,"
    " client.status, client.clinician_id"
)

# A word must start the key or follow one of its spaces.  Keys hold only letters, digits and single spaces,
# and search words only letters and digits, so no LIKE wildcard can appear in them.
_WORD_PREFIX = (
    "client.given_name_key LIKE ? OR client.given_name_key LIKE ?"
    " OR client.family_name_key LIKE ? OR client.family_name_key LIKE ?"
)


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


def _search_terms(query: str) -> tuple[list[str], list[object]]:
    """One SQL condition per whitespace-separated token of ``query``, and their parameters.

    A token matches the start of the chart number (case-insensitive for ASCII letters, like SQLite's
    LIKE; ``%``, ``_`` and ``\\`` are plain text), or every folded part of it starts a word of the given
    or family name.
    """
    terms: list[str] = []
    params: list[object] = []
    for token in query.split():
        alternatives = ["client.chart_number LIKE ? ESCAPE '\\'"]
        params.append(f"{_escape_like(token)}%")
        for part in search_words(token):
            alternatives.append(f"({_WORD_PREFIX})")
            params.extend((f"{part}%", f"% {part}%", f"{part}%", f"% {part}%"))
        if len(alternatives) == 1:
            terms.append(alternatives[0])
        else:
            terms.append(f"({alternatives[0]} OR ({' AND '.join(alternatives[1:])}))")
    return terms, params


def _filter(query: str, status: ClientStatus | None) -> ClientFilter:
    """The clients shared by :func:`list_clients` and :func:`count_clients`."""
    terms, params = _search_terms(query)
    if status is not None:
        terms.insert(0, "client.status = ?")
        params.insert(0, status.value)
    return ClientFilter(" AND ".join(terms) or "1", tuple(params))


def _order(sort: str, descending: bool) -> str:
    columns = [*_ORDER[sort], "client.id"]
    return ", ".join(f"{c} DESC" for c in columns) if descending else ", ".join(columns)


def list_clients(
    db: Session | DBAPIConnection,
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
        db: a session or a DBAPI connection to the practice.
        query: words to match: each whitespace-separated word must be the start of the chart number
            (ignoring the case of ASCII letters), or each of its folded parts must start a word of the
            given or family name (``smith jo``, ``Łuk``, ``c-0``).
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
    today = today or dt.date.today()
    default_days = load_settings(db).reassessment_days
    clients = _filter(query, status)
    base = f"SELECT {_COLUMNS} FROM client WHERE {clients.where}"
    if sort == "next_due":
        order = _order("family_name", False)
        rows = fetch_all(db, f"{base} ORDER BY {order}", clients.params)
        due = focus_reassessments(db, clients, default_days=default_days)
    else:
        sql = f"{base} ORDER BY {_order(sort, descending)} LIMIT ? OFFSET ?"
        rows = fetch_all(db, sql, (*clients.params, -1 if limit is None else limit, offset))
        due = focus_reassessments(db, [r[0] for r in rows], default_days=default_days)
    active = ClientStatus.ACTIVE.value
    result: list[ClientRow] = []
    for client_id, chart, given, family, born, client_status, clinician_id in rows:
        st = combine(due.get(client_id, {}).values())
        next_due = st.next_due if client_status == active else None
        result.append(
            ClientRow(
                id=client_id,
                chart_number=chart,
                given_name=given,
                family_name=family,
                date_of_birth=dt.date.fromisoformat(born),
                status=ClientStatus(client_status),
                clinician_id=clinician_id,
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
    db: Session | DBAPIConnection, *, query: str = "", status: ClientStatus | None = ClientStatus.ACTIVE
) -> int:
    """How many clients :func:`list_clients` would return without a limit."""
    clients = _filter(query, status)
    rows = fetch_all(db, f"SELECT count(*) FROM client WHERE {clients.where}", clients.params)
    return int(rows[0][0])
