"""Administrations in the interchange format: export, validation (scores recomputed), import, round trip."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as adm, risk
from stagewise.core.errors import ImportValidationError
from stagewise.core.instruments.loader import Library, load_library
from stagewise.core.interchange import administrations as aio, format as interchange
from stagewise.core.models import AdministrationMode
from stagewise.core.storage import store
from tests.conftest import PASSPHRASE
from tests.core.administrations.test_administrations_helpers import World, add_focus, add_user, make_world

T0 = dt.datetime(2026, 2, 3, 9, 15, 30, 250000, tzinfo=dt.UTC)
PATH = "$.clients[0].administrations"


def _populate(s: Session, world: World, library: Library) -> None:
    def start(form_id: str, focus_id: int | None, minutes: int) -> int:
        return adm.start(
            s, client_id=world.client_id, focus_id=focus_id, form_id=form_id, mode=AdministrationMode.CLIENT,
            by_user_id=world.user_id, actor="dr.lee", library=library, now=T0 + dt.timedelta(minutes=minutes),
        ).id  # fmt: skip

    urica = start("urica-32", world.alcohol_id, 0)
    for item in library.get("urica-32").items:
        adm.answer(s, urica, item.id, (int(item.id) % 5) + 1)
    adm.complete(s, urica, actor="dr.lee", now=T0 + dt.timedelta(minutes=12))
    phq = start("phq-9", world.mood_id, 20)
    for item_id in ("9", "1", "2", "3", "4", "5", "6", "7", "8"):
        saved = adm.answer(s, phq, item_id, 1)
    alert_id = next(iter(risk.open_alerts(s, client_id=world.client_id))).id
    risk.acknowledge(
        s, alert_id, user_id=world.user_id, action_taken="Safety plan made", actor="dr.lee",
        now=T0 + dt.timedelta(minutes=25),
    )  # fmt: skip
    adm.complete(s, phq, actor="dr.lee", now=T0 + dt.timedelta(minutes=26))
    assert saved.answered == 9
    gad = start("gad-7", None, 30)
    adm.answer(s, gad, "1", 2)
    voided = start("contemplation-ladder", world.alcohol_id, 40)
    adm.answer(s, voided, "1", 7)
    adm.void(s, voided, "Client asked to start again", actor="dr.lee")


@pytest.fixture
def exported(practice: store.Practice) -> dict[str, Any]:
    library = load_library()
    with practice.session_factory.begin() as s:
        world = make_world(s)
        _populate(s, world, library)
        return interchange.build_document(s)


def test_export_shape(exported: dict[str, Any]) -> None:
    items = exported["clients"][0]["administrations"]
    assert [a["form"] for a in items] == ["urica-32", "phq-9", "gad-7", "contemplation-ladder"]
    assert [a["status"] for a in items] == ["complete", "complete", "in_progress", "voided"]
    urica = items[0]
    assert urica["focus"] == "alcohol"
    assert urica["by"] == "dr.lee"
    assert urica["mode"] == "client"
    assert urica["started_at"] == "2026-02-03T09:15:30.250Z"
    assert urica["completed_at"] == "2026-02-03T09:27:30.250Z"
    assert list(urica["answers"]) == [str(n) for n in range(1, 33)]
    assert urica["answers"]["4"] == 5
    assert set(urica["result"]) >= {
        "form",
        "form_version",
        "scoring_version",
        "scores",
        "stage",
        "stage_rule",
    }
    phq = items[1]
    assert phq["focus"] is None  # client-level: started with "mood" selected, filed for the client
    assert list(phq["answers"])[:2] == ["1", "2"]  # printed order, not the order answered
    (alert,) = phq["risk_alerts"]
    assert alert["flag"] == "phq9_item9_positive"
    assert alert["acknowledged_by"] == "dr.lee"
    assert alert["action_taken"] == "Safety plan made"
    assert alert["addressed_at"] is None
    assert items[2]["result"] is None
    assert items[2]["completed_at"] is None
    assert items[2]["current_item"] == "2"
    assert items[3]["void_reason"] == "Client asked to start again"


def test_a_valid_export_validates_and_round_trips(exported: dict[str, Any], tmp_path: Path) -> None:
    library = load_library()
    items = exported["clients"][0]["administrations"]
    problems = aio.validate_client_administrations(
        items, PATH, focus_keys={"alcohol", "mood"}, usernames={"dr.lee"}, library=library
    )
    assert problems == []
    created = store.create_practice(tmp_path / "other.stagewise", PASSPHRASE, name="Other")
    other = created.practice
    try:
        with other.session_factory.begin() as s:
            add_user(s, "dr.lee")
            summary = interchange.import_document(s, copy.deepcopy(exported), actor="admin")
            assert summary.sections["administrations"] == 4
        with other.session_factory.begin() as s:
            again = interchange.build_document(s)
            assert again["clients"][0]["administrations"] == items
            (client_id,) = {a.client_id for a in adm.in_progress(s)}
            (gad,) = adm.in_progress(s, client_id=client_id)
            assert gad.form_id == "gad-7"
            assert adm.resume_point(gad) == "2"
            (open_alert,) = risk.open_alerts(s, client_id=client_id)
            assert open_alert.acknowledged
            assert open_alert.action_taken == "Safety plan made"
    finally:
        other.close()


def test_a_changed_score_is_reported_never_silently_overwritten(exported: dict[str, Any]) -> None:
    doc = copy.deepcopy(exported)
    result = doc["clients"][0]["administrations"][0]["result"]
    true_value = result["scores"]["readiness"]
    result["scores"]["readiness"] = true_value + 0.1
    problems = aio.validate_client_administrations(
        doc["clients"][0]["administrations"], PATH, focus_keys={"alcohol", "mood"}, usernames={"dr.lee"},
        library=load_library(),
    )  # fmt: skip
    assert problems == [
        (
            f"{PATH}[0].result",
            "stored scores differ from the recomputed ones "
            f"(readiness {true_value + 0.1:g} vs {true_value:g})",
        )
    ]
    # the whole-document validation (what `stagewise import` runs) reports it too
    whole = interchange.validate_document(doc, usernames={"dr.lee"})
    assert problems[0] in whole


def test_import_refuses_a_document_with_a_changed_score(exported: dict[str, Any], tmp_path: Path) -> None:
    doc = copy.deepcopy(exported)
    doc["clients"][0]["administrations"][0]["result"]["scores"]["action"] = 1.0
    created = store.create_practice(tmp_path / "third.stagewise", PASSPHRASE, name="Third")
    try:
        with created.practice.session_factory.begin() as s:
            add_user(s, "dr.lee")
            with pytest.raises(ImportValidationError, match="stored scores differ"):
                interchange.import_document(s, doc, actor="admin")
    finally:
        created.practice.close()


def test_every_bad_value_is_reported_with_its_path(exported: dict[str, Any]) -> None:
    items = copy.deepcopy(exported["clients"][0]["administrations"])
    items[0]["answers"]["3"] = 9
    items[0]["mode"] = "robot"
    items[1]["status"] = "finished"
    items[1]["started_at"] = "yesterday"
    items[2]["form"] = "no-such-form"
    items[3]["focus"] = "gambling"
    items[3]["by"] = "nobody"
    items[3]["void_reason"] = None
    items.append({"form": "phq-9", "colour": "blue"})
    problems = dict(
        aio.validate_client_administrations(
            items, PATH, focus_keys={"alcohol", "mood"}, usernames={"dr.lee"}, library=load_library()
        )
    )
    assert "allowed values are 1, 2, 3, 4, 5" in problems[f"{PATH}[0].answers.3"]
    assert problems[f"{PATH}[0].mode"] == 'must be "clinician" or "client"'
    assert "complete" in problems[f"{PATH}[1].status"]
    assert "date and time" in problems[f"{PATH}[1].started_at"]
    assert "unknown instrument" in problems[f"{PATH}[2].form"]
    assert "no focus 'gambling'" in problems[f"{PATH}[3].focus"]
    assert "no user 'nobody'" in problems[f"{PATH}[3].by"]
    assert "reason" in problems[f"{PATH}[3].void_reason"]
    assert "unknown field" in problems[f"{PATH}[4].colour"]
    assert problems[f"{PATH}[4].answers"] == "is missing"
    assert aio.validate_client_administrations(
        {}, PATH, focus_keys=(), usernames=(), library=load_library()
    ) == [(PATH, "must be a list of administrations")]


def test_import_without_alert_records_raises_fresh_alerts(practice: store.Practice) -> None:
    library = load_library()
    with practice.session_factory.begin() as s:
        world = make_world(s)
        extra = add_focus(s, world.client_id, "sleep", "Sleep")
        entry = {
            "form": "phq-9",
            "focus": "sleep",
            "started_at": "2026-01-05T09:30:00.000Z",
            "completed_at": "2026-01-05T09:36:00.000Z",
            "mode": "clinician",
            "by": "dr.lee",
            "answers": {str(n): 0 for n in range(1, 9)} | {"9": 2},
            "status": "complete",
        }
        assert (
            aio.validate_client_administrations(
                [entry], PATH, focus_keys={"sleep"}, usernames={"dr.lee"}, library=library
            )
            == []
        )
        (new_id,) = aio.import_client_administrations(
            s, world.client_id, [entry], focus_ids={"sleep": extra}, user_ids={"dr.lee": world.user_id},
            actor="admin", library=library,
        )  # fmt: skip
        got = adm.get(s, new_id)
        assert got.focus_id is None  # a PHQ-9 filed under a focus by an older version: client-level now
        assert got.result is not None
        assert got.result.scores["total"] == 2
        (alert,) = risk.open_alerts(s, client_id=world.client_id)
        assert alert.administration_id == new_id
        assert not alert.acknowledged
