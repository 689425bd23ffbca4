"""``stagewise stage``, ``stagewise interventions`` and ``stagewise metrics`` through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stagewise.cli import main
from stagewise.core.audit import trail as audit
from stagewise.core.models import Client, Focus, Stage, User
from stagewise.core.stages import records as stages
from stagewise.core.storage.store import Practice


@pytest.fixture
def chart(practice: Practice) -> Practice:
    """The practice with one clinician (ann) and one client (C-001) with an alcohol focus."""
    with practice.session_factory.begin() as s:
        s.add(User(username="ann", display_name="Ann", roles="clinician", password_hash="x"))
        client = Client(
            chart_number="C-001",
            given_name="Test",
            family_name="Person",
            given_name_key="test",
            family_name_key="person",
            date_of_birth=dt.date(1980, 1, 1),
        )
        client.focuses = [Focus(key="alcohol", label="Alcohol")]
        s.add(client)
    return practice


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors (an invalid choice) exit from parse_args
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_stage_command_records_overrides_pauses_and_backward_moves(
    chart: Practice, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(chart.path)
    base = ("stage", path, "--client", "C-001", "--focus", "alcohol")
    code, out, _ = _run(capsys, *base, "--stage", "action", "--effective", "2026-01-05", "--by", "ann")
    assert code == 0
    assert "Recorded action for focus alcohol from 2026-01-05." in out
    code, out, err = _run(capsys, *base, "--stage", "action", "--proposed", "contemplation")
    assert code == 2
    assert out == ""
    assert err == "stagewise: A reason is required when your stage differs from the proposed one.\n"
    code, out, _ = _run(capsys, *base, "--stage", "contemplation", "--effective", "2026-01-20", "--json")
    assert code == 0
    assert json.loads(out) | {"id": 0} == {
        "id": 0,
        "focus": "alcohol",
        "effective": "2026-01-20",
        "proposed": None,
        "stage": "contemplation",
        "basis": "clinical_judgement",
        "direction": "backward",
    }
    code, out, _ = _run(
        capsys, *base, "--stage", "none", "--reason", "Acute crisis", "--effective", "2026-02-01"
    )
    assert code == 0
    assert "not staged for now" in out
    with chart.session_factory() as s:
        focus_id = s.query(Focus.id).scalar()
        assert focus_id is not None
        assert [(r.stage, r.by_username) for r in stages.history(s, focus_id)] == [
            (Stage.ACTION, "ann"),
            (Stage.CONTEMPLATION, None),
            (None, None),
        ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--client", "NOPE", "--focus", "alcohol", "--stage", "action"), "no client with chart number NOPE"),
        (("--client", "C-001", "--focus", "gambling", "--stage", "action"), "has no focus 'gambling'"),
        (("--client", "C-001", "--focus", "alcohol", "--stage", "action", "--by", "zed"), "no user 'zed'"),
        (
            ("--client", "C-001", "--focus", "alcohol", "--stage", "action", "--effective", "5/1/26"),
            "YYYY-MM-DD",
        ),
        (("--client", "C-001", "--focus", "alcohol", "--stage", "thinking"), "invalid choice"),
    ],
)
def test_stage_command_errors_are_one_line(
    chart: Practice, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, _, err = _run(capsys, "stage", str(chart.path), *extra)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_interventions_lists_matched_entries_with_citations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "interventions", "--stage", "precontemplation", "--model", "smart", "--json")
    assert code == 0
    entries = json.loads(out)
    assert [e["id"] for e in entries] == ["smart.cost-benefit-analysis"]
    assert set(entries[0]) >= {"id", "title", "summary", "stages", "model", "rationale", "source"}
    assert "smartrecovery.org" in entries[0]["notice"]
    code, out, _ = _run(capsys, "interventions", "--json")
    assert len(json.loads(out)) == 40
    code, out, _ = _run(capsys, "interventions", "--stage", "action", "--model", "ttm")
    assert code == 0
    assert "ttm.stimulus-control" in out
    assert "Source: Prochaska" in out


def test_metrics_json_csv_and_table(
    chart: Practice, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(chart.path)
    base = ("stage", path, "--client", "C-001", "--focus", "alcohol")
    for stage, day in (
        ("contemplation", "2026-01-01"),
        ("action", "2026-01-11"),
        ("precontemplation", "2026-01-21"),
    ):
        assert _run(capsys, *base, "--stage", stage, "--effective", day)[0] == 0
    csv_file = tmp_path / "m.csv"
    code, out, _ = _run(
        capsys,
        "metrics",
        path,
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--focus",
        "alcohol",
        "--json",
        "--csv",
        str(csv_file),
    )
    assert code == 0
    data = json.loads(out)
    # C Jan 1–11 (10), A Jan 11–21 (10), PC Jan 21–31 (10); C→A forward, A→PC backward.
    assert data["distribution"] == {
        "precontemplation": 1,
        "contemplation": 0,
        "preparation": 0,
        "action": 0,
        "maintenance": 0,
    }
    assert data["time_in_stage_days"]["action"] == {"median": 10.0, "mean": 10.0}
    assert data["time_in_stage_days"]["maintenance"] == {"median": None, "mean": None}
    assert (data["advancement_rate"], data["recycling_share"], data["stalled"]) == (0.5, 1.0, 0)
    assert data["slowest_stage"] == "precontemplation"
    assert "advancement_rate,,0.5" in csv_file.read_text(encoding="utf-8")
    with chart.session_factory() as s:
        exports = [e for e in audit.recent(s, action="export") if e.entity == "metrics"]
    assert [e.details for e in exports] == [{"format": "csv"}]
    code, out, _ = _run(capsys, "metrics", path, "--to", "2026-01-31")
    assert code == 0
    assert "Advancement rate: 50.0% of 2 stage change(s)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "yesterday"), "--from 'yesterday' is not a date"),
        (("--from", "2026-02-01", "--to", "2026-01-01"), "after"),
    ],
)
def test_metrics_bad_dates_exit_2_with_one_line(
    chart: Practice, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = _run(capsys, "metrics", str(chart.path), *args)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.e2e
def test_interventions_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "STAGEWISE_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stagewise",
            "interventions",
            "--stage",
            "maintenance",
            "--model",
            "mi",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ids = [e["id"] for e in json.loads(done.stdout)]
    assert ids == ["mi.oars", "mi.four-processes", "mi.a-stabilize-change", "mi.m-relapse-prevention"]
