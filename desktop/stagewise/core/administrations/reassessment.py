"""Reassessment status: when a focus (or a client, over its focuses) was last assessed and is next due.

The queries here are plain SQL on a DBAPI connection, and this module imports no SQLAlchemy: the app's
first screen (the client list with each client's status) shows before SQLAlchemy has loaded.  Every
function that reads takes ``db``: a SQLAlchemy ``Session`` (the statements run on its own connection, in
its transaction) or a DBAPI connection to the practice (:func:`stagewise.core.storage.rawdb.connect`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stagewise.core.enums import AdministrationStatus, StageBasis, parse_utc
from stagewise.core.storage.rawdb import DBAPIConnection, fetch_all

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ClientFilter:
    """Which clients, as a condition on the ``client`` table: SQL with ``?`` placeholders and their values.

    ``ClientFilter("client.status = ?", ("active",))`` stands for ``SELECT client.id FROM client WHERE
    client.status = ?``.  Pass one to :func:`focus_reassessments` to let SQLite pick the clients itself
    rather than sending it every id.
    """

    where: str = "1"
    params: tuple[object, ...] = ()

    def subquery(self) -> str:
        """The ``SELECT client.id …`` statement (its placeholders take :attr:`params`)."""
        return f"SELECT client.id FROM client WHERE {self.where}"


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


def _local_date(stored: str) -> dt.date:
    """The local calendar date of a stored UTC timestamp (``2026-01-05T09:30:00.000Z``)."""
    return parse_utc(stored).astimezone().date()


# Correlated subqueries give each focus's latest completed administration and latest stage record basis,
# each read from a covering index alone (ix_administration_focus_completed, ix_stage_record_focus_effective;
# a test checks the plan).  Unary + keeps the status term out of index selection, so no status index can
# lure SQLite into walking every completed administration for each focus (once 1.5 s instead of 0.05 s);
# see https://www.sqlite.org/optoverview.html ("Disqualifying WHERE clause terms using unary-+").
_FOCUS_REASSESSMENTS_SQL = """
SELECT focus.client_id, focus.id, focus.reassessment_days, focus.created_at,
       (SELECT max(administration.completed_at) FROM administration
         WHERE administration.focus_id = focus.id AND +administration.status = ?),
       (SELECT stage_record.basis FROM stage_record
         WHERE stage_record.focus_id = focus.id
         ORDER BY stage_record.effective DESC, stage_record.id DESC LIMIT 1)
  FROM focus
 WHERE focus.active = 1 AND focus.client_id IN ({clients})
"""


def focus_reassessments(
    db: Session | DBAPIConnection, client_ids: Sequence[int] | ClientFilter, *, default_days: int
) -> dict[int, dict[int, Reassessment]]:
    """``{client_id: {focus_id: Reassessment}}`` for the active focuses of the given clients.

    One statement: correlated subqueries on the ``(focus_id, …)`` indexes give each focus's latest
    completed administration and latest stage record basis.  A list of ids travels as one JSON parameter
    (``json_each``), so any number of ids fits SQLite's limit on bound parameters.

    Args:
        db: a session or a DBAPI connection to the practice.
        client_ids: a list of ids, or a :class:`ClientFilter` that selects them.
        default_days: the practice's reassessment interval for focuses without their own.
    """
    params: list[object] = [AdministrationStatus.COMPLETE.value]
    if isinstance(client_ids, ClientFilter):
        clients = client_ids.subquery()
        params.extend(client_ids.params)
    else:
        ids = [int(i) for i in client_ids]
        if not ids:
            return {}
        clients = "SELECT value FROM json_each(?)"
        params.append(json.dumps(ids))
    rows = fetch_all(db, _FOCUS_REASSESSMENTS_SQL.format(clients=clients), params)
    not_staged = StageBasis.NOT_STAGED.value
    out: dict[int, dict[int, Reassessment]] = {}
    for client_id, focus_id, days, created, done, basis in rows:
        out.setdefault(client_id, {})[focus_id] = reassessment_status(
            last_assessed=None if done is None else _local_date(done),
            focus_added=_local_date(created),
            interval_days=days or default_days,
            paused=basis == not_staged,
        )
    return out
