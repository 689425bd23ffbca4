"""Automatic backups (Qt-free): when one is due, writing it to each destination, and rotation.

Rotation is grandfather-father-son over the timestamps in the backup file names
(``stagewise-backup-20260105T093000Z.stagewise``): keep the newest backup of each of the last
``daily`` days that have a backup, of each of the last ``weekly`` ISO weeks, and of each of the last
``monthly`` months (the same rule as restic's ``--keep-daily/--keep-weekly/--keep-monthly``).  Counting
days *that have a backup* rather than calendar days means a computer left off for a month still keeps its
last backups.  Only files whose names this module wrote are ever deleted, and never the newest.

Sessions: a maintenance job.  It takes the practice and owns one short transaction per destination,
recording that backup in the maintenance log.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import StagewiseError
from stagewise.core.models import MaintenanceLog
from stagewise.core.storage import keys
from stagewise.core.storage.backup import record_backup, timestamped_name, write_backup

if TYPE_CHECKING:
    from stagewise.core.storage.engine import Practice

log = logging.getLogger(__name__)

_NAME = re.compile(r"^stagewise-backup-(\d{8}T\d{6}Z)\.stagewise$")


class BackupSchedule(enum.StrEnum):
    DAILY = "daily"  # at the first unlock of each day
    WEEKLY = "weekly"  # when the last success is 7 days old
    OFF = "off"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many backups of each age to keep (defaults: 7 daily, 4 weekly, 12 monthly)."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12


@dataclass(frozen=True, slots=True)
class BackupSettings:
    """The practice's automatic-backup settings."""

    schedule: BackupSchedule = BackupSchedule.DAILY
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    warn_after_days: int = 3


# --------------------------------------------------------------------------------------------------------
# Rotation (pure)


def backup_time(path: Path) -> dt.datetime | None:
    """The UTC time in a backup file name this module wrote, or None for any other file."""
    match = _NAME.match(path.name)
    if match is None:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def _newest_per_period(
    times: Sequence[dt.datetime], period: Callable[[dt.datetime], Hashable], count: int
) -> set[dt.datetime]:
    kept: set[dt.datetime] = set()
    seen: set[Hashable] = set()
    for t in sorted(times, reverse=True):
        bucket = period(t)
        if bucket in seen:
            continue
        if len(seen) == count:
            break
        seen.add(bucket)
        kept.add(t)
    return kept


def to_keep(times: Iterable[dt.datetime], now: dt.datetime, policy: RetentionPolicy) -> set[dt.datetime]:
    """Which backup times the grandfather-father-son policy keeps (all times are aware, UTC or not).

    Args:
        times: the times of the existing backups.
        now: the current time; backups dated after it (a clock that was wrong) are always kept.
        policy: how many daily, weekly and monthly backups to keep.

    Returns:
        The subset of ``times`` to keep; the newest backup is always in it.
    """
    all_times = sorted({t.astimezone(dt.UTC) for t in times})
    past = [t for t in all_times if t <= now]
    kept = {t for t in all_times if t > now}
    kept |= _newest_per_period(past, lambda t: t.date(), policy.daily)
    kept |= _newest_per_period(past, lambda t: t.isocalendar()[:2], policy.weekly)
    kept |= _newest_per_period(past, lambda t: (t.year, t.month), policy.monthly)
    if past:
        kept.add(past[-1])
    return kept


def backups_in(folder: Path) -> dict[Path, dt.datetime]:
    """The backups this module wrote in ``folder`` (name → time); other files are ignored."""
    found: dict[Path, dt.datetime] = {}
    if folder.is_dir():
        for p in folder.iterdir():
            t = backup_time(p)
            if t is not None and p.is_file():
                found[p] = t
    return found


def rotate(folder: Path, now: dt.datetime, policy: RetentionPolicy) -> list[Path]:
    """Delete the backups in ``folder`` that the policy does not keep (with their key files).

    Returns:
        The backup files deleted.
    """
    existing = backups_in(folder)
    keep = to_keep(existing.values(), now, policy)
    deleted: list[Path] = []
    for path, t in sorted(existing.items(), key=lambda item: item[1]):
        if t not in keep:
            path.unlink(missing_ok=True)
            keys.keyfile_path(path).unlink(missing_ok=True)
            deleted.append(path)
    if deleted:
        log.info("rotation removed %d old backup(s)", len(deleted))
    return deleted


# --------------------------------------------------------------------------------------------------------
# When


def backup_due(
    last_success: dt.datetime | None, now: dt.datetime, schedule: BackupSchedule = BackupSchedule.DAILY
) -> bool:
    """Whether an automatic backup should run now.

    ``daily``: no backup has succeeded yet today (in ``now``'s time zone), so the first unlock of each day
    backs up.  ``weekly``: the last success is 7 or more days old.  ``off``: never.
    """
    if schedule is BackupSchedule.OFF:
        return False
    if last_success is None:
        return True
    if schedule is BackupSchedule.WEEKLY:
        return now - last_success >= dt.timedelta(days=7)
    local_last = last_success.astimezone(now.tzinfo) if now.tzinfo else last_success
    return local_last.date() < now.date()


@dataclass(frozen=True, slots=True)
class BackupWarning:
    """No backup has succeeded for too long.  ``days_since`` is None when none ever has."""

    days_since: int | None

    @property
    def message(self) -> str:
        if self.days_since is None:
            return "No backup of this practice has ever been made. Set up automatic backups now."
        return (
            f"The last successful backup was {self.days_since} days ago. Check the backup folder "
            "(is the drive connected?) and make a backup now."
        )


def backup_warning(last_success: dt.datetime | None, now: dt.datetime, days: int = 3) -> BackupWarning | None:
    """A warning when no backup has succeeded in ``days`` days (or ever), else None."""
    if last_success is None:
        return BackupWarning(None)
    age = now - last_success
    if age >= dt.timedelta(days=days):
        return BackupWarning(age.days)
    return None


def last_success(session: Session, kind: str = "backup") -> dt.datetime | None:
    """When the last successful backup (or drill, with ``kind="drill"``) was recorded."""
    at: dt.datetime | None = session.execute(
        select(MaintenanceLog.at)
        .where(MaintenanceLog.kind == kind, MaintenanceLog.ok.is_(True))
        .order_by(MaintenanceLog.at.desc())
        .limit(1)
    ).scalar()
    return at


# --------------------------------------------------------------------------------------------------------
# Doing it


@dataclass(frozen=True, slots=True)
class BackupOutcome:
    """What happened at one destination."""

    destination: Path
    ok: bool
    file: Path | None  # the backup written
    message: str | None  # why it failed, for people
    deleted: tuple[Path, ...] = ()  # old backups removed by rotation


def run_scheduled_backup(
    practice: Practice,
    destinations: Sequence[Path],
    now: dt.datetime,
    settings: BackupSettings | None = None,
    *,
    actor: str | None = None,
) -> list[BackupOutcome]:
    """Write a timestamped, verified backup to each destination folder, then rotate that folder.

    A failure at one destination (drive missing, disk full) is recorded and reported, and the others
    still run.  Each attempt is recorded in the maintenance log and the audit log.  Rotation runs only
    after a successful backup, so a failing drive never loses its old backups.

    Args:
        practice: the open practice (other work may continue meanwhile).
        destinations: folders (created if missing).
        now: the time the backups are named after.
        settings: retention policy and schedule (defaults if None).
        actor: who asked (None for the automatic schedule).
    """
    settings = settings or BackupSettings()
    outcomes: list[BackupOutcome] = []
    for folder in destinations:
        folder = Path(folder)
        dest = folder / timestamped_name(now)
        try:
            if folder.exists() and not folder.is_dir():
                raise StagewiseError(f"The backup destination {folder} is a file, not a folder.")
            write_backup(practice.engine, dest, practice.key)
            deleted = tuple(rotate(folder, now, settings.retention))
            outcome = BackupOutcome(folder, True, dest, None, deleted)
        except StagewiseError as exc:
            log.warning("scheduled backup to a destination failed: %s", type(exc).__name__)
            outcome = BackupOutcome(folder, False, None, str(exc))
        with practice.session_factory.begin() as s:
            record_backup(s, actor, outcome.file or folder, ok=outcome.ok, message=outcome.message)
        outcomes.append(outcome)
    return outcomes
