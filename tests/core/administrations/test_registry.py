"""The reassessment registry on hand-built dates: due today, due within the week, overdue, paused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from stagewise.core import settings
from stagewise.core.administrations import due as registry
from stagewise.core.models import Administration, Focus, StageRecord
from tests.core.administrations.test_administrations_helpers import add_client, add_focus, add_user, at_noon

TODAY = dt.date(2026, 6, 15)


def _done(s: Session, client_id: int, focus_id: int, day: dt.date, *, status: str = "complete") -> None:
    s.add(
        Administration(
            client_id=client_id,
            focus_id=focus_id,
            form_id="urica-32",
            form_version="1.0.0",
            mode="clinician",
            started_at=at_noon(day),
            completed_at=at_noon(day),
            status=status,
            void_reason="mistake" if status == "voided" else None,
            answers={},
        )
    )
    s.flush()


def _focus(
    s: Session, client_id: int, key: str, *, created_days_ago: int = 200, days: int | None = None
) -> int:
    return add_focus(
        s,
        client_id,
        key,
        key.title(),
        created=at_noon(TODAY - dt.timedelta(days=created_days_ago)),
        days=days,
    )


def test_due_overdue_and_paused_on_hand_built_dates(session: Session) -> None:
    s = session
    me = add_user(s, "dr.lee")
    other = add_user(s, "dr.kim")
    c1 = add_client(s, "A-1", clinician_id=me)
    due_today = _focus(s, c1, "alcohol")
    _done(s, c1, due_today, TODAY - dt.timedelta(days=45))
    _done(s, c1, due_today, TODAY - dt.timedelta(days=30))  # latest: due exactly today
    in_seven = _focus(s, c1, "smoking")
    _done(s, c1, in_seven, TODAY - dt.timedelta(days=23))  # due in 7 days
    in_eight = _focus(s, c1, "cannabis")
    _done(s, c1, in_eight, TODAY - dt.timedelta(days=22))  # due in 8 days: outside the week
    c2 = add_client(s, "B-2", clinician_id=other)
    overdue = _focus(s, c2, "gambling")
    _done(s, c2, overdue, TODAY - dt.timedelta(days=31))  # overdue by 1 day
    _done(s, c2, overdue, TODAY - dt.timedelta(days=2), status="voided")  # voided: does not count
    paused = _focus(s, c2, "opioids")
    _done(s, c2, paused, TODAY - dt.timedelta(days=90))
    s.add(
        StageRecord(
            client_id=c2, focus_id=paused, stage=None, basis="not_staged", reason="in detox",
            effective=TODAY - dt.timedelta(days=60),
        )
    )  # fmt: skip
    never = _focus(s, c2, "mood", created_days_ago=3)  # never assessed: due from the day it was added
    override = _focus(s, c2, "eating", days=14)
    _done(s, c2, override, TODAY - dt.timedelta(days=14))  # its own 14-day interval: due today
    removed = _focus(s, c2, "stress")
    _done(s, c2, removed, TODAY - dt.timedelta(days=100))
    removed_row = s.get(Focus, removed)
    assert removed_row is not None
    removed_row.active = False
    c3 = add_client(s, "C-3", status="discharged")
    discharged = _focus(s, c3, "alcohol")
    _done(s, c3, discharged, TODAY - dt.timedelta(days=300))

    entries = registry.due_list(s, today=TODAY)
    got = {(e.chart_number, e.focus_key): (e.due_on, e.overdue_days, e.overdue) for e in entries}
    assert got == {
        ("B-2", "gambling"): (TODAY - dt.timedelta(days=1), 1, True),
        ("B-2", "mood"): (TODAY - dt.timedelta(days=3), 3, True),
        ("A-1", "alcohol"): (TODAY, 0, False),
        ("B-2", "eating"): (TODAY, 0, False),
        ("A-1", "smoking"): (TODAY + dt.timedelta(days=7), -7, False),
    }
    # most overdue first, then by due date and chart number
    assert [(e.chart_number, e.focus_key) for e in entries] == [
        ("B-2", "mood"), ("B-2", "gambling"), ("A-1", "alcohol"), ("B-2", "eating"), ("A-1", "smoking"),
    ]  # fmt: skip
    first = entries[0]
    assert first.never_assessed
    assert first.last_assessed is None
    alcohol = next(e for e in entries if e.focus_key == "alcohol")
    assert alcohol.last_assessed == TODAY - dt.timedelta(days=30)
    assert alcohol.focus_id == due_today

    assert {e.focus_key for e in registry.due_list(s, today=TODAY, within_days=0)} == {
        "gambling", "mood", "alcohol", "eating",
    }  # fmt: skip
    assert {e.focus_key for e in registry.due_list(s, today=TODAY, within_days=8)} >= {"cannabis"}
    assert [e.focus_key for e in registry.due_list(s, today=TODAY, clinician_id=me)] == ["alcohol", "smoking"]
    # the day after, "due today" has become overdue by one day
    tomorrow = {e.focus_key: e.overdue_days for e in registry.due_list(s, today=TODAY + dt.timedelta(days=1))}
    assert tomorrow["alcohol"] == 1
    assert tomorrow["smoking"] == -6
    assert in_eight
    assert never
    assert paused
    assert discharged


def test_the_practice_default_interval_applies(session: Session) -> None:
    s = session
    client = add_client(s, "D-4")
    focus = _focus(s, client, "alcohol")
    _done(s, client, focus, TODAY - dt.timedelta(days=20))
    assert registry.due_list(s, today=TODAY, within_days=0) == []
    settings.update_settings(s, actor="admin", reassessment_days=20)
    (entry,) = registry.due_list(s, today=TODAY, within_days=0)
    assert entry.due_on == TODAY
    assert entry.overdue_days == 0
    with pytest.raises(ValueError):
        registry.due_list(s, today=TODAY, within_days=-1)
