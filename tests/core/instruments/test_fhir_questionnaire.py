"""FHIR R4 Questionnaire for every shipped instrument, validated with fhir.resources (R4B models)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from stagewise.core.instruments import Form, load_library
from stagewise.core.instruments.fhir import LOINC, ORDINAL_VALUE, questionnaire

FORMS = load_library().forms


@pytest.mark.parametrize("form", FORMS, ids=[f.id for f in FORMS])
def test_every_form_validates_as_a_questionnaire(form: Form) -> None:
    resource = questionnaire(form)
    parsed = Questionnaire.model_validate(json.loads(json.dumps(resource)))
    assert parsed.version == form.version
    assert parsed.url == f"urn:stagewise:form:{form.id}"
    assert parsed.identifier
    assert parsed.identifier[0].value == f"{form.id}|{form.version}"
    assert parsed.item
    questions = [i for i in parsed.item if i.type == "choice"]
    assert [q.linkId for q in questions] == [it.id for it in form.items]
    for question, item in zip(questions, form.items, strict=True):
        options = question.answerOption or []
        ordinals = [float(str(o.extension[0].valueDecimal)) for o in options if o.extension]
        assert sorted(ordinals) == sorted(float(v) for v in form.allowed_values(item.id))
        assert question.required is (not item.optional)
    assert form.licence.attribution in (parsed.copyright or "")


def test_phq9_is_loinc_coded() -> None:
    resource = questionnaire(load_library().get("phq-9"))
    assert resource["code"] == [
        {"system": LOINC, "code": "44249-1", "display": "Patient Health Questionnaire-9 (PHQ-9)"}
    ]
    item1 = next(i for i in resource["item"] if i["linkId"] == "1")
    assert item1["code"] == [{"system": LOINC, "code": "44250-9"}]
    first = item1["answerOption"][0]
    assert first["valueCoding"] == {"system": LOINC, "code": "LA6568-5", "display": "Not at all"}
    assert first["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": 0}]
    item10 = next(i for i in resource["item"] if i["linkId"] == "10")
    assert item10["required"] is False


@pytest.mark.parametrize(
    ("form_id", "panel"),
    [("gad-7", "69737-5"), ("audit-c", "72109-2"), ("audit", "72110-0"), ("dast-10", "82666-9")],
)
def test_panel_codes(form_id: str, panel: str) -> None:
    assert questionnaire(load_library().get(form_id))["code"][0]["code"] == panel


def test_non_loinc_answers_use_the_form_system_and_fill_the_behaviour() -> None:
    ladder = questionnaire(load_library().get("contemplation-ladder"), behaviour="gambling")
    assert "code" not in ladder
    options = ladder["item"][1]["answerOption"]
    assert options[0]["valueCoding"]["system"] == "urn:stagewise:form:contemplation-ladder"
    assert options[0]["valueCoding"]["code"] == "ladder-10"  # 10 at the top
    assert "gambling" in options[0]["valueCoding"]["display"]
    assert options[1]["valueCoding"]["display"] == "9"  # unlabelled rung
    rcq = questionnaire(load_library().get("rcq-12"))
    assert rcq["item"][1]["answerOption"][0]["valueCoding"]["code"] == "agree5--2"


def test_non_commercial_licence_is_stated() -> None:
    assert "not for commercial use" in questionnaire(load_library().get("audit"))["copyright"]
