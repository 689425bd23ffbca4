"""Issue #16: a client-level measure (PHQ-9) has one trend and one chart, whichever focus was selected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as adm
from stagewise.core.instruments.loader import load_library
from stagewise.core.models import AdministrationMode
from stagewise.core.reports.client_summary import write_client_summary
from stagewise.core.reports.data import gather_client_report
from tests.core.administrations.test_administrations_helpers import make_world
from tests.core.reports.report_pdf import flat, pdf_pages

T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def test_one_phq9_chart_for_the_client(session: Session, tmp_path: Path) -> None:
    library = load_library()
    world = make_world(session)
    for n, focus in enumerate((world.alcohol_id, world.mood_id, world.alcohol_id)):
        when = T0 + dt.timedelta(days=14 * n)
        info = adm.start(
            session, client_id=world.client_id, focus_id=focus, form_id="phq-9",
            mode=AdministrationMode.CLINICIAN, by_user_id=world.user_id, actor="dr.lee", library=library,
            now=when,
        )  # fmt: skip
        for item in library.get("phq-9").items:
            adm.answer(session, info.id, item.id, 0 if item.flag is not None else 2 - n // 2)
        adm.complete(session, info.id, actor="dr.lee", now=when + dt.timedelta(minutes=8))
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 1)
    data = gather_client_report(session, world.client_id, start=start, end=end)
    assert [(a.form_id, a.focus_key) for a in data.administrations] == [("phq-9", None)] * 3
    out = tmp_path / "summary.pdf"
    write_client_summary(session, world.client_id, str(out), actor="dr.lee", start=start, end=end)
    text = flat(" ".join(pdf_pages(out)))
    assert text.count("PHQ-9 total") == 1  # one chart heading, not one per focus
    assert "PHQ-9 total —" not in text  # and it is not filed under a focus
