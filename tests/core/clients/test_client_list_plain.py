"""The client list and reassessment status as plain SQL: the same answers from a SQLAlchemy session and
from a bare DBAPI connection, no SQLAlchemy import on that path, any number of ids, and search text that
is only ever text."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from stagewise.core import text
from stagewise.core.administrations.reassessment import ClientFilter, focus_reassessments
from stagewise.core.clients import records as clients
from stagewise.core.clients.listing import SORTS, count_clients, list_clients
from stagewise.core.demo import DEMO_PASSPHRASE, generate_demo
from stagewise.core.models import Administration, Client, ClientStatus, Focus, Setting
from stagewise.core.settings import PracticeSettings, load_settings
from stagewise.core.storage import rawdb, store

DEFAULT_REASSESSMENT_DAYS = PracticeSettings().reassessment_days

TODAY = dt.date(2026, 3, 2)


@contextlib.contextmanager
def _raw(practice: store.Practice) -> Iterator[Any]:
    conn = rawdb.connect(practice.path, practice.key, pragmas=True)
    try:
        yield conn
    finally:
        conn.close()


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _assessed(session: Session, client_id: int, focus_id: int, day: dt.date) -> None:
    session.add(
        Administration(
            client_id=client_id,
            focus_id=focus_id,
            form_id="urica",
            form_version="1",
            mode="clinician",
            status="complete",
            completed_at=_noon(day),
        )
    )


def _jo_assessed(session: Session, day: dt.date) -> None:
    """Jo Smith (C-1), with one focus assessed on ``day``."""
    jo = clients.create_client(
        session,
        chart_number="C-1",
        given_name="Jo",
        family_name="Smith",
        date_of_birth=dt.date(1984, 6, 15),
        actor="jdoe",
        focuses=[clients.FocusInput("alcohol", "Alcohol")],
    )
    _assessed(session, jo.id, jo.focuses[0].id, day)


# --------------------------------------------------------------------------------------------------------
# A session and a bare connection agree


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[store.Practice]:
    path = tmp_path / "demo.stagewise"
    generate_demo(path, "small", 1, today=TODAY)
    key = store.unlock_key(path, passphrase=DEMO_PASSPHRASE, use_keyring=False).key
    practice = store.open_practice(path, key)
    try:
        yield practice
    finally:
        practice.close()


def test_session_and_connection_agree_on_a_demo_practice(demo: store.Practice) -> None:
    with _raw(demo) as raw, demo.session_factory() as session:
        people = raw.execute(
            "SELECT chart_number, given_name, family_name FROM client ORDER BY id"
        ).fetchall()
        queries = ["", "a", "%", "_", "zz"]
        for chart, given_name, family_name in people[::7]:
            queries += [
                chart[:3],
                given_name[:2],
                family_name[:4].upper(),
                f"{family_name[:3]} {given_name[:1]}",
            ]
        checked = 0
        for query in queries:
            for status in (ClientStatus.ACTIVE, ClientStatus.DISCHARGED, None):
                assert count_clients(raw, query=query, status=status) == count_clients(
                    session, query=query, status=status
                )
                for sort in SORTS:
                    for descending in (False, True):
                        for limit, offset in ((None, 0), (10, 0), (10, 5)):
                            kw: dict[str, Any] = {
                                "query": query,
                                "status": status,
                                "sort": sort,
                                "descending": descending,
                                "limit": limit,
                                "offset": offset,
                                "today": TODAY,
                            }
                            assert list_clients(raw, **kw) == list_clients(session, **kw), kw
                            checked += 1
        assert checked > 1000
        # The demo has a realistic spread of statuses, so the comparison above covered each kind.
        everyone = list_clients(raw, status=None, today=TODAY)
        assert len(everyone) == len(people)
        assert any(r.overdue for r in everyone)
        assert any(r.next_due is not None and not r.overdue for r in everyone)
        assert any(r.last_assessed is not None and r.next_due is None for r in everyone)
        assert {r.status for r in everyone} == set(ClientStatus)
        page = list_clients(raw, sort="next_due", limit=10, today=TODAY)
        due = [r.next_due for r in page if r.next_due is not None]
        assert due == sorted(due)


def test_a_session_s_pending_changes_are_listed(session: Session) -> None:
    session.add(
        Client(
            chart_number="P-1",
            given_name="Pat",
            family_name="Quinn",
            given_name_key="pat",
            family_name_key="quinn",
            date_of_birth=dt.date(1990, 1, 1),
        )
    )
    assert [r.chart_number for r in list_clients(session, query="quin")] == ["P-1"]
    assert count_clients(session) == 1


# --------------------------------------------------------------------------------------------------------
# No SQLAlchemy on the start-up path


def test_the_client_list_needs_no_sqlalchemy(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        _jo_assessed(s, dt.date(2026, 1, 5))
    script = textwrap.dedent(
        """
        import sys
        import stagewise.core.clients.listing as cl, stagewise.core.administrations.reassessment
        from stagewise.core.storage import rawdb

        path, key = sys.stdin.read().split()
        conn = rawdb.connect(path, bytes.fromhex(key), pragmas=True)
        rows = cl.list_clients(conn, sort="next_due")
        print(len(rows), rows[0].last_assessed, cl.count_clients(conn, query="smi"))
        unwanted = ("sqlalchemy", "stagewise.core.models")
        print(sorted(m for m in sys.modules if m in unwanted or m.startswith("sqlalchemy.")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=f"{practice.path} {practice.key.hex()}",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.splitlines() == ["1 2026-01-05 1", "[]"]


# --------------------------------------------------------------------------------------------------------
# Many ids


def test_more_ids_than_sqlite_binds_in_one_statement(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        rows = []
        for i in range(1200):
            c = Client(
                chart_number=f"M-{i:05d}",
                given_name="Sam",
                family_name=f"Lee{i % 7}",
                given_name_key="sam",
                family_name_key=text.name_key(f"Lee{i % 7}"),
                date_of_birth=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                status="active" if i % 4 else "discharged",
            )
            c.focuses = [
                Focus(key="alcohol", label="Alcohol", created_at=_noon(dt.date(2025, 1, 1 + i % 28)))
            ]
            rows.append(c)
        s.add_all(rows)
        s.flush()
        for c in rows[::3]:
            _assessed(s, c.id, c.focuses[0].id, dt.date(2026, 1, 1 + c.id % 28))
        ids = [c.id for c in rows]
    with _raw(practice) as raw, practice.session_factory() as session:
        by_ids = focus_reassessments(raw, [*ids, 10**9], default_days=30)
        assert sorted(by_ids) == ids
        assert by_ids == focus_reassessments(session, ids, default_days=30)
        assert by_ids == focus_reassessments(raw, ClientFilter(), default_days=30)
        active = focus_reassessments(raw, ClientFilter("client.status = ?", ("active",)), default_days=30)
        assert len(active) == 900
        assert active == {cid: v for cid, v in by_ids.items() if cid in active}
        assert focus_reassessments(raw, [], default_days=30) == {}
        # More ids than this SQLite build takes bound parameters (32,766): one JSON parameter holds them all.
        unknown = range(10**6, 10**6 + 40_000)
        assert focus_reassessments(raw, [*ids, *unknown], default_days=30) == by_ids
        for sort in ("family_name", "next_due"):
            everyone = list_clients(raw, status=None, sort=sort, today=TODAY)
            assert len(everyone) == 1200
            assert everyone == list_clients(session, status=None, sort=sort, today=TODAY)
        assert sum(r.last_assessed is not None for r in everyone) == 400


# --------------------------------------------------------------------------------------------------------
# Search text is text

CHARTS = ["50%-off", "500", "A_B", "AXB", "A\\B", "AB", "O'Hara-1", "OHara-2", 'Q"1', "Q1", "';--"]


@pytest.mark.parametrize(
    ("query", "charts"),
    [
        ("%", []),
        ("50%", ["50%-off"]),
        ("5%", []),
        ("_", []),
        ("A_", ["A_B"]),
        ("a_b", ["A_B"]),
        ("A\\", ["A\\B"]),
        ("\\", []),
        ("a%b", []),
        ("O'", ["O'Hara-1"]),
        ("o'hara", ["O'Hara-1"]),
        ('Q"', ['Q"1']),
        ("'", ["';--"]),
        ("';", ["';--"]),
        ("'; DROP TABLE client; --", []),
        ("' OR '1'='1", []),
        ("yarrow '", ["';--"]),
    ],
)
def test_search_terms_are_text(practice: store.Practice, query: str, charts: list[str]) -> None:
    with practice.session_factory.begin() as s:
        for chart in CHARTS:
            clients.create_client(
                s,
                chart_number=chart,
                given_name="Zed",
                family_name="Yarrow",
                date_of_birth=dt.date(1990, 1, 1),
                actor="jdoe",
            )
    with _raw(practice) as raw, practice.session_factory() as session:
        for db in (raw, session):
            found = list_clients(db, query=query, status=None)
            assert sorted(r.chart_number for r in found) == sorted(charts), db
            assert count_clients(db, query=query, status=None) == len(charts)
        assert count_clients(raw, status=None) == len(CHARTS)


# --------------------------------------------------------------------------------------------------------
# The reassessment interval setting


NO_ROW = object()


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (45, 45),
        (1, 1),
        (3650, 3650),
        (NO_ROW, DEFAULT_REASSESSMENT_DAYS),
        (None, DEFAULT_REASSESSMENT_DAYS),  # JSON null
        (0, DEFAULT_REASSESSMENT_DAYS),
        (3651, DEFAULT_REASSESSMENT_DAYS),
        ("30", DEFAULT_REASSESSMENT_DAYS),
        (12.5, DEFAULT_REASSESSMENT_DAYS),
        (45.0, 45),  # stored as the integer 45 (the column has NUMERIC affinity)
        (True, DEFAULT_REASSESSMENT_DAYS),
        ([30], DEFAULT_REASSESSMENT_DAYS),
    ],
)
def test_reassessment_days_read_the_same_from_a_session_and_a_plain_connection(
    practice: store.Practice, stored: Any, expected: int
) -> None:
    with practice.session_factory.begin() as s:
        s.execute(delete(Setting).where(Setting.key == "reassessment_days"))
        if stored is not NO_ROW:
            s.add(Setting(key="reassessment_days", value=stored))
        _jo_assessed(s, dt.date(2026, 1, 5))
    with _raw(practice) as raw, practice.session_factory() as session:
        assert load_settings(session).reassessment_days == expected
        assert load_settings(raw).reassessment_days == expected
        # The list uses it for focuses without their own interval.
        (row,) = list_clients(raw, today=TODAY)
        assert row.next_due == dt.date(2026, 1, 5) + dt.timedelta(days=expected)


def test_reassessment_status_reads_only_covering_indexes(practice: store.Practice) -> None:
    """The per-focus subqueries never touch the big tables' rows (docs/performance.md)."""
    from stagewise.core.administrations.reassessment import _FOCUS_REASSESSMENTS_SQL

    sql = _FOCUS_REASSESSMENTS_SQL.format(clients="SELECT value FROM json_each(?)")
    with _raw(practice) as raw:
        plan = " | ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", ("complete", "[1]")))
    assert "COVERING INDEX ix_administration_focus_completed" in plan, plan
    assert "COVERING INDEX ix_stage_record_focus_effective" in plan, plan
