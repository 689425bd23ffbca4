"""FHIR R4 ``Questionnaire`` resources for loaded instruments (plain dicts, JSON-ready).

Only the Questionnaire lives here; builders for QuestionnaireResponse, Observation and Bundle belong in a
separate module (e.g. ``stagewise.core.fhir_results``) that can reuse :func:`answer_coding` and the
constants below so that answers and questions use the same codes.

LOINC codes come from the form file (``docs/instruments/<id>.md`` says where each PHQ-9, GAD-7, AUDIT,
AUDIT-C and DAST-10 code comes from; codes seen only in third-party code are listed in the file's
``loinc.third_party_only``). Where no LOINC answer code exists, answers are coded in
``urn:stagewise:form:<id>`` as ``<scale>-<value>`` and every answer carries its printed value in the
standard ``ordinalValue`` extension.
"""

from __future__ import annotations

from typing import Any

from stagewise.core.instruments.model import Form, ResponseOption, Scale

LOINC = "http://loinc.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
FORM_SYSTEM = "urn:stagewise:form"


def canonical_url(form: Form) -> str:
    """The Questionnaire's canonical URL (a URN: Stagewise publishes nothing on the web)."""
    return f"{FORM_SYSTEM}:{form.id}"


def answer_system(form: Form) -> str:
    """The code system of this form's own (non-LOINC) answer codes."""
    return f"{FORM_SYSTEM}:{form.id}"


def answer_coding(
    form: Form, scale: Scale, option: ResponseOption, behaviour: str | None = None
) -> dict[str, Any]:
    """The Coding of one response option: LOINC LA code where the file gives one, else the form's system."""
    display = form.fill(option.label, behaviour) if option.label else f"{option.value:g}"
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": display}
    code = f"{scale.id}-{option.value:g}"
    return {"system": answer_system(form), "code": code, "display": display}


def _computable_name(form: Form) -> str:
    name = "".join(part[:1].upper() + part[1:] for part in form.id.replace(".", "-").split("-"))
    return name if name[:1].isalpha() else f"Form{name}"


def questionnaire(form: Form, behaviour: str | None = None) -> dict[str, Any]:
    """Build a FHIR R4 Questionnaire for ``form``.

    Args:
        form: a loaded instrument.
        behaviour: fills the behaviour placeholder (the form's generic wording when None).

    Returns:
        A JSON-ready dict that validates with ``fhir.resources.R4B.questionnaire.Questionnaire``.
    """
    licence = form.licence
    copyright_text = f"{licence.attribution} Licence: {licence.status.value.replace('_', ' ')}"
    if licence.commercial_use_allowed is False:
        copyright_text += " (not for commercial use)"
    copyright_text += f". Source: {licence.source}"
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": form.id,
        "url": canonical_url(form),
        "identifier": [{"system": FORM_SYSTEM, "value": f"{form.id}|{form.version}"}],
        "version": form.version,
        "name": _computable_name(form),
        "title": form.title,
        "status": "active",
        "subjectType": ["Patient"],
        "language": form.language,
        "description": form.instructions,
        "copyright": copyright_text,
    }
    if form.loinc.panel:
        resource["code"] = [{"system": LOINC, "code": form.loinc.panel, "display": form.title}]
    items: list[dict[str, Any]] = [
        {"linkId": "instructions", "type": "display", "text": form.fill(form.client_instructions, behaviour)}
    ]
    scales = {s.id: s for s in form.scales}
    for item in form.items:
        scale = scales[item.scale]
        entry: dict[str, Any] = {
            "linkId": item.id,
            "prefix": f"{item.number}.",
            "text": form.fill(item.text, behaviour),
            "type": "choice",
            "required": not item.optional,
            "answerOption": [
                {
                    "valueCoding": answer_coding(form, scale, option, behaviour),
                    "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
                }
                for option in scale.display_options()
            ],
        }
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        items.append(entry)
    resource["item"] = items
    return resource
