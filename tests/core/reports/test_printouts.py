"""Printouts and their audit: AES-256 passwords, view / print / export recorded when they happen, local
time in footers, note excerpts with the hashes in an appendix, and a page budget that scales."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportlab.platypus import Paragraph
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import EncryptionUnavailableError
from stagewise.core.models import AuditEvent
from stagewise.core.reports.client_summary import Audience, build_client_summary, write_client_summary
from stagewise.core.reports.data import AddendumEntry, ClientIdentity, ClientReportData, NoteEntry
from stagewise.core.reports.layout import PageDecor, PageSizeName, frame_width, para, render
from stagewise.core.reports.note_summaries import EXCERPT_LINES, NoteText, note_paragraph
from stagewise.core.reports.output import Output, record_output
from tests.core.reports import report_fixtures as rf
from tests.core.reports.report_pdf import flat, pdf_pages

START = dt.date(2024, 1, 1)
END = dt.date(2024, 12, 31)
PASSWORD = "correct horse"


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def _opens(pdf: Path, *args: str) -> bool:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True).returncode == 0


# -- AES-256 ----------------------------------------------------------------------------------------


def test_password_protected_pdf_is_aes_256(session: Session, tmp_path: Path) -> None:
    ids = rf.add_fixture_client(session)
    out = tmp_path / "locked.pdf"
    rendered = write_client_summary(
        session, ids.client_id, out, actor="a", start=START, end=END, password=PASSWORD
    )
    assert rendered.encrypted
    raw = out.read_bytes()
    # The standard security handler at its AES-256 revision (PDF 2.0): /V 5 /R 6 with the AESV3 filter.
    assert re.search(rb"/V 5\b", raw)
    assert re.search(rb"/R 6\b", raw)
    assert b"/AESV3" in raw
    assert b"/V2" not in raw
    assert b"/RC4" not in raw
    assert not re.search(rb"/V [1-4]\b", raw)
    assert not _opens(out)
    assert not _opens(out, "-upw", "wrong horse")
    assert _opens(out, "-upw", PASSWORD)
    assert _opens(out, "-opw", PASSWORD)
    assert rf.CHART in pdf_pages(out, password=PASSWORD)[0]
    info = subprocess.run(["pdfinfo", "-upw", PASSWORD, str(out)], capture_output=True, text=True).stdout
    assert "AES-256" in info


def test_without_aes_256_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # as if the package were missing: no weaker fallback
    out = tmp_path / "never.pdf"
    with pytest.raises(EncryptionUnavailableError, match="AES-256"):
        render([para("text")], out, PageDecor("Practice", "Title", None), password=PASSWORD)
    assert not out.exists()
    render([para("text")], out, PageDecor("Practice", "Title", None))  # no password: no encryption needed
    assert out.read_bytes().startswith(b"%PDF")


# -- the audit tells the truth ----------------------------------------------------------------------


def test_a_preview_is_viewed_and_a_print_is_recorded_when_it_happens(session: Session) -> None:
    import io

    ids = rf.add_fixture_client(session)
    write_client_summary(session, ids.client_id, io.BytesIO(), actor="aokafor", action=Output.VIEW)
    (viewed,) = [e for e in _events(session, "view") if "report" in json.loads(e.details)]
    assert (viewed.entity, viewed.entity_id) == ("client", str(ids.client_id))
    assert _events(session, "print") == []  # a preview only: nothing printed
    assert _events(session, "export") == []

    # Printing: the PDF is made first (nothing recorded yet), the print is recorded once it happened.
    rendered = write_client_summary(session, ids.client_id, io.BytesIO(), actor="aokafor", action=None)
    assert _events(session, "print") == []
    assert rendered.event is not None
    record_output(session, "aokafor", Output.PRINT, rendered.event)
    (printed,) = _events(session, "print")
    details = json.loads(printed.details)
    assert (printed.username, details["report"], details["pages"]) == (
        "aokafor",
        "client_summary",
        rendered.pages,
    )
    assert len([e for e in _events(session, "view") if "report" in json.loads(e.details)]) == 1
    for secret in (rf.CHART, rf.NAME_GIVEN, rf.NAME_FAMILY):
        assert secret not in printed.details
    with pytest.raises(ValueError, match="action"):
        write_client_summary(session, ids.client_id, io.BytesIO(), actor="a", action="preview")


# -- local time in footers ----------------------------------------------------------------------------


@pytest.fixture
def toronto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Toronto")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _data(notes: tuple[NoteEntry, ...] | None = None, **kw: object) -> ClientReportData:
    return ClientReportData(
        practice_name="Harbour Counselling",
        client=ClientIdentity("ZL-2041", "Zoë", "Ødegård", dt.date(1984, 3, 2)),
        start=START,
        end=END,
        focuses=(),
        administrations=(),
        notes=notes,
        clinician_name="Amara Okafor",
        **kw,  # type: ignore[arg-type]
    )


def test_footer_shows_local_time_not_utc(toronto: None, tmp_path: Path) -> None:
    out = tmp_path / "when.pdf"
    made = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    build_client_summary(_data(generated_at=made), out)
    text = flat(pdf_pages(out)[0])
    assert "Made with Stagewise on 1 Jun 2024 at 08:00 EDT" in text
    assert "12:00" not in text
    assert "UTC" not in text


# -- notes: excerpts, hashes in an appendix, a page budget that scales ---------------------------------

LONG = (
    "Client described the week in detail, with the ups and downs of sticking to the plan at work and at "
    "home, what helped on the hard evenings and what did not, and the conversations with family about it. "
) * 6


def _heavy_notes(count: int) -> tuple[NoteEntry, ...]:
    notes = []
    for i in range(count):
        day = dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC) + dt.timedelta(days=2 * i)
        addenda = (
            (
                AddendumEntry(
                    day + dt.timedelta(days=1), "Amara Okafor", "Late entry: " + LONG, f"{i:064x}"[::-1]
                ),
            )
            if i % 10 == 0
            else ()
        )
        notes.append(
            NoteEntry(
                id=i + 1,
                template_id="soap",
                template_title="SOAP note",
                written_at=day,
                signed_at=day,
                signed_by="Amara Okafor",
                fields=(("Subjective", LONG), ("Objective", LONG), ("Assessment", LONG), ("Plan", LONG)),
                hash=f"{i:064x}",
                addenda=addenda,
            )
        )
    return tuple(notes)


def test_note_excerpts_stay_short_whatever_the_note_length() -> None:
    width = frame_width(PageSizeName.A4)
    for note in _heavy_notes(12):
        excerpt = note_paragraph(note, NoteText.EXCERPT)
        full = note_paragraph(note, NoteText.FULL)
        for p in (excerpt, full):
            assert isinstance(p, Paragraph)
            p.wrap(width, 10_000)
        assert len(excerpt.blPara.lines) <= EXCERPT_LINES
        assert len(full.blPara.lines) > 4 * EXCERPT_LINES


def test_a_heavy_chart_prints_within_the_page_budget_and_the_appendix_holds_every_hash(
    tmp_path: Path,
) -> None:
    notes = _heavy_notes(120)
    excerpt_pdf, full_pdf = tmp_path / "excerpt.pdf", tmp_path / "full.pdf"
    excerpts = build_client_summary(_data(notes), excerpt_pdf)
    full = build_client_summary(_data(notes), full_pdf, note_text=NoteText.FULL)
    # about 30 excerpts a page plus a compact appendix of hashes (about 70 a page)
    assert excerpts.pages <= 2 + len(notes) // 30 + len(notes) // 70 + 1
    assert full.pages > 4 * excerpts.pages  # the full text is the choice that costs paper
    text = flat(" ".join(pdf_pages(excerpt_pdf)))
    body, appendix = text.split("Appendix: note hashes")
    for n in notes:
        assert n.hash in appendix
        assert n.hash not in body  # never inline
        for add in n.addenda:
            assert add.hash in appendix
    assert "Late entry" not in body  # the excerpt counts addenda, the full version prints them
    assert "1 addendum" in body
    assert "Late entry" in flat(" ".join(pdf_pages(full_pdf)))
    client = build_client_summary(_data(notes), tmp_path / "client.pdf", audience=Audience.CLIENT)
    assert client.pages == 1  # the client's version never prints notes or hashes
