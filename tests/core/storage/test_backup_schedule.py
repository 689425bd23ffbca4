from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from stagewise.core.audit import trail as audit
from stagewise.core.models import MaintenanceLog
from stagewise.core.storage import backup, keys, store
from stagewise.core.storage.backup_schedule import (
    BackupSchedule,
    BackupSettings,
    RetentionPolicy,
    backup_due,
    backup_time,
    backup_warning,
    backups_in,
    last_success,
    rotate,
    run_scheduled_backup,
    to_keep,
)

UTC = dt.UTC
DEFAULT = RetentionPolicy()


def _at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _touch_backup(folder: Path, when: dt.datetime) -> Path:
    path = folder / backup.timestamped_name(when)
    path.write_bytes(b"backup")
    keys.keyfile_path(path).write_bytes(b"keys")
    return path


def _expected_daily_gfs(today: dt.date) -> set[dt.date]:
    """The days whose 09:30 backup GFS keeps, computed from the calendar (daily backups, no gaps)."""
    days = {today - dt.timedelta(days=i) for i in range(7)}
    # newest of each of the last 4 ISO weeks: the week's Sunday, or today for the current week
    weeks = set()
    for k in range(4):
        d = today - dt.timedelta(weeks=k)
        weeks.add(min(today, d + dt.timedelta(days=7 - d.isoweekday())))
    # newest of each of the last 12 months: today, then the last day of the previous 11 months
    months = {today}
    first = today.replace(day=1)
    for _ in range(11):
        last_of_previous = first - dt.timedelta(days=1)
        months.add(last_of_previous)
        first = last_of_previous.replace(day=1)
    return days | weeks | months


def test_timestamped_names_parse_back() -> None:
    when = dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    name = backup.timestamped_name(when)
    assert name == "stagewise-backup-20260105T093000Z.stagewise"
    assert backup_time(Path(name)) == when
    assert backup_time(Path(name + ".keys")) is None
    assert backup_time(Path("holiday-photos.stagewise")) is None


@pytest.mark.parametrize("end", [dt.date(2026, 3, 15), dt.date(2026, 6, 30), dt.date(2026, 11, 1)])
def test_rotation_on_a_simulated_calendar_keeps_exactly_the_configured_set(
    tmp_path: Path, end: dt.date
) -> None:
    day = end - dt.timedelta(days=420)
    while day <= end:
        now = _at(day)
        _touch_backup(tmp_path, now)
        rotate(tmp_path, now, DEFAULT)
        day += dt.timedelta(days=1)
    kept = {t.date() for t in backups_in(tmp_path).values()}
    expected = _expected_daily_gfs(end)
    assert kept == expected
    assert len(kept) <= 7 + 4 + 12
    # every backup file still has its key file, and no orphan key files are left
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {backup.timestamped_name(_at(d)) for d in kept} | {
        backup.timestamped_name(_at(d)) + ".keys" for d in kept
    }


def test_rotation_counts_days_with_backups_not_calendar_days() -> None:
    """A computer left off for two months still keeps its last seven daily backups."""
    times = [_at(dt.date(2026, 1, 1) + dt.timedelta(days=i)) for i in range(20)]
    now = _at(dt.date(2026, 3, 20))
    kept = to_keep(times, now, RetentionPolicy(daily=7, weekly=0, monthly=0))
    assert kept == set(times[-7:])


def test_rotation_keeps_several_a_day_only_the_newest() -> None:
    day = dt.date(2026, 2, 2)
    times = [_at(day, h) for h in (8, 12, 17)] + [_at(day - dt.timedelta(days=1), 9)]
    kept = to_keep(times, _at(day, 18), RetentionPolicy(daily=2, weekly=0, monthly=0))
    assert kept == {_at(day, 17), _at(day - dt.timedelta(days=1), 9)}


def test_rotation_keeps_future_dated_and_the_newest_even_with_zero_policy() -> None:
    now = _at(dt.date(2026, 2, 2))
    times = [now - dt.timedelta(days=3), now - dt.timedelta(days=1), now + dt.timedelta(days=30)]
    kept = to_keep(times, now, RetentionPolicy(daily=0, weekly=0, monthly=0))
    assert kept == {now - dt.timedelta(days=1), now + dt.timedelta(days=30)}


def test_rotation_never_touches_other_files(tmp_path: Path) -> None:
    mine = [_touch_backup(tmp_path, _at(dt.date(2026, 1, 1) + dt.timedelta(days=i))) for i in range(3)]
    other = tmp_path / "my-own-copy.stagewise"
    other.write_bytes(b"precious")
    deleted = rotate(tmp_path, _at(dt.date(2026, 1, 3)), RetentionPolicy(daily=1, weekly=0, monthly=0))
    assert deleted == mine[:2]
    assert other.read_bytes() == b"precious"
    assert not keys.keyfile_path(mine[0]).exists()


def test_backup_due_daily_at_first_unlock_of_the_day() -> None:
    now = dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert backup_due(None, now)
    assert not backup_due(now - dt.timedelta(hours=1), now)
    assert backup_due(now - dt.timedelta(hours=9), now)  # yesterday 23:00
    sydney = dt.timezone(dt.timedelta(hours=10))
    local_now = dt.datetime(2026, 1, 5, 12, 0, tzinfo=sydney)
    # 23:30 UTC on the 4th is 09:30 on the 5th in Sydney: already backed up today there
    assert not backup_due(dt.datetime(2026, 1, 4, 23, 30, tzinfo=UTC), local_now)
    assert not backup_due(None, now, BackupSchedule.OFF)
    assert not backup_due(now - dt.timedelta(days=6), now, BackupSchedule.WEEKLY)
    assert backup_due(now - dt.timedelta(days=7), now, BackupSchedule.WEEKLY)


def test_backup_warning_after_three_days() -> None:
    now = dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    never = backup_warning(None, now)
    assert never is not None
    assert never.days_since is None
    assert "ever been made" in never.message
    assert backup_warning(now - dt.timedelta(days=2, hours=23), now) is None
    late = backup_warning(now - dt.timedelta(days=4), now)
    assert late is not None
    assert late.days_since == 4
    assert "4 days ago" in late.message
    assert backup_warning(now - dt.timedelta(days=4), now, days=7) is None


def test_run_scheduled_backup_writes_rotates_and_records(practice: store.Practice, tmp_path: Path) -> None:
    good = tmp_path / "usb"
    good.mkdir()
    now = dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    stale = [_touch_backup(good, now - dt.timedelta(days=400 + i)) for i in range(3)]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings = BackupSettings(retention=RetentionPolicy(daily=2, weekly=0, monthly=0))
    with practice.session_factory() as s:
        assert last_success(s) is None
    ok, failed = run_scheduled_backup(practice, [good, blocker], now, settings)
    assert ok.ok
    assert ok.file == good / "stagewise-backup-20260105T093000Z.stagewise"
    assert backup.verify_backup_file(ok.file, practice.key).practice_id == practice.practice_id
    assert keys.keyfile_path(ok.file).exists()
    assert set(ok.deleted) == set(stale[1:])  # the newest stale one is the second daily backup kept
    assert not failed.ok
    assert failed.message is not None
    assert "not a folder" in failed.message
    assert blocker.read_text() == "x"
    with practice.session_factory() as s:
        rows = s.execute(select(MaintenanceLog.kind, MaintenanceLog.ok).order_by(MaintenanceLog.id)).all()
        assert [tuple(r) for r in rows] == [("backup", True), ("backup", False)]
        assert last_success(s) is not None
        events = audit.recent(s, action="backup")
        assert [e.details["ok"] for e in events] == [False, True]
        assert audit.verify_chain(s).ok
