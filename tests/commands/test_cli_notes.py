from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from stagewise.cli import main
from stagewise.core.models import AuditEvent
from stagewise.core.notes import drafts as notes
from stagewise.core.storage.store import Practice
from tests.conftest import PASSPHRASE
from tests.core.notes.test_notes import SOAP, T0, People, make_people

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def filled(practice: Practice) -> People:
    with practice.session_factory.begin() as s:
        p = make_people(s)
        a = notes.create_draft(
            s, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP, now=T0
        )
        notes.sign_note(s, a.id, user_id=p.alice, actor=None, now=T0)
        notes.create_draft(
            s,
            client_id=p.other_client,
            template_id="dap",
            author_id=p.bob,
            actor=None,
            fields={"data": "No cravings this week (a first)."},
            now=T0 + dt.timedelta(days=1),
        )
    return p


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json(practice: Practice, filled: People, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", str(practice.path), "cravings", "--json")
    assert (code, err) == (0, "")
    hits = json.loads(out)
    assert [h["chart_number"] for h in hits] == ["C-002", "C-001"]
    assert hits[1] == {
        "chart_number": "C-001",
        "note_id": 1,
        "date": "2026-03-02T09:00:00.000Z",
        "template": "soap",
        "status": "signed",
        "snippet": "Reports fewer [cravings]. Calm. Steady. Weekly.",
    }
    code, out, _ = run(capsys, "search", str(practice.path), "cravings", "--client", "C-001", "--json")
    assert [h["note_id"] for h in json.loads(out)] == [1]
    code, out, _ = run(
        capsys, "search", str(practice.path), "crav", "--author", "bob", "--template", "dap", "--json"
    )
    assert [h["chart_number"] for h in json.loads(out)] == ["C-002"]
    day = T0.astimezone().date().isoformat()
    code, out, _ = run(capsys, "search", str(practice.path), "cravings", "--from", day, "--to", day, "--json")
    assert [h["note_id"] for h in json.loads(out)] == [1]
    code, out, _ = run(capsys, "search", str(practice.path), "cravings", "--limit", "1", "--json")
    assert len(json.loads(out)) == 1
    with practice.session_factory() as s:
        last = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert last is not None
    assert (last.action, last.entity) == ("view", "note_search")
    assert "cravings" not in last.details  # never the query text


def test_search_readable_and_empty(
    practice: Practice, filled: People, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "search", str(practice.path), "weekly")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("C-001  note 1  ")
    assert lines[0].endswith("  soap  signed")
    assert lines[1] == "    Reports fewer cravings. Calm. Steady. [Weekly]."
    code, out, _ = run(capsys, "search", str(practice.path), "zebra")
    assert (code, out) == (0, "No notes match.\n")


@pytest.mark.parametrize("query", ['"cravings', "NEAR(cravings)", "cravings*)", "-", "AND OR"])
def test_fts_syntax_is_never_an_error(
    practice: Practice, filled: People, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    code, out, err = run(capsys, "search", str(practice.path), query, "--json")
    assert (code, err) == (0, "")
    assert isinstance(json.loads(out), list)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "NOPE"], "There is no client with chart number NOPE."),
        (["--author", "zed"], "There is no user zed."),
        (["--from", "2026-05-02", "--to", "2026-05-01"], "--from is after --to; nothing can match."),
    ],
)
def test_user_errors_exit_2_with_one_line(
    practice: Practice, filled: People, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "search", str(practice.path), "cravings", *args)
    assert (code, out) == (2, "")
    assert err == f"stagewise: {message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "'2026-13-01' is not a date; use YYYY-MM-DD"),
        (["--limit", "0"], "'0': give a whole number from 1 to 1000"),
    ],
)
def test_malformed_options_exit_2_with_one_line(
    practice: Practice, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["search", str(practice.path), "cravings", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.e2e
def test_search_in_a_real_process(practice: Practice, filled: People) -> None:
    practice.close()
    env = dict(os.environ, PYTHONPATH=str(REPO / "desktop"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stagewise",
            "search",
            str(practice.path),
            "Cravings",
            "--passphrase-stdin",
            "--json",
        ],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [h["note_id"] for h in json.loads(done.stdout)] == [2, 1]
