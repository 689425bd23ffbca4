"""Risk answers are never missed: PHQ-9 item 9 raises an alert at once; the acknowledgement is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core import settings
from stagewise.core.administrations import lifecycle as adm, risk
from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, UserInputError
from stagewise.core.instruments.loader import load_library
from stagewise.core.models import AdministrationMode, RiskAlert
from stagewise.core.storage import store
from tests.core.administrations.test_administrations_helpers import World, make_world

SAFETY = "Ask about safety now. Harbour crisis line: 0800 000 000."
T0 = dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(practice: store.Practice) -> World:
    with practice.session_factory.begin() as s:
        world = make_world(s)
        settings.update_settings(s, actor="admin", safety_text=SAFETY)
        return world


def _phq9(s: Session, world: World) -> int:
    info = adm.start(
        s, client_id=world.client_id, focus_id=world.mood_id, form_id="phq-9",
        mode=AdministrationMode.CLIENT, by_user_id=world.user_id, actor="dr.lee", library=load_library(),
    )  # fmt: skip
    return info.id


def test_phq9_item9_raises_the_alert_at_once_and_records_the_acknowledgement(
    practice: store.Practice, world: World
) -> None:
    with practice.session_factory.begin() as s:
        adm_id = _phq9(s, world)
        for item_id in ("1", "2", "3", "4", "5", "6", "7", "8"):
            assert adm.answer(s, adm_id, item_id, 3).risk == ()  # high scores, but no risk item
        assert adm.answer(s, adm_id, "9", 0).risk == ()  # "not at all": no alert
        assert risk.open_alerts(s, client_id=world.client_id) == []
    with practice.session_factory.begin() as s:
        saved = adm.answer(s, adm_id, "9", 1, now=T0)
    (prompt,) = saved.risk
    assert prompt.flag == "phq9_item9_positive"
    assert prompt.item_id == "9"
    assert prompt.safety_text == SAFETY
    assert "Item 9" in prompt.message
    # The alert is in the chart already, before the questionnaire is completed.
    with practice.session_factory.begin() as s:
        (alert,) = risk.open_alerts(s, client_id=world.client_id)
        assert alert.id == prompt.alert_id
        assert not alert.acknowledged
        assert alert.raised_at == T0
        assert (alert.form_id, alert.administration_id) == ("phq-9", adm_id)
        # Answering again before the acknowledgement prompts again, without a second alert.
        again = adm.answer(s, adm_id, "9", 2)
        assert [p.alert_id for p in again.risk] == [prompt.alert_id]
        with pytest.raises(UserInputError, match="action"):
            risk.acknowledge(s, alert.id, user_id=world.user_id, action_taken="  ", actor="dr.lee")
    when = T0 + dt.timedelta(minutes=4)
    with practice.session_factory.begin() as s:
        acked = risk.acknowledge(
            s, prompt.alert_id, user_id=world.user_id,
            action_taken="Asked directly; no plan; safety plan made.",
            actor="dr.lee", now=when,
        )  # fmt: skip
        assert (acked.acknowledged_by, acked.acknowledged_at) == ("dr.lee", when)
        assert acked.action_taken == "Asked directly; no plan; safety plan made."
        event = audit.recent(s, limit=1)[0]
        assert (event.action, event.entity, event.entity_id) == ("acknowledge", "risk_alert", str(acked.id))
        assert "plan" not in str(event.details)  # the action text stays out of the audit log
    with practice.session_factory.begin() as s:
        assert adm.answer(s, adm_id, "9", 3).risk == ()  # acknowledged: no second prompt
        done = adm.complete(s, adm_id, actor="dr.lee")
        assert done.result is not None
        assert "phq9_item9_positive" in done.result.flags
        assert s.execute(select(func.count()).select_from(RiskAlert)).scalar() == 1  # no duplicate
        # still shown in the chart until addressed
        (still,) = risk.open_alerts(s, client_id=world.client_id)
        assert still.acknowledged
        assert not still.addressed
        with pytest.raises(ConflictError, match="already been acknowledged"):
            risk.acknowledge(s, still.id, user_id=world.user_id, action_taken="again", actor=None)
        closed = risk.mark_addressed(
            s, still.id, user_id=world.user_id, actor="dr.lee", note="Reviewed at supervision"
        )
        assert closed.addressed
        assert closed.addressed_note == "Reviewed at supervision"
        assert risk.open_alerts(s, client_id=world.client_id) == []
        assert [a.id for a in risk.alerts_for_administration(s, adm_id)] == [still.id]
        with pytest.raises(ConflictError, match="already been addressed"):
            risk.mark_addressed(s, still.id, user_id=world.user_id, actor=None)


def test_an_alert_must_be_acknowledged_before_it_is_addressed(practice: store.Practice, world: World) -> None:
    with practice.session_factory.begin() as s:
        adm_id = _phq9(s, world)
        (prompt,) = adm.answer(s, adm_id, "9", 1).risk
        with pytest.raises(ConflictError, match="Acknowledge"):
            risk.mark_addressed(s, prompt.alert_id, user_id=world.user_id, actor=None)


def test_completion_raises_alerts_missed_by_answers_and_void_keeps_them(
    practice: store.Practice, world: World
) -> None:
    # An answer stored without going through answer() (e.g. an older import) is still caught at completion.
    with practice.session_factory.begin() as s:
        adm_id = _phq9(s, world)
        from stagewise.core.models import Administration

        row = s.get(Administration, adm_id)
        assert row is not None
        row.answers = {"9": 2}
    with practice.session_factory.begin() as s:
        assert risk.open_alerts(s) == []
        adm.complete(s, adm_id, actor="dr.lee")
        (alert,) = risk.open_alerts(s)
        assert alert.flag == "phq9_item9_positive"
        assert alert.item_id == "9"
        adm.void(s, adm_id, "Wrong questionnaire version given", actor="dr.lee")
        assert [a.id for a in risk.open_alerts(s, client_id=world.client_id)] == [alert.id]


def test_the_default_safety_text_is_used_until_the_practice_sets_its_own(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        world = make_world(s, "R-2")
        adm_id = _phq9(s, world)
        (prompt,) = adm.answer(s, adm_id, "9", 1).risk
        assert prompt.safety_text == settings.DEFAULT_SAFETY_TEXT
