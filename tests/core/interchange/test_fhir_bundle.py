"""The FHIR R4 Bundle: Patient, Questionnaires, QuestionnaireResponses and score Observations, validated."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.orm import Session

from stagewise import cli
from stagewise.core.administrations import lifecycle as adm
from stagewise.core.audit import trail as audit
from stagewise.core.errors import NotFoundError, StagewiseError, UserInputError
from stagewise.core.instruments.loader import load_library
from stagewise.core.interchange import fhir_bundle
from stagewise.core.models import AdministrationMode
from stagewise.core.storage import store
from tests.core.administrations.test_administrations_helpers import World, make_world

T0 = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


def _give(s: Session, world: World, form_id: str, values: dict[str, int], *, focus: int | None) -> int:
    library = load_library()
    info = adm.start(
        s, client_id=world.client_id, focus_id=focus, form_id=form_id, mode=AdministrationMode.CLINICIAN,
        by_user_id=world.user_id, actor=None, library=library, now=T0,
    )  # fmt: skip
    for item_id, value in values.items():
        adm.answer(s, info.id, item_id, value)
    adm.complete(s, info.id, actor=None, now=T0 + dt.timedelta(minutes=5))
    return info.id


@pytest.fixture
def populated(practice: store.Practice) -> World:
    with practice.session_factory.begin() as s:
        world = make_world(s)
        _give(s, world, "phq-9", {str(n): 2 for n in range(1, 10)}, focus=world.mood_id)  # total 18
        _give(s, world, "urica-32", {str(n): 4 for n in range(1, 33)}, focus=world.alcohol_id)
        voided = _give(s, world, "gad-7", {str(n): 1 for n in range(1, 8)}, focus=None)
        adm.void(s, voided, "Wrong client", actor=None)
        info = adm.start(
            s, client_id=world.client_id, focus_id=None, form_id="gad-7", mode=AdministrationMode.CLIENT,
            by_user_id=None, actor=None, library=load_library(),
        )  # fmt: skip
        adm.answer(s, info.id, "1", 3)  # in progress: not exported
        return world


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_bundle_content_and_validation(practice: store.Practice, populated: World) -> None:
    with practice.session_factory.begin() as s:
        bundle = fhir_bundle.practice_bundle(s)
        again = fhir_bundle.practice_bundle(s)
    assert bundle == again  # deterministic ids
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    (patient,) = _by_type(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "C-001"
    assert patient["identifier"][0]["system"] == f"urn:stagewise:practice:{practice.practice_id}:chart"
    assert patient["birthDate"] == "1980-05-17"
    questionnaires = {q["id"]: q for q in _by_type(bundle, "Questionnaire")}
    library = load_library()
    assert set(questionnaires) == {f"{f}-{library.get(f).version}" for f in ("phq-9", "urica-32")}
    responses = _by_type(bundle, "QuestionnaireResponse")
    assert len(responses) == 2
    assert all(r["status"] == "completed" for r in responses)
    phq_response = next(r for r in responses if "phq-9" in r["questionnaire"])
    assert phq_response["authored"] == "2026-05-04T14:05:00.000Z"
    item9 = next(i for i in phq_response["item"] if i["linkId"] == "9")
    assert item9["answer"][0]["valueCoding"] == {
        "system": "http://loinc.org", "code": "LA6570-1", "display": "More than half the days",
    }  # fmt: skip
    # the response's answers use exactly the Questionnaire's codings
    phq_q = next(q for k, q in questionnaires.items() if k.startswith("phq-9"))
    q_item9 = next(i for i in phq_q["item"] if i["linkId"] == "9")
    assert item9["answer"][0]["valueCoding"] in [o["valueCoding"] for o in q_item9["answerOption"]]
    patient_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert phq_response["subject"]["reference"] == patient_url
    observations = _by_type(bundle, "Observation")
    total = next(o for o in observations if o["code"]["coding"][0]["code"] == "44261-6")
    assert total["valueInteger"] == 18
    assert total["category"][0]["coding"][0]["code"] == "survey"
    assert total["interpretation"][0]["text"]  # the severity band
    phq_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is phq_response)
    assert total["derivedFrom"] == [{"reference": phq_url}]
    readiness = next(o for o in observations if o["code"]["coding"][0]["code"] == "readiness")
    assert readiness["code"]["coding"][0]["system"] == "urn:stagewise:score:urica-32"
    assert readiness["valueQuantity"]["value"] == pytest.approx(8.0)
    stage = next(o for o in observations if o["code"]["coding"][0]["code"] == "stage")
    assert stage["valueCodeableConcept"]["coding"][0]["system"] == "urn:stagewise:stage"


def test_write_fhir_bundle_for_one_client_audits_and_refuses_overwrite(
    practice: store.Practice, populated: World, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.json"
    summary = fhir_bundle.write_fhir_bundle(practice, out, client_chart="C-001", actor="admin")
    assert (summary.patients, summary.responses) == (1, 2)
    assert summary.observations >= 5
    data = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(data)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with practice.session_factory.begin() as s:
        event = audit.recent(s, limit=1)[0]
        assert (event.action, event.entity, event.details["format"]) == ("export", "client", "fhir-r4-bundle")
    with pytest.raises(UserInputError, match="already exists"):
        fhir_bundle.write_fhir_bundle(practice, out, actor="admin")
    with pytest.raises(NotFoundError):
        fhir_bundle.write_fhir_bundle(practice, tmp_path / "x.json", client_chart="NOPE", actor="admin")


def test_an_invalid_bundle_is_refused() -> None:
    bad = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "birthDate": "May"}}],
    }
    with pytest.raises(StagewiseError, match="not valid R4"):
        fhir_bundle.validate_bundle(bad)


def test_export_fhir_bundle(
    practice: store.Practice, populated: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    practice.close()
    out = tmp_path / "bundle.json"
    assert cli.main(["export", str(practice.path), "--out", str(out), "--fhir"]) == 0
    captured = capsys.readouterr()
    assert "NOT encrypted" in captured.err
    assert "FHIR bundle" in captured.out
    bundle = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation"} <= kinds
    # A second export without --force is refused and leaves the first file alone.
    before = out.read_bytes()
    assert cli.main(["export", str(practice.path), "--out", str(out), "--fhir"]) == 2
    assert out.read_bytes() == before
