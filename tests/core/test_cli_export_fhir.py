"""``stagewise export --fhir`` writes a validated FHIR R4 Bundle and warns that it is not encrypted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from stagewise import cli
from stagewise.core import store
from tests.core.test_administrations_helpers import World
from tests.core.test_fhir_bundle import populated  # noqa: F401  (fixture)


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
