"""The stage records the practice dashboard and reports compute from, read as plain rows.

Fast path: plain SQL on the session's connection, each distinct date parsed once (``docs/performance.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from stagewise.core.gc_pause import gc_paused
from stagewise.core.models import (
    ClientStatus,
    Stage,
    parse_utc,
)
from stagewise.core.stages.metrics import MetricRecord
from stagewise.core.users import people

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
