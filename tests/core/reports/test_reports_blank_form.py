"""Blank paper forms: every item verbatim, the scale, the instructions and the licence attribution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.instruments import load_library
from stagewise.core.models import AuditEvent
from stagewise.core.reports.blank_form import render_blank_form, write_blank_form
from tests.core.reports.report_pdf import flat, pdf_fonts, pdf_pages

FORM_IDS = [f.id for f in load_library().forms]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_item_verbatim(form_id: str, tmp_path: Path) -> None:
    form = load_library().get(form_id)
    out = tmp_path / f"{form_id}.pdf"
    rendered = render_blank_form(form, str(out), practice_name="Harbour Counselling")
    pages = pdf_pages(out)
    assert rendered.pages == len(pages)
    text = flat(" ".join(pages))
    for item in form.items:
        assert flat(form.item_text(item.id)) in text, f"item {item.id} of {form_id} is not verbatim"
    words = set(text.split())
    for scale in {form.scale(i.scale) for i in form.items}:
        for option in scale.options:
            # Grid headers wrap across columns, so pdftotext interleaves them: check word by word.
            assert set(form.fill(option.label).split()) <= words, f"scale label {option.label!r} missing"
    assert flat(form.fill(form.client_instructions)) in text
    assert flat(form.licence.attribution) in text
    assert "{behaviour}" not in text
    assert "[the behaviour]" not in text
    for number, page in enumerate(pages, start=1):
        assert "Name ____" in page
        assert f"Page {number} of {len(pages)}" in page
    assert "Helvetica" not in pdf_fonts(out)


def test_behaviour_fills_the_placeholder(tmp_path: Path) -> None:
    form = load_library().get("readiness-ruler")
    out = tmp_path / "ruler.pdf"
    render_blank_form(form, str(out), behaviour="my drinking")
    text = flat(" ".join(pdf_pages(out)))
    assert "How important is it for you to change my drinking?" in text


def test_scoring_key_is_not_printed(tmp_path: Path) -> None:
    form = load_library().get("phq-9")
    out = tmp_path / "phq.pdf"
    render_blank_form(form, str(out))
    text = flat(" ".join(pdf_pages(out)))
    assert "moderately severe" not in text  # bands belong to the clinician, not the paper form
    assert flat(form.instructions) not in text
    assert "thoughts of harming yourself" in text  # item 9 is flagged: the safety sentence is printed


def test_print_is_audited(session: Session, tmp_path: Path) -> None:
    form = load_library().get("barc-10")
    rendered = write_blank_form(session, form, str(tmp_path / "barc.pdf"), actor="aokafor")
    event = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.entity, event.entity_id) == ("print", "form", "barc-10")
    assert json.loads(event.details)["pages"] == rendered.pages


@pytest.mark.parametrize("form_id", ["urica-32", "rcq-12", "barc-10", "phq-9"])
def test_unverified_caveats_are_a_footnote_in_the_files_own_words(form_id: str, tmp_path: Path) -> None:
    form = load_library().get(form_id)
    out = tmp_path / f"{form_id}.pdf"
    render_blank_form(form, str(out))
    text = flat(" ".join(pdf_pages(out)))
    assert f"Not verified ({form.citation_short}):" in text
    assert text.rindex("Not verified") > text.index("About this questionnaire")  # after the items: a footnote
    for caveat in form.caveats():
        assert flat(caveat) in text
    assert "§" not in text
    assert ".md" not in text
