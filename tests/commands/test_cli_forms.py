"""``stagewise forms …`` and ``stagewise score`` through cli.main, and a few through a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from stagewise.cli import main
from stagewise.core.instruments import shipped_instruments_dir

CORPUS = Path(__file__).resolve().parents[1] / "core" / "instruments" / "form_corpus"


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_forms_list_shows_licences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "list"]) == 0
    out = capsys.readouterr().out
    audit_line = next(line for line in out.splitlines() if line.startswith("audit "))
    assert "non commercial" in audit_line
    assert "NOT for commercial use" in audit_line
    dast_line = next(line for line in out.splitlines() if line.startswith("dast-10"))
    assert "NOT for commercial use" in dast_line
    assert "rcq-12 *" in out  # unverified marker
    assert "UNVERIFIED" in out


def test_forms_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == 12
    assert by_id["audit"]["commercial_use_allowed"] is False
    assert by_id["rcq-12"]["licence"] == "permission_unverified"
    assert by_id["rcq-12"]["scoring_unverified"] is True
    assert rows[0]["id"] == "urica-32"


def test_forms_check_default_and_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "check"]) == 0
    assert "12 instrument file(s) valid" in capsys.readouterr().out
    good = str(CORPUS / "valid_minimal.toml")
    bad = str(CORPUS / "band_gap.toml")
    assert main(["forms", "check", good, bad, str(CORPUS / "bad_scale_ref.toml")]) == 2
    captured = capsys.readouterr()
    assert "ok  " in captured.out
    assert "band_gap.toml: bands[1].ranges: gap between 2 and 4" in captured.err
    assert "bad_scale_ref.toml: items[2].scale: no scale 'nope'" in captured.err
    assert "2 of 3 instrument file(s) are invalid" in captured.err
    assert "Traceback" not in captured.err


def test_forms_check_includes_the_practice_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "home" / "data" / "forms" / "instruments"
    folder.mkdir(parents=True)
    shutil.copy(CORPUS / "band_short.toml", folder / "ours.toml")
    assert main(["--data-dir", str(tmp_path / "home"), "forms", "check"]) == 2
    assert "ours.toml: bands[1].ranges: ranges cover 0–5" in capsys.readouterr().err


def test_forms_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "show", "urica-32", "--behaviour", "my drinking"]) == 0
    out = capsys.readouterr().out
    assert "readiness: contemplation + action + maintenance - precontemplation range -2–14" in out
    assert "Stage rule habits_lab_cutoffs" in out
    assert "UNVERIFIED:" in out
    assert "my drinking" in out
    assert main(["forms", "show", "dast-10", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["scores"][0]["reverse"] == ["3"]
    assert info["licence"]["commercial_use_allowed"] is False
    assert len(info["sha256"]) == 64


def test_forms_fhir(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "fhir", "gad-7"]) == 0
    resource = json.loads(capsys.readouterr().out)
    parsed = Questionnaire.model_validate(resource)
    assert parsed.code
    assert parsed.code[0].code == "69737-5"


def test_score_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = write(tmp_path, "a.json", json.dumps({str(i): 2 for i in range(1, 10)} | {"9": 1}))
    assert main(["score", "phq-9", "--answers", str(answers), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["form"] == "phq-9"
    assert result["scores"] == {"total": 17}
    assert result["bands"] == {"total": "moderately severe"}
    assert result["flags"] == ["phq9_item9_positive"]
    assert result["complete"] is True


def test_score_table_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = write(tmp_path, "a.json", json.dumps({"answers": {"1": 2, "2": 1, "3": 0}}))
    assert (
        main(["score", "audit-c", "--answers", str(answers), "--sex", "female", "--behaviour", "alcohol"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Focus: alcohol" in out
    assert "total" in out
    assert "positive for hazardous drinking" in out
    urica = write(tmp_path, "u.json", json.dumps({str(i): 3 for i in range(1, 32)}))
    assert main(["score", "urica-32", "--answers", str(urica)]) == 0
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out
    assert "Missing items: 32" in out
    assert "maintenance" in out


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            '{"12": 7}',
            ["urica-32"],
            "item 12 of urica-32: 7 is not allowed; allowed values are 1, 2, 3, 4, 5",
        ),
        ('{"33": 1}', ["urica-32"], "urica-32 has no item '33'"),
        ('{"1": "two"}', ["phq-9"], "item 1 of phq-9: 'two' is not a number; allowed values are 0, 1, 2, 3"),
        ('{"1": true}', ["phq-9"], "item 1 of phq-9: bool is not a number"),
        ('{"1": 2,', ["phq-9"], "is not valid JSON"),
        ("[1, 2]", ["phq-9"], "must hold a JSON object"),
        ('{"1": 1}', ["nope"], "unknown instrument 'nope'; known: urica-32"),
        ('{"9": 1}', ["audit"], "item 9 of audit: 1 is not allowed; allowed values are 0, 2, 4"),
        ('{"1": 1}', ["urica-32", "--urica-stage-rule", "vibes"], "unknown stage rule 'vibes'"),
    ],
)
def test_score_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, args: list[str], message: str
) -> None:
    answers = write(tmp_path, "a.json", content)
    assert main(["score", *args[:1], "--answers", str(answers), *args[1:]]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


def test_score_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "phq-9", "--answers", str(tmp_path / "none.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unknown_form_in_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "show", "xyz"]) == 2
    assert "unknown instrument 'xyz'" in capsys.readouterr().err


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STAGEWISE_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "stagewise", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
def test_subprocess_score_and_error(tmp_path: Path) -> None:
    answers = write(tmp_path, "a.json", json.dumps({"1": 1, "2": 0, "3": 1}))
    done = _run("score", "dast-10", "--answers", str(answers), "--json", home=tmp_path / "h")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["missing"] == ["4", "5", "6", "7", "8", "9", "10"]
    assert result["scores"] == {"total": None}
    bad = write(tmp_path, "b.json", '{"3": 2}')
    failed = _run("score", "dast-10", "--answers", str(bad), home=tmp_path / "h")
    assert failed.returncode == 2
    assert failed.stderr.strip() == "stagewise: item 3 of dast-10: 2 is not allowed; allowed values are 0, 1"
    assert "Traceback" not in failed.stderr


@pytest.mark.e2e
def test_subprocess_forms_check_corpus(tmp_path: Path) -> None:
    done = _run("forms", "check", str(CORPUS / "not_utf8.toml"), home=tmp_path / "h")
    assert done.returncode == 2
    assert "not_utf8.toml: $: is not UTF-8 text" in done.stderr
    listed = _run("forms", "list", home=tmp_path / "h")
    assert listed.returncode == 0
    assert str(shipped_instruments_dir()) not in listed.stdout
    assert "dast-10" in listed.stdout
