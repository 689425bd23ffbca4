"""A FHIR R4 ``Bundle`` of the practice's (or one client's) completed administrations.

Contents (``type`` ``collection``, validated with the ``fhir.resources`` R4B models before it is
returned):

* one ``Patient`` per client: identifier = chart number in the practice's own system
  (``urn:stagewise:practice:<practice id>:chart``), name, birth date;
* one ``Questionnaire`` per instrument version used (:func:`stagewise.core.instruments.fhir.questionnaire`, id
  ``<form>-<version>``), built from the administration's stored copy of the instrument;
* one ``QuestionnaireResponse`` per completed, non-voided administration (``status`` completed, the
  answers coded exactly as in the Questionnaire, ``authored`` = completion time);
* one ``Observation`` per score (category ``survey``; LOINC code where the instrument file gives one for
  its total, e.g. PHQ-9 44261-6, GAD-7 70274-6, else ``urn:stagewise:score:<form>`` with the score name;
  ``derivedFrom`` the response; the band as ``interpretation`` text) and one for the stage an instrument
  assigned (``urn:stagewise:stage``).

Every ``fullUrl`` is a name-based UUID (practice id + record id), so exporting twice gives the same ids.
The file is plaintext client data, like the JSON export.

Sessions: a maintenance job.  The export takes the practice and owns one transaction (the reads and
the export's audit record).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.administrations.form_versions import row_form
from stagewise.core.audit import trail as audit
from stagewise.core.errors import NotFoundError, StagewiseError
from stagewise.core.instruments.fhir import FORM_SYSTEM, LOINC, answer_coding, canonical_url, questionnaire
from stagewise.core.instruments.loader import Library
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import Result
from stagewise.core.models import Administration, AdministrationStatus, Client, Setting, iso_utc

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SCORE_SYSTEM = "urn:stagewise:score"
STAGE_SYSTEM = "urn:stagewise:stage"


@dataclass(frozen=True, slots=True)
class BundleSummary:
    patients: int
    questionnaires: int
    responses: int
    observations: int


def _practice_id(session: Session) -> str:
    row = session.get(Setting, "practice_id")
    return str(row.value) if row is not None else "unknown"


def _urn(namespace: uuid.UUID, *parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(namespace, ':'.join(str(p) for p in parts))}"


def _patient(client: Client, practice_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [
            {"system": f"urn:stagewise:practice:{practice_id}:chart", "value": client.chart_number}
        ],
        "active": client.status == "active",
        "name": [{"family": client.family_name, "given": [client.given_name]}],
        "birthDate": client.date_of_birth.isoformat(),
    }


def _questionnaire(form: Form) -> dict[str, Any]:
    resource = questionnaire(form)
    resource["id"] = f"{form.id}-{form.version}"
    return resource


def _response(form: Form, adm: Administration, patient_url: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    answers = adm.answers or {}
    for item in form.items:
        if item.id not in answers:
            continue
        scale = form.scale(item.scale)
        option = next(o for o in scale.options if o.value == answers[item.id])
        items.append(
            {
                "linkId": item.id,
                "text": form.fill(item.text, adm.behaviour_text),
                "answer": [{"valueCoding": answer_coding(form, scale, option)}],
            }
        )
    assert adm.completed_at is not None
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{canonical_url(form)}|{form.version}",
        "status": "completed",
        "subject": {"reference": patient_url},
        "authored": iso_utc(adm.completed_at),
    }
    if items:
        resource["item"] = items
    return resource


def _score_code(form: Form, name: str) -> dict[str, Any]:
    label = name
    for sd in form.scores:
        if sd.name == name:
            label = sd.label
    for d in form.derived:
        if d.name == name:
            label = d.label
    for n in form.norms:
        if n.output == name:
            label = n.label
    codings = []
    if form.loinc.total and form.loinc.total_score == name:
        codings.append({"system": LOINC, "code": form.loinc.total, "display": label})
    codings.append({"system": f"{SCORE_SYSTEM}:{form.id}", "code": name, "display": label})
    return {"coding": codings, "text": f"{form.short_title} {label}"}


def _observations(
    form: Form, result: Result, adm: Administration, patient_url: str, response_url: str
) -> list[dict[str, Any]]:
    assert adm.completed_at is not None
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "subject": {"reference": patient_url},
        "effectiveDateTime": iso_utc(adm.completed_at),
        "derivedFrom": [{"reference": response_url}],
    }
    out: list[dict[str, Any]] = []
    for name, value in result.scores.items():
        if value is None:
            continue
        obs: dict[str, Any] = {**base, "code": _score_code(form, name)}
        if isinstance(value, int) and not isinstance(value, bool):
            obs["valueInteger"] = value
        else:
            obs["valueQuantity"] = {"value": round(float(value), 6)}
        if name in result.bands:
            obs["interpretation"] = [{"text": result.bands[name]}]
        out.append(obs)
    if result.stage is not None:
        stage_obs: dict[str, Any] = dict(
            base,
            code={
                "coding": [
                    {"system": f"{SCORE_SYSTEM}:{form.id}", "code": "stage", "display": "Stage of change"}
                ],
                "text": f"{form.short_title} stage of change",
            },
            valueCodeableConcept={"coding": [{"system": STAGE_SYSTEM, "code": result.stage.value}]},
            note=[{"text": result.stage_rule}],
        )
        out.append(stage_obs)
    return out


def practice_bundle(
    session: Session, *, client_ids: list[int] | None = None, library: Library | None = None
) -> dict[str, Any]:
    """The FHIR R4 Bundle (JSON-ready dict) of the given clients (default: every client).

    Args:
        session: any session (nothing is written).
        client_ids: the clients to include; None for all.
        library: unused for scoring (each administration's stored instrument version is used); kept so
            callers can pass the practice library consistently.

    Raises:
        StagewiseError: the bundle does not validate against the R4B models (a bug; nothing is written).
    """
    del library
    practice_id = _practice_id(session)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:stagewise:practice:{practice_id}")
    q = select(Client).order_by(Client.chart_number)
    if client_ids is not None:
        q = q.where(Client.id.in_(client_ids))
    entries: list[dict[str, Any]] = []
    questionnaires: dict[str, dict[str, Any]] = {}
    responses: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    patients: list[dict[str, Any]] = []
    for client in session.execute(q).scalars():
        patient_url = _urn(namespace, "patient", client.id)
        patients.append({"fullUrl": patient_url, "resource": _patient(client, practice_id)})
        done = session.execute(
            select(Administration)
            .where(
                Administration.client_id == client.id,
                Administration.status == AdministrationStatus.COMPLETE.value,
            )
            .order_by(Administration.completed_at, Administration.id)
        ).scalars()
        for adm in done:
            form = row_form(session, adm)
            key = f"{form.id}|{form.version}|{form.sha256}"
            if key not in questionnaires:
                questionnaires[key] = {
                    "fullUrl": _urn(namespace, "questionnaire", form.id, form.version, form.sha256),
                    "resource": _questionnaire(form),
                }
            response_url = _urn(namespace, "response", adm.id)
            responses.append({"fullUrl": response_url, "resource": _response(form, adm, patient_url)})
            if adm.result is not None:
                for n, obs in enumerate(
                    _observations(form, Result.from_json(adm.result), adm, patient_url, response_url)
                ):
                    observations.append(
                        {"fullUrl": _urn(namespace, "observation", adm.id, n), "resource": obs}
                    )
    entries = patients + list(questionnaires.values()) + responses + observations
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    validate_bundle(bundle)
    return bundle


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Check the bundle (and so every resource in it) against the ``fhir.resources`` R4B models.

    Raises:
        StagewiseError: a resource does not validate.
    """
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StagewiseError(
            f"The FHIR bundle is not valid R4 ({where}: {first['msg']}); nothing was written."
        ) from None


def summarise(bundle: dict[str, Any]) -> BundleSummary:
    """Counts of each resource type in a bundle."""
    kinds = [e["resource"]["resourceType"] for e in bundle.get("entry", [])]
    return BundleSummary(
        kinds.count("Patient"),
        kinds.count("Questionnaire"),
        kinds.count("QuestionnaireResponse"),
        kinds.count("Observation"),
    )


def write_fhir_bundle(
    practice: Any,
    out_path: Path,
    *,
    client_chart: str | None = None,
    actor: str | None,
    overwrite: bool = False,
) -> BundleSummary:
    """Write the practice's (or one client's) bundle to ``out_path`` as JSON and audit the export.

    Args:
        practice: an open :class:`stagewise.core.storage.store.Practice`.
        out_path: the file to write (refused if it exists, unless ``overwrite``).
        client_chart: only the client with this chart number.
        actor: who exports, for the audit log.

    Raises:
        NotFoundError: no client has ``client_chart``.
        UserInputError / StorageError: the file exists or cannot be written.
    """
    from stagewise.core.interchange.format import write_file

    with practice.session_factory.begin() as session:
        ids: list[int] | None = None
        if client_chart is not None:
            found = session.execute(
                select(Client.id).where(Client.chart_number == client_chart.strip())
            ).scalar_one_or_none()
            if found is None:
                raise NotFoundError(f"No client has chart number {client_chart.strip()}.")
            ids = [found]
        bundle = practice_bundle(session, client_ids=ids)
        summary = summarise(bundle)
        write_file(
            Path(out_path), json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", overwrite=overwrite
        )
        audit.record(
            session,
            actor,
            "export",
            "client" if ids else "practice",
            ids[0] if ids else None,
            {
                "format": "fhir-r4-bundle",
                "patients": summary.patients,
                "responses": summary.responses,
                "observations": summary.observations,
            },
        )
    return summary


__all__ = [
    "FORM_SYSTEM",
    "BundleSummary",
    "practice_bundle",
    "summarise",
    "validate_bundle",
    "write_fhir_bundle",
]
