"""The automatic-backup schedule lives in the practice settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from stagewise.core import settings
from stagewise.core.errors import UserInputError
from stagewise.core.storage.backup_schedule import BackupSchedule, BackupSettings, RetentionPolicy


def test_defaults_are_daily_at_first_unlock(session: Session) -> None:
    s = settings.load_settings(session)
    assert s.backup_schedule == "daily"
    assert s.backup_folders == ()
    assert s.backup_settings() == BackupSettings(BackupSchedule.DAILY, RetentionPolicy(7, 4, 12), 3)


def test_schedule_round_trip(session: Session, tmp_path: Path) -> None:
    settings.update_settings(
        session,
        actor="admin",
        backup_destinations=[str(tmp_path / "usb"), "~/Backups/stagewise"],
        backup_schedule="weekly",
        backup_keep_daily=3,
        backup_keep_weekly=0,
        backup_keep_monthly=24,
        backup_warn_days=10,
    )
    s = settings.load_settings(session)
    assert s.backup_folders == (tmp_path / "usb", Path("~/Backups/stagewise").expanduser())
    assert s.backup_settings() == BackupSettings(BackupSchedule.WEEKLY, RetentionPolicy(3, 0, 24), 10)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"backup_schedule": "hourly"}, "must be one of daily, weekly, off"),
        ({"backup_destinations": ["relative/folder"]}, "full folder paths"),
        ({"backup_destinations": [""]}, "must not be empty"),
        ({"backup_keep_daily": 0}, "between 1 and 366"),
    ],
)
def test_bad_schedule_values_are_refused(session: Session, changes: dict[str, object], reason: str) -> None:
    with pytest.raises(UserInputError, match=reason):
        settings.update_settings(session, actor="admin", **changes)
    assert settings.load_settings(session).backup_schedule == "daily"


def test_an_unusable_stored_schedule_falls_back_to_daily(session: Session) -> None:
    from stagewise.core.models import Setting

    session.add(Setting(key="backup_schedule", value="fortnightly"))
    session.flush()
    assert settings.load_settings(session).backup_schedule == "daily"
