"""Client progress summary: real PDFs from a real practice file, read back with poppler."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import NotFoundError, UserInputError
from stagewise.core.instruments import load_library
from stagewise.core.models import AuditEvent
from stagewise.core.reports.client_summary import Audience, fmt_score, write_client_summary
from stagewise.core.reports.data import gather_client_report
from stagewise.core.reports.layout import PageSizeName
from stagewise.core.reports.note_summaries import NoteText
from tests.core.reports import report_fixtures as rf
from tests.core.reports.report_pdf import flat, pdf_fonts, pdf_info, pdf_pages, render_pngs

START = dt.date(2024, 1, 1)
END = dt.date(2024, 12, 31)
FULL_NAME = f"{rf.NAME_GIVEN} {rf.NAME_FAMILY}"


@pytest.fixture
def ids(session: Session) -> rf.FixtureIds:
    return rf.add_fixture_client(session)


def _summary(session: Session, ids: rf.FixtureIds, out: Path, **kwargs: object) -> list[str]:
    rendered = write_client_summary(
        session, ids.client_id, str(out), actor="aokafor", start=START, end=END, **kwargs
    )
    pages = pdf_pages(out, password=kwargs.get("password"))
    assert rendered.pages == len(pages)
    return pages


def test_identifiers_and_page_numbers_on_every_page(
    session: Session, ids: rf.FixtureIds, tmp_path: Path
) -> None:
    pages = _summary(session, ids, tmp_path / "summary.pdf", include_notes=True)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert rf.CHART in text, f"page {number} lacks the chart number"
        assert FULL_NAME in text, f"page {number} lacks the client's name"
        assert f"Page {number} of {len(pages)}" in text


def test_unicode_name_survives_in_embedded_fonts(
    session: Session, ids: rf.FixtureIds, tmp_path: Path
) -> None:
    out = tmp_path / "summary.pdf"
    pages = _summary(session, ids, out)
    assert "Zoë Łukasiewicz-Ødegård" in pages[0]
    fonts = pdf_fonts(out)
    assert "DejaVuSans" in fonts
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, f"font not embedded: {line}"  # emb column
    # Names stay out of the PDF metadata (easily overlooked when a file is shared).
    info = pdf_info(out)
    assert rf.NAME_FAMILY not in info
    assert rf.CHART not in info


def test_stage_names_scores_and_interventions(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    text = flat(" ".join(_summary(session, ids, tmp_path / "summary.pdf")))
    for stage in ("Precontemplation", "Contemplation", "Preparation", "Action", "Not staged for now"):
        assert stage in text
    assert "Getting ready to change" in text  # plain-language label beside the clinician's stage
    assert "moved back a stage (recycling)" in text
    assert "1 move(s) back a stage (recycling)" in text
    for _day, pc, c, a, m, r in rf.URICA:
        for name, value in (
            ("precontemplation", pc),
            ("contemplation", c),
            ("action", a),
            ("maintenance", m),
            ("readiness", r),
        ):
            assert f"{name} {fmt_score(value)}" in text
    for _day, re_, am, ts in rf.SOCRATES:
        assert f"recognition {re_}; ambivalence {am}; taking steps {ts}" in text
    for series in (rf.BARC, rf.GAD7, rf.AUDIT):
        for _day, total in series:
            assert f"total {total}" in text
    assert "total 17 (moderately severe)" in text  # PHQ-9 with its band
    assert f"Flagged: {rf.RISK_FLAG.replace('_', ' ')}" in text  # clinician version shows flags
    assert rf.OVERRIDE_REASON in text
    assert rf.PAUSE_REASON in text
    assert "Decisional balance exercise" in text
    assert "Walking group referral" in text
    assert rf.DECLINED_TITLE not in text
    # Voided and in-progress administrations are left out.
    assert "13 Aug 2024" not in text
    assert "14 Aug 2024" not in text
    # Notes are off by default.
    assert rf.NOTE_TEXT not in text
    assert not any(h in text for h in ids.note_hashes)
    # The chart bands and lines are drawn and labelled.
    assert "47 line" in text
    assert "20–27 severe" in text
    assert "very high (90)" in text


def test_clinician_version_footnotes_the_unverified_caveats_the_client_version_never(
    session: Session, ids: rf.FixtureIds, tmp_path: Path
) -> None:
    library = load_library()
    text = flat(" ".join(_summary(session, ids, tmp_path / "summary.pdf")))
    assert "Not verified (for the clinician)" in text
    assert text.index("Not verified (for the clinician)") > text.index("Administrations")  # a footnote
    for form_id in ("urica-32", "barc-10", "phq-9"):  # instruments the fixture completed
        form = library.get(form_id)
        assert f"{form.short_title} ({form.citation_short}):" in text
        for caveat in form.caveats():
            assert flat(caveat) in text
    assert "§" not in text
    client = flat(" ".join(_summary(session, ids, tmp_path / "client.pdf", audience=Audience.CLIENT)))
    assert "Not verified" not in client
    assert not any(flat(c) in client for f in library.forms for c in f.caveats())


def test_notes_included_with_hashes_signed_only(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    text = flat(" ".join(_summary(session, ids, tmp_path / "summary.pdf", include_notes=True)))
    assert rf.NOTE_TEXT in text
    assert "SOAP note" in text  # the template's title and field labels, not ids
    assert f"Subjective: {rf.NOTE_TEXT}" in text
    notes, appendix = text.split("Appendix: note hashes")
    for h in ids.note_hashes:  # hashes in the appendix, not inline
        assert h in appendix
        assert h not in notes
    assert "1 addendum" in notes  # an excerpt counts the addenda ...
    assert "Late entry: GP letter received." not in text
    full = flat(
        " ".join(_summary(session, ids, tmp_path / "full.pdf", include_notes=True, note_text=NoteText.FULL))
    )
    assert "Late entry: GP letter received." in full  # ... the full text has them
    assert rf.DRAFT_TEXT not in text
    assert rf.DRAFT_TEXT not in full


def test_client_version_is_plain_and_has_no_clinician_content(
    session: Session, ids: rf.FixtureIds, tmp_path: Path
) -> None:
    pages = _summary(session, ids, tmp_path / "client.pdf", audience=Audience.CLIENT, include_notes=True)
    text = flat(" ".join(pages))
    assert text.startswith("Harbour Counselling")
    assert "Your progress summary" in text
    for label in ("Thinking about change", "Getting ready to change", "Making changes"):
        assert label in text
    assert "Moving back and forth between stages is a normal part of change." in text
    assert "failure" not in text.lower()
    for hidden in (
        rf.OVERRIDE_REASON,
        rf.PAUSE_REASON,
        rf.NOTE_TEXT,
        rf.RISK_FLAG,
        rf.DECLINED_TITLE,
        "Stage decisions",
        "Questionnaire suggested",
        "(moderately severe)",
        *ids.note_hashes,
    ):
        assert hidden not in text
    # agreed interventions are shared, in the library's words for the client (never a model's names)
    assert "Weighing up the good and the not so good sides of change" in text
    assert "Writing down a plan for the change you want to make" in text
    assert "Walking group referral" in text  # one the clinician added keeps the clinician's words
    assert "Decisional balance exercise" not in text
    for number, page in enumerate(pages, start=1):
        assert rf.CHART in page
        assert f"Page {number} of {len(pages)}" in page


def test_practice_label_overrides_reach_the_client_version(
    session: Session, ids: rf.FixtureIds, tmp_path: Path
) -> None:
    from stagewise.core.models import Setting

    session.add(Setting(key="client_stage_labels", value={"preparation": "Planning my next steps"}))
    session.flush()
    text = flat(" ".join(_summary(session, ids, tmp_path / "client.pdf", audience=Audience.CLIENT)))
    assert "Planning my next steps" in text
    assert "Getting ready to change" not in text


def test_focus_filter(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    text = flat(" ".join(_summary(session, ids, tmp_path / "s.pdf", focus_keys=["smoking"])))
    assert "Walking group referral" in text
    assert "Decisional balance exercise" not in text
    assert "total 17" in text  # focus-less PHQ-9 stays
    assert "AUDIT" not in text  # alcohol-focus administrations go
    with pytest.raises(NotFoundError):
        gather_client_report(session, ids.client_id, focus_keys=["gambling"])
    with pytest.raises(UserInputError):
        gather_client_report(session, ids.client_id, start=END, end=START)


def test_stage_in_force_before_the_period_starts_the_timeline(session: Session, ids: rf.FixtureIds) -> None:
    data = gather_client_report(session, ids.client_id, start=dt.date(2024, 6, 1), end=END)
    alcohol = next(f for f in data.focuses if f.key == "alcohol")
    assert alcohol.history[0].effective == dt.date(2024, 5, 20)  # preparation, in force on 1 June
    assert [e.stage.value if e.stage else None for e in alcohol.history] == [
        "preparation",
        "action",
        None,
        "contemplation",
        "preparation",
    ]


def test_export_is_audited_without_client_data(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    rendered = write_client_summary(
        session, ids.client_id, str(tmp_path / "a.pdf"), actor="aokafor", start=START, end=END, action="print"
    )
    event = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.entity, event.entity_id, event.username) == (
        "print",
        "client",
        str(ids.client_id),
        "aokafor",
    )
    details = json.loads(event.details)
    assert details["pages"] == rendered.pages
    assert details["report"] == "client_summary"
    for secret in (rf.CHART, rf.NAME_GIVEN, rf.NAME_FAMILY):
        assert secret not in event.details


def test_password_protected_pdf(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    out = tmp_path / "locked.pdf"
    rendered = write_client_summary(
        session, ids.client_id, str(out), actor="a", start=START, end=END, password="correct horse"
    )
    assert rendered.encrypted
    assert subprocess.run(["pdftotext", str(out), "-"], capture_output=True).returncode != 0
    assert rf.CHART in pdf_pages(out, password="correct horse")[0]


def test_letter_paper(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    out = tmp_path / "letter.pdf"
    write_client_summary(
        session, ids.client_id, out, actor="a", start=START, end=END, page_size=PageSizeName.LETTER
    )
    assert "612 x 792 pts (letter)" in pdf_info(out)


def test_ten_years_paginate_cleanly(session: Session, tmp_path: Path) -> None:
    client_id = rf.add_ten_year_client(session)
    out = tmp_path / "ten.pdf"
    rendered = write_client_summary(
        session,
        client_id,
        str(out),
        actor="a",
        start=dt.date(2015, 1, 1),
        end=dt.date(2024, 12, 31),
        include_notes=True,
    )
    pages = pdf_pages(out)
    assert 30 <= rendered.pages == len(pages) <= 250
    for number, text in enumerate(pages, start=1):
        assert rf.TEN_YEAR_CHART in text
        assert f"Page {number} of {len(pages)}" in text
        assert "Ingrid Þórsdóttir" in text
    # Its speed (target 1.5 s) is tests/benchmarks/run.py's report_pdf_s, not asserted here.
    pngs = render_pngs(out, tmp_path / "ten", first=1, last=2)
    assert len(pngs) == 2
    assert all(p.stat().st_size > 1000 for p in pngs)


def test_default_period_starts_at_the_first_record(session: Session, ids: rf.FixtureIds) -> None:
    data = gather_client_report(session, ids.client_id, end=END)
    assert data.start == dt.date(2024, 1, 8)  # the chart was opened before the first record
    from stagewise.core.models import StageRecord

    session.add(
        StageRecord(
            client_id=ids.client_id,
            focus_id=ids.focus_ids["alcohol"],
            stage="contemplation",
            basis="clinical_judgement",
            effective=dt.date(2023, 6, 1),
        )
    )
    session.flush()
    assert gather_client_report(session, ids.client_id, end=END).start == dt.date(2023, 6, 1)


def test_client_with_nothing_recorded_yet(session: Session, tmp_path: Path) -> None:
    clin = rf.add_clinician(session)
    from stagewise.core.models import Client

    client = Client(
        chart_number="NEW-1",
        given_name="Åsa",
        family_name="Nyström",
        given_name_key="asa",
        family_name_key="nystrom",
        date_of_birth=dt.date(2001, 2, 3),
        clinician_id=clin.id,
    )
    session.add(client)
    session.flush()
    out = tmp_path / "new.pdf"
    write_client_summary(session, client.id, out, actor="a", end=END)
    text = flat(" ".join(pdf_pages(out)))
    assert "Åsa Nyström" in text
    assert "No questionnaire was completed in this period." in text
    assert "No focus of change is recorded yet." in text
