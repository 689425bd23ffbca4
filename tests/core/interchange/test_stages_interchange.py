"""Stage records and intervention decisions travel through the interchange file and back, byte for byte."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from stagewise.core.errors import ImportValidationError
from stagewise.core.interchange import format as interchange
from stagewise.core.models import DecisionKind, Stage
from stagewise.core.stages import records as stages
from stagewise.core.stages.interventions import load_interventions
from stagewise.core.storage import store
from tests.conftest import PASSPHRASE
from tests.core.administrations.test_administrations_helpers import add_user, make_world

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _history(practice: store.Practice) -> None:
    library = load_interventions()
    with practice.session_factory.begin() as s:
        world = make_world(s)
        kw = {"by_user_id": world.user_id, "actor": "dr.lee", "now": NOW}
        stages.record_stage(
            s, focus_id=world.alcohol_id, stage=Stage.CONTEMPLATION, effective=dt.date(2026, 1, 5), **kw
        )
        stages.record_stage(
            s,
            focus_id=world.alcohol_id,
            stage=Stage.ACTION,
            proposed=Stage.PREPARATION,
            reason="Stopped drinking on 1 Feb",
            effective=dt.date(2026, 2, 3),
            **kw,
        )
        # Moving back is ordinary: recorded, never refused.
        stages.record_stage(
            s, focus_id=world.alcohol_id, stage=Stage.CONTEMPLATION, effective=dt.date(2026, 2, 20), **kw
        )
        stages.record_stage(
            s,
            focus_id=world.mood_id,
            stage=None,
            reason="Acute crisis; staging paused",
            effective=dt.date(2026, 2, 21),
            **kw,
        )
        entry = library.suggest(Stage.CONTEMPLATION)[0]
        stages.decide_intervention(
            s, focus_id=world.alcohol_id, intervention=entry, decision=DecisionKind.ACCEPTED, **kw
        )
        stages.decide_intervention(
            s,
            focus_id=world.alcohol_id,
            intervention=None,
            decision=DecisionKind.ADDED,
            custom_title="Walk with a friend after work",
            **kw,
        )


def test_stage_sections_round_trip_byte_identical(practice: store.Practice, tmp_path: Path) -> None:
    _history(practice)
    with practice.session_factory.begin() as s:
        first = interchange.export_practice(s, actor="dr.lee").text
        doc = interchange.parse_document(first)
    client = doc["clients"][0]
    assert [r["stage"] for r in client["stage_records"]] == ["contemplation", "action", "contemplation", None]
    assert len(client["intervention_decisions"]) == 2
    other = store.create_practice(tmp_path / "other.stagewise", PASSPHRASE, name="Other").practice
    try:
        with other.session_factory.begin() as s:
            add_user(s, "dr.lee")
            summary = interchange.import_document(s, copy.deepcopy(doc), actor="admin")
            assert summary.sections["stage_records"] == 4
            assert summary.sections["intervention_decisions"] == 2
        with other.session_factory.begin() as s:
            second = interchange.export_practice(s, actor="admin").text
        assert second == first
    finally:
        other.close()


def test_override_without_reason_in_a_file_is_refused_with_its_path(practice: store.Practice) -> None:
    _history(practice)
    with practice.session_factory.begin() as s:
        doc = interchange.build_document(s)
    record = doc["clients"][0]["stage_records"][1]
    assert record["proposed"] != record["stage"]
    record["reason"] = "   "
    problems = interchange.validate_document(doc, usernames={"dr.lee"})
    assert any(path.startswith("$.clients[0].stage_records[1]") for path, _ in problems), problems
    doc["clients"][0]["chart_number"] = "C-NEW"  # so only the stage record is wrong
    with pytest.raises(ImportValidationError) as raised, practice.session_factory.begin() as s:
        interchange.import_document(s, doc, actor="admin")
    assert any(path.startswith("$.clients[0].stage_records[1]") for path, _ in raised.value.problems)
    with practice.session_factory() as s:  # nothing was imported
        assert [c["chart_number"] for c in interchange.build_document(s)["clients"]] == ["C-001"]
