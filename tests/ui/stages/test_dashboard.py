"""The practice dashboard: the same figures as ``compute_metrics`` on the same practice, and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from stagewise.core import users
from stagewise.core.clients import records as clients
from stagewise.core.models import AuditEvent, Stage
from stagewise.core.paths import AppPaths
from stagewise.core.settings import load_settings, update_settings
from stagewise.core.stages import metric_records, records as stages
from stagewise.core.stages.metrics import PracticeMetrics, compute_metrics, metrics_csv
from stagewise.core.storage import store
from stagewise.ui.context import AppContext
from stagewise.ui.stages import dashboard
from stagewise.ui.stages.dashboard import DashboardWindow, days, percent
from tests.ui.conftest import PracticeFile, shoot

TODAY = dt.date.today()


def ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


# (chart, [(days ago, stage or None, proposed or None)]): forward and backward moves, a pause, a stall,
# an override, maintenance.
HISTORIES: list[tuple[str, list[tuple[int, Stage | None, Stage | None]]]] = [
    (
        "1001",
        [
            (200, Stage.PRECONTEMPLATION, Stage.PRECONTEMPLATION),
            (150, Stage.CONTEMPLATION, None),
            (100, Stage.PREPARATION, Stage.CONTEMPLATION),
            (60, Stage.CONTEMPLATION, None),
            (20, Stage.PREPARATION, Stage.PREPARATION),
        ],
    ),
    (
        "1002",
        [(300, Stage.PREPARATION, None), (250, Stage.ACTION, Stage.ACTION), (120, Stage.MAINTENANCE, None)],
    ),
    ("1003", [(90, Stage.CONTEMPLATION, None), (50, None, None), (10, Stage.PRECONTEMPLATION, None)]),
    ("1004", [(280, Stage.PREPARATION, None)]),
    ("1005", [(40, Stage.ACTION, Stage.PREPARATION), (5, None, None)]),
]


@pytest.fixture
def ctx(practice_file: PracticeFile, styled_app: QApplication, tmp_path: object) -> Iterator[AppContext]:
    practice = store.open_practice(practice_file.path, practice_file.key)
    with practice.session_factory.begin() as s:
        user = users.get_by_username(s, "casey")
        assert user is not None
        for chart, rows in HISTORIES:
            info = clients.get_by_chart_number(s, chart)
            assert info is not None
            fid = info.focuses[0].id
            for days_ago, stage, proposed in rows:
                needs = stage is None or (proposed is not None and proposed != stage)
                stages.record_stage(
                    s,
                    focus_id=fid,
                    stage=stage,
                    proposed=proposed,
                    reason="Synthetic reason" if needs else None,
                    effective=ago(days_ago),
                    by_user_id=user.id,
                    actor="casey",
                )
        # A second focus for one client, so the focus filter has something to filter.
        info = clients.get_by_chart_number(s, "1001")
        assert info is not None
        smoking = clients.add_focus(s, info.id, clients.FocusInput("smoking", "Smoking"), actor="casey")
        stages.record_stage(
            s,
            focus_id=smoking.id,
            stage=Stage.CONTEMPLATION,
            by_user_id=user.id,
            actor="casey",
            effective=ago(30),
        )
        update_settings(s, actor="admin", stalled_days=60)
    context = AppContext(
        paths=AppPaths.resolve(str(tmp_path)),
        practice_path=practice_file.path,
        no_dialogs=True,
        practice=practice,
        user=user,
        practice_name="Harbour Counselling",
    )
    yield context
    context.practice = None
    practice.close()


def expected(
    ctx: AppContext, start: dt.date | None, end: dt.date, focus: str | None = None
) -> PracticeMetrics:
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        settings = load_settings(s)
        records = metric_records.load_metric_records(s, until=end)
    return compute_metrics(
        records,
        period_start=start,
        period_end=end,
        focus=focus,
        stalled_days=settings.stalled_days,
        reassessment_days=settings.reassessment_days,
    )


def open_dashboard(qtbot: QtBot, ctx: AppContext) -> DashboardWindow:
    window = DashboardWindow(ctx, today=TODAY)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    return window


def shown_figures(window: DashboardWindow) -> dict[str, str]:
    return {
        "advancement": window.advancement.value.text(),
        "recycling": window.recycling.value.text(),
        "stalled": window.stalled.value.text(),
        "slowest": window.slowest.value.text(),
        "on_time": window.on_time.value.text(),
    }


def figures_of(m: PracticeMetrics) -> dict[str, str]:
    from stagewise.core.enums import Stage
    from stagewise.core.stages.metrics import slowest_stage
    from stagewise.ui.stages import words

    # The dashboard leaves maintenance out of "slowest stage" (staying there is the goal).
    slowest = slowest_stage(m.time_in_stage, frozenset({Stage.MAINTENANCE}))
    return {
        "advancement": percent(m.advancement_rate),
        "recycling": percent(m.recycling_share),
        "stalled": str(m.stalled),
        "slowest": "—" if slowest is None else words.stage(slowest),
        "on_time": percent(m.fidelity.on_time_share),
    }


def table_of(window: DashboardWindow) -> list[tuple[str, ...]]:
    t = window.time_table
    return [tuple(t.item(r, c).text() for c in range(t.columnCount())) for r in range(t.rowCount())]


def check_matches(window: DashboardWindow, m: PracticeMetrics) -> None:
    assert window.metrics is not None
    assert window.metrics.to_json() == m.to_json()
    bars = {label: count for label, count, _h in window.bars.counts}
    assert list(bars.values()) == [m.distribution[s] for s in Stage] + [m.paused]
    assert shown_figures(window) == figures_of(m)
    rows = table_of(window)
    for row, s in zip(rows, Stage, strict=True):
        t = m.time_in_stage[s]
        assert row[1:] == (str(t.stays), days(t.median), days(t.mean))


def test_dashboard_shows_the_figures_compute_metrics_gives(qtbot: QtBot, ctx: AppContext) -> None:
    window = open_dashboard(qtbot, ctx)
    start, end = window.period()
    assert end == TODAY
    assert start == TODAY - dt.timedelta(days=365)
    m = expected(ctx, start, end)
    # The history has moves both ways, a pause, a stall and overrides: nothing here is trivially zero.
    assert m.moves > 0
    assert m.backward_moves > 0
    assert m.paused > 0
    assert m.stalled > 0
    assert m.fidelity.overrides
    check_matches(window, m)
    assert "60 days" in window.stalled.note.text()  # the threshold comes from the practice settings
    assert "ordinary" in window.recycling.note.text()
    assert "Casey Lee" in window.overrides.value.text()  # the person, not the user name "casey"
    # The definitions are written on screen in plain words; no label points the clinician to a file.
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("lasts from its record to the next record" in t for t in texts)
    assert not [t for t in texts if ".md" in t or "docs/" in t or "§" in t]

    # Narrow the period: the figures follow, computed off the UI thread.
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.from_edit.setDate(QDate(ago(70).year, ago(70).month, ago(70).day))
    check_matches(window, expected(ctx, ago(70), TODAY))

    # From the first record, one focus.
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.from_start.setChecked(True)
    assert window.period()[0] is None
    assert window.focus_combo.findData("smoking") > 0
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.focus_combo.setCurrentIndex(window.focus_combo.findData("alcohol"))
    check_matches(window, expected(ctx, None, TODAY, "alcohol"))
    shoot(window, "dashboard")


def test_period_that_starts_after_it_ends_is_explained(qtbot: QtBot, ctx: AppContext) -> None:
    window = open_dashboard(qtbot, ctx)
    with qtbot.waitSignal(window.failed, timeout=5_000):
        window.to_edit.setDate(QDate(ago(400).year, ago(400).month, ago(400).day))
    assert window.message.isVisible()
    assert "starts after it ends" in window.message.text()
    assert not window.export_button.isEnabled()


def test_export_csv_writes_the_figures_and_is_audited(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_dashboard(qtbot, ctx)
    target = tmp_path / "figures.csv"
    asked: list[str] = []

    def ask(cls: object, parent: object, suggested: str) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(dashboard.CsvFileDialog, "ask", classmethod(ask))
    with qtbot.waitSignal(window.exported, timeout=5_000):
        window.export_button.click()
    assert asked[0].endswith(f"{TODAY.isoformat()}.csv")
    start, end = window.period()
    text = target.read_text(encoding="utf-8")
    assert text == metrics_csv(expected(ctx, start, end))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "key", "value"]
    assert ["period", "to", TODAY.isoformat()] in rows
    for chart in ("Smith", "Okafor", "1001"):
        assert chart not in text  # figures only, no client data
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        last = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (last.action, last.entity, last.username) == ("export", "metrics", "casey")
    assert "Saved" in window.status.text()

    # Cancelling the file dialog writes nothing and records nothing.
    monkeypatch.setattr(dashboard.CsvFileDialog, "ask", classmethod(lambda cls, *a: None))
    assert window.export_csv() is None
    with ctx.practice.session_factory() as s:
        again = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert again.id == last.id
