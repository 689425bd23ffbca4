from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from stagewise.core import settings
from stagewise.core.audit import trail as audit
from stagewise.core.errors import UserInputError
from stagewise.core.models import Setting, Stage


def test_defaults_for_a_new_practice(session: Session) -> None:
    s = settings.load_settings(session)
    assert s.practice_name == "Harbour Counselling"  # written by store.create_practice
    assert (s.idle_lock_minutes, s.reassessment_days, s.stalled_days) == (10, 30, 90)
    assert (s.backup_keep_daily, s.backup_keep_weekly, s.backup_keep_monthly, s.backup_warn_days) == (
        7,
        4,
        12,
        3,
    )
    assert s.backup_destinations == ()
    assert s.favourite_forms == ()
    assert s.urica_stage_rule == "nearest_group_mean"
    assert s.client_stage_label(Stage.PRECONTEMPLATION) == "Not yet sure change is needed"
    assert [s.client_stage_labels[st] for st in Stage] == [
        "Not yet sure change is needed",
        "Thinking about change",
        "Getting ready to change",
        "Making changes",
        "Keeping changes going",
    ]
    for words in ("thoughts", "plan", "intent", "safety protocol", "emergency"):
        assert words in s.safety_text


def test_update_validates_stores_and_audits_changed_keys(session: Session) -> None:
    labels = {st.value: f"Label {i}" for i, st in enumerate(Stage)}
    result = settings.update_settings(
        session,
        actor="boss",
        idle_lock_minutes=5,
        reassessment_days=30,  # unchanged: not listed in the audit event
        backup_destinations=["/mnt/usb/stagewise", "/srv/backups"],
        client_stage_labels=labels,
        favourite_forms=("urica", "phq9"),
    )
    reloaded = settings.load_settings(session)
    assert result == reloaded
    assert reloaded.idle_lock_minutes == 5
    assert reloaded.backup_destinations == ("/mnt/usb/stagewise", "/srv/backups")
    assert reloaded.client_stage_label(Stage.ACTION) == "Label 3"
    assert reloaded.favourite_forms == ("urica", "phq9")
    stored = session.get(Setting, "client_stage_labels")
    assert stored is not None
    assert stored.value["action"] == "Label 3"
    event = audit.recent(session, limit=1)[0]
    assert (event.action, event.entity) == ("update", "settings")
    assert event.details == {
        "keys": ["backup_destinations", "client_stage_labels", "favourite_forms", "idle_lock_minutes"]
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"idle_lock_minutes": 0}, "idle_lock_minutes must be between 1 and 240"),
        ({"idle_lock_minutes": True}, "must be a whole number"),
        ({"reassessment_days": "30"}, "must be a whole number"),
        ({"stalled_days": 5000}, "between 1 and 3650"),
        ({"practice_name": "   "}, "must not be empty"),
        ({"safety_text": 12}, "must be text"),
        ({"urica_stage_rule": "guess"}, "must be one of nearest_group_mean"),
        ({"client_stage_labels": {"action": "Doing"}}, "has no label for precontemplation"),
        ({"client_stage_labels": {**{s.value: "x" for s in Stage}, "relapse": "y"}}, "not a stage"),
        ({"backup_destinations": "/mnt/usb"}, "must be a list"),
        ({"backup_destinations": ["/a", "/a"]}, "lists an entry twice"),
        ({"favourite_forms": ["PHQ 9"]}, "form ids"),
        ({"colour": "blue"}, "no practice setting called colour"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    session: Session, changes: dict[str, Any], message: str
) -> None:
    before = settings.load_settings(session)
    with pytest.raises(UserInputError, match=message):
        settings.update_settings(session, actor="boss", backup_warn_days=9, **changes)
    assert settings.load_settings(session) == before


def test_unknown_stored_keys_are_kept_and_unusable_values_fall_back(session: Session) -> None:
    session.add(Setting(key="from_a_newer_version", value={"x": 1}))
    session.add(Setting(key="stalled_days", value="ninety"))
    session.flush()
    assert settings.load_settings(session).stalled_days == 90
    settings.update_settings(session, actor="boss", practice_name="Harbour Counselling North")
    future = session.get(Setting, "from_a_newer_version")
    practice_id = session.get(Setting, "practice_id")
    assert future is not None
    assert future.value == {"x": 1}
    assert practice_id is not None
    assert len(practice_id.value) == 32
    assert settings.load_settings(session).practice_name == "Harbour Counselling North"


def test_no_change_records_no_event(session: Session) -> None:
    before = len(audit.recent(session))
    settings.update_settings(session, actor="boss", idle_lock_minutes=10)
    assert len(audit.recent(session)) == before


def test_save_settings_reports_every_problem_at_once_and_stores_nothing(session: Session) -> None:
    with pytest.raises(settings.InvalidSettingsError) as caught:
        settings.save_settings(
            session, actor="admin", values={"idle_lock_minutes": 0, "practice_name": "", "stalled_days": 30}
        )
    assert caught.value.problems == {
        "idle_lock_minutes": "Must be between 1 and 240.",
        "practice_name": "Must not be empty.",
    }
    assert settings.load_settings(session).stalled_days == 90  # the valid value was not stored either


def test_save_settings_stores_the_changes_and_says_settings_changed(session: Session) -> None:
    done = settings.save_settings(session, actor="admin", values={"idle_lock_minutes": 7})
    assert done.value.idle_lock_minutes == 7
    assert done.changes.settings
    assert settings.load_settings(session).idle_lock_minutes == 7
