"""``stagewise report`` and ``forms print`` through the real CLI entry point."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from stagewise import cli
from stagewise.commands.reports import add_forms_print_parser
from stagewise.core.models import AuditEvent
from stagewise.core.storage.store import Practice
from tests.conftest import PASSPHRASE
from tests.core.reports import report_fixtures as rf
from tests.core.reports.report_pdf import flat, pdf_pages


@pytest.fixture
def filled(practice: Practice) -> Practice:
    with practice.session_factory.begin() as s:
        rf.add_fixture_client(s)
    return practice


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_client_report(filled: Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "zoe.pdf"
    argv = [
        "report",
        str(filled.path),
        "--client",
        rf.CHART,
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--focus",
        "alcohol",
        "--out",
        str(out),
    ]
    assert _run(argv, monkeypatch) == 0
    pages = pdf_pages(out)
    text = flat(" ".join(pages))
    assert rf.CHART in pages[-1]
    assert "Decisional balance exercise" in text
    assert "Walking group referral" not in text  # smoking focus left out
    with filled.session_factory() as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.entity) == ("export", "client")
    assert event.username is not None
    assert event.username.startswith("cli")


def test_notes_as_excerpts_by_default_or_in_full(
    filled: Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["report", str(filled.path), "--client", rf.CHART, "--from", "2024-01-01", "--to", "2024-12-31"]
    excerpt, full = tmp_path / "excerpt.pdf", tmp_path / "full.pdf"
    assert _run([*base, "--notes", "--out", str(excerpt)], monkeypatch) == 0
    assert _run([*base, "--notes", "--note-text", "full", "--out", str(full)], monkeypatch) == 0
    short, whole = flat(" ".join(pdf_pages(excerpt))), flat(" ".join(pdf_pages(full)))
    assert "Signed notes (excerpts)" in short
    assert "Late entry: GP letter received." not in short
    assert "Late entry: GP letter received." in whole
    assert "Appendix: note hashes" in short
    assert "Appendix: note hashes" in whole
    with filled.session_factory() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id))
        assert [json.loads(e.details)["note_text"] for e in events] == ["excerpt", "full"]


def test_client_version_with_password_from_stdin(
    filled: Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "client.pdf"
    argv = [
        "report",
        str(filled.path),
        "--passphrase-stdin",
        "--client",
        rf.CHART,
        "--audience",
        "client",
        "--password-stdin",
        "--out",
        str(out),
    ]
    assert _run(argv, monkeypatch, f"{PASSPHRASE}\npdf-secret\n") == 0
    assert subprocess.run(["pdftotext", str(out), "-"], capture_output=True).returncode != 0
    assert "Your progress summary" in pdf_pages(out, password="pdf-secret")[0]


def test_practice_report_deidentified(
    filled: Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "funder.pdf"
    argv = ["report", str(filled.path), "--practice", "--deidentify", "--to", "2024-12-31", "--out", str(out)]
    assert _run(argv, monkeypatch) == 0
    text = " ".join(pdf_pages(out))
    for secret in (rf.CHART, rf.SECOND_CHART, rf.NAME_FAMILY, rf.SECOND_FAMILY):
        assert secret not in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--client", "NOPE-1"], "no client with chart number NOPE-1"),
        (["--client", rf.CHART, "--from", "2024-13-01"], "--from must be a date"),
        (["--client", rf.CHART, "--focus", "gambling"], "no focus 'gambling'"),
        (["--practice", "--audience", "client"], "apply to a client report"),
        (["--client", rf.CHART, "--deidentify"], "--deidentify applies to the practice report"),
        (["--client", rf.CHART, "--from", "2024-05-01", "--to", "2024-01-01"], "--from is after --to"),
        (["--client", rf.CHART, "--note-text", "full"], "--note-text applies with --notes"),
    ],
)
def test_user_errors_exit_2_and_write_nothing(
    filled: Practice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "x.pdf"
    assert _run(["report", str(filled.path), *extra, "--out", str(out)], monkeypatch) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert not list(tmp_path.glob(".stagewise-report-*"))


def _forms_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stagewise")
    sub = parser.add_subparsers()
    forms = sub.add_parser("forms")
    add_forms_print_parser(forms.add_subparsers())
    return parser


def test_forms_print_without_practice(tmp_path: Path) -> None:
    out = tmp_path / "urica.pdf"
    args = _forms_parser().parse_args(["forms", "print", "urica-32", "--out", str(out)])
    assert args.func(args) == 0
    assert "University of Rhode Island Change Assessment" in flat(" ".join(pdf_pages(out)))


def test_forms_print_audited_in_practice(filled: Practice, tmp_path: Path) -> None:
    out = tmp_path / "phq.pdf"
    args = _forms_parser().parse_args(
        ["forms", "print", "phq-9", "--practice", str(filled.path), "--out", str(out)]
    )
    assert args.func(args) == 0
    assert "Harbour Counselling" in pdf_pages(out)[0]
    with filled.session_factory() as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.entity, event.entity_id) == ("export", "form", "phq-9")
