"""The headless commands: administer, rescore, due, fhir-export (in process, keyring-unlocked)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from stagewise import cli
from stagewise.core.storage import store
from tests.core.administrations.test_administrations_helpers import add_client, add_focus, add_user, at_noon


@pytest.fixture
def chart(practice: store.Practice) -> str:
    with practice.session_factory.begin() as s:
        user = add_user(s, "dr.lee")
        client = add_client(s, "CLI-1", clinician_id=user)
        add_focus(s, client, "alcohol", "Alcohol", phrase="my drinking", created=at_noon(dt.date(2026, 1, 1)))
    return "CLI-1"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_administer_complete_prints_the_result(
    practice: store.Practice,
    practice_path: Path,
    chart: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({str(n): 2 for n in range(1, 10)}), encoding="utf-8")
    code, out, err = _run(
        ["administer", str(practice_path), "--client", chart, "--form", "phq-9", "--answers", str(answers),
         "--by", "dr.lee", "--complete"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["result"]["scores"]["total"] == 18
    assert data["result"]["form"] == "phq-9"
    assert "RISK" in err
    assert "Item 9" in err

    partial = tmp_path / "p.json"
    partial.write_text(json.dumps({"1": 5, "2": 4}), encoding="utf-8")
    code, out, err = _run(
        ["administer", str(practice_path), "--client", chart, "--form", "urica-32", "--focus", "alcohol",
         "--answers", str(partial)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["resume_at"] == "3"


def test_administer_refuses_bad_input_with_one_line(
    practice_path: Path, chart: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"1": 9}), encoding="utf-8")
    code, _, err = _run(
        ["administer", str(practice_path), "--client", chart, "--form", "phq-9", "--answers", str(bad)],
        capsys,
    )
    assert code == 2
    assert "allowed values are 0, 1, 2, 3" in err
    assert len(err.strip().splitlines()) == 1
    good = tmp_path / "good.json"
    good.write_text("{}", encoding="utf-8")
    code, _, err = _run(
        ["administer", str(practice_path), "--client", "NOPE", "--form", "phq-9", "--answers", str(good)],
        capsys,
    )
    assert code == 2
    assert "No client has chart number NOPE" in err
    code, _, err = _run(
        ["administer", str(practice_path), "--client", chart, "--form", "urica-32", "--focus", "gambling",
         "--answers", str(good)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "no focus 'gambling'" in err


def test_due_rescore_and_fhir_export(
    practice_path: Path, chart: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["due", str(practice_path), "--today", "2026-01-05", "--json"], capsys)
    assert code == 0
    assert json.loads(out) == [
        {
            "chart_number": "CLI-1",
            "focus": "alcohol",
            "last_assessed": None,
            "due_on": "2026-01-01",
            "overdue_days": 4,
        }
    ]
    code, out, _ = _run(["due", str(practice_path), "--today", "2025-12-01", "--within", "3"], capsys)
    assert code == 0
    assert "Nobody is due" in out
    code, out, _ = _run(["due", str(practice_path), "--today", "2026-01-01"], capsys)
    assert "CLI-1\talcohol\t2026-01-01\tdue today\tnever assessed" in out
    code, _, err = _run(["due", str(practice_path), "--today", "soon"], capsys)
    assert code == 2
    assert "YYYY-MM-DD" in err

    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({str(n): 4 for n in range(1, 33)}), encoding="utf-8")
    code, _, err = _run(
        ["administer", str(practice_path), "--client", chart, "--form", "urica-32", "--focus", "alcohol",
         "--answers", str(answers), "--complete"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = _run(["rescore", str(practice_path), "--client", chart], capsys)
    assert code == 0
    assert "Re-scored 1 administration(s); 0 changed." in out

    bundle = tmp_path / "bundle.json"
    code, out, err = _run(["fhir-export", str(practice_path), "--out", str(bundle)], capsys)
    assert code == 0, err
    assert "1 response(s)" in out
    assert "NOT encrypted" in err
    assert json.loads(bundle.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    code, _, err = _run(["fhir-export", str(practice_path), "--out", str(bundle)], capsys)
    assert code == 2
    assert "already exists" in err
