"""Practice report: figures, charts, caseload, and de-identification for funders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import UserInputError
from stagewise.core.models import AuditEvent
from stagewise.core.reports.practice_report import gather_practice_report, write_practice_report
from tests.core.reports import report_fixtures as rf
from tests.core.reports.report_pdf import flat, pdf_info, pdf_pages

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
IDENTIFYING = (
    rf.CHART,
    rf.SECOND_CHART,
    rf.NAME_GIVEN,
    rf.NAME_FAMILY,
    rf.SECOND_GIVEN,
    rf.SECOND_FAMILY,
    "aokafor",  # clinician user name
    rf.CLINICIAN,
)


@pytest.fixture
def ids(session: Session) -> rf.FixtureIds:
    return rf.add_fixture_client(session)


def test_identified_report_lists_the_caseload(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    out = tmp_path / "practice.pdf"
    rendered = write_practice_report(session, str(out), actor="admin", start=START, end=END)
    pages = pdf_pages(out)
    assert rendered.pages == len(pages)
    text = flat(" ".join(pages))
    for expected in (
        rf.CHART,
        rf.SECOND_CHART,
        f"{rf.NAME_GIVEN} {rf.NAME_FAMILY}",
        "Key figures",
        "Advancement rate",
        "Recycling share",
        "Time in stage (days)",
        "Maintenance",
    ):
        assert expected in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Harbour Counselling" in page
    event = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.entity) == ("export", "practice")
    assert json.loads(event.details)["deidentified"] is False
    assert rf.CHART not in event.details


def test_deidentified_report_has_no_name_or_chart_number(
    session: Session, ids: rf.FixtureIds, tmp_path: Path
) -> None:
    rf.add_ten_year_client(session)
    out = tmp_path / "funder.pdf"
    write_practice_report(session, str(out), actor="admin", start=START, end=END, deidentified=True)
    raw_text = " ".join(pdf_pages(out))
    text = flat(raw_text)
    for secret in (
        *IDENTIFYING,
        rf.TEN_YEAR_CHART,
        "Ingrid",
        "Þórsdóttir",
        "Long-Term Clinician",
        "longterm",
    ):
        assert secret not in raw_text
        assert secret not in text
        assert secret not in pdf_info(out)
    assert "Client 001" in text
    assert "Client 003" in text
    assert "Clinician 1" in text
    assert "de-identified" in text.lower()


def test_caseload_rows(session: Session, ids: rf.FixtureIds) -> None:
    data = gather_practice_report(session, start=START, end=END)
    rows = {(r.chart_number, r.focus): r for r in data.caseload}
    alcohol = rows[(rf.CHART, "Alcohol")]
    assert alcohol.stage is not None
    assert alcohol.stage.value == "preparation"
    assert alcohol.recycled_in_period
    assert alcohol.days_in_stage == (END - dt.date(2024, 12, 1)).days
    tobacco = rows[(rf.SECOND_CHART, "Tobacco")]
    assert tobacco.stage is not None
    assert tobacco.stage.value == "maintenance"
    assert not tobacco.stalled  # maintenance is never "stalled"
    assert data.metrics["distribution"]["preparation"] == 2


def test_period_must_be_in_order(session: Session, ids: rf.FixtureIds, tmp_path: Path) -> None:
    with pytest.raises(UserInputError):
        write_practice_report(session, str(tmp_path / "x.pdf"), actor="a", start=END, end=START)


def test_empty_practice_renders(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "empty.pdf"
    rendered = write_practice_report(session, str(out), actor="admin", end=END)
    assert rendered.pages == 1
    assert "No active client has a stage record." in flat(pdf_pages(out)[0])
