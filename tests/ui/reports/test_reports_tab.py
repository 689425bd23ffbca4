"""Reports: the chart's progress summary, the practice report and blank forms (preview, print, save)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from stagewise.core.clients import records as clients
from stagewise.core.models import AuditEvent
from stagewise.ui.clients.chart_tabs import install_default_tabs
from stagewise.ui.clients.chart_window import ChartWindow
from stagewise.ui.main_window import MainWindow
from stagewise.ui.reports import report_actions
from stagewise.ui.reports.pdf_preview import PdfPreviewDialog, PdfRenderError
from stagewise.ui.reports.report_actions import PrintDialog, SaveFileDialog
from stagewise.ui.reports.reports_tab import BlankFormWindow, PracticeReportWindow, ReportsTab
from tests.ui.conftest import MakeWindow, PracticeFile, shoot, sign_in


def signed_in(qtbot: QtBot, make_window: MakeWindow, pf: PracticeFile) -> MainWindow:
    window = make_window(pf)
    install_default_tabs(window)
    window.start()
    sign_in(qtbot, window)
    return window


def open_reports(qtbot: QtBot, window: MainWindow, chart: str = "1001") -> tuple[ChartWindow, ReportsTab]:
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory() as s:
        info = clients.get_by_chart_number(s, chart)
    assert info is not None
    chart_window = window.open_chart(info.id)
    assert chart_window is not None
    chart_window.resize(1366, 768)
    chart_window.tabs.setCurrentWidget(chart_window.reports_tab)
    tab = chart_window.reports
    assert isinstance(tab, ReportsTab)
    return chart_window, tab


def events(window: MainWindow, action: str) -> list[AuditEvent]:
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def report_events(window: MainWindow, action: str) -> list[AuditEvent]:
    """The audit events of reports (a chart opening is a "view" too, without a report)."""
    return [e for e in events(window, action) if "report" in json.loads(e.details)]


def pdf_text(path: Path, password: str | None = None) -> str:
    args = ["pdftotext", *(["-upw", password] if password else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
needs_pdfinfo = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler's pdfinfo")


@needs_pdftotext
def test_save_as_writes_the_client_facing_pdf_and_audits_it(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_file: PracticeFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    chart, tab = open_reports(qtbot, window)
    assert not tab.notes_check.isChecked()  # signed-note summaries are off by default
    assert not tab.full_notes_check.isEnabled()  # full note text is a choice within them
    tab.notes_check.setChecked(True)
    assert tab.full_notes_check.isEnabled()
    tab.full_notes_check.setChecked(True)
    for w, h in ((1000, 700), (1600, 1000)):
        chart.resize(w, h)
        shoot(chart, f"reports-tab-notes-{w}")
    chart.resize(1366, 768)
    tab.client_radio.setFocus()
    qtbot.keyClick(tab.client_radio, Qt.Key.Key_Space)
    assert tab.client_radio.isChecked()
    assert not tab.notes_check.isEnabled()  # client-facing: never note summaries
    assert not tab.notes_check.isChecked()
    assert not tab.full_notes_check.isEnabled()
    assert not tab.full_notes_check.isChecked()
    shoot(chart, "reports-tab")
    target = tmp_path / "out" / "summary.pdf"
    target.parent.mkdir()
    asked: list[str] = []

    def ask(cls: Any, parent: QWidget | None, suggested: Path) -> Path:
        asked.append(suggested.name)
        return target

    monkeypatch.setattr(SaveFileDialog, "ask", classmethod(ask))
    with qtbot.waitSignal(tab.output.finished, timeout=30_000):
        qtbot.mouseClick(tab.output.save_button, Qt.MouseButton.LeftButton)
        assert tab.output.progress.isVisible()  # the busy bar shows while a worker renders
        assert not tab.output.save_button.isEnabled()
    assert asked == [f"your-progress-1001-{tab.period.end.isoformat()}.pdf"]
    assert target.read_bytes().startswith(b"%PDF")
    text = pdf_text(target)
    assert "1001" in text
    assert "Your progress summary" in text
    (event,) = events(window, "export")
    details = json.loads(event.details)
    assert (event.username, event.entity, details["audience"]) == ("admin", "client", "client")
    assert "Saved" in tab.output.status.text()


def test_preview_shows_the_pages_in_the_app(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    _chart, tab = open_reports(qtbot, window)
    tab.password_edit.setText("Lantern-Quiet-42")
    with qtbot.waitSignal(tab.output.finished, timeout=30_000):
        tab.output.preview_button.click()
    dialog = tab.output.preview_dialog
    assert isinstance(dialog, PdfPreviewDialog)
    qtbot.waitUntil(lambda: 0 in dialog.images, timeout=30_000)  # opened with the password typed
    assert dialog.page_count == tab.output.last_pages >= 1
    assert "Preview shown" in tab.output.status.text()
    (event,) = report_events(window, "view")  # shown on screen: viewed, not printed, not saved
    assert json.loads(event.details)["encrypted"] is True
    assert events(window, "print") == []
    assert events(window, "export") == []
    window.lock()
    assert tab.output.preview_dialog is None


@needs_pdfinfo
def test_print_asks_for_a_printer_then_paints_the_pages_and_audits(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_file: PracticeFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    _chart, tab = open_reports(qtbot, window)
    out = tmp_path / "printed.pdf"
    answers = iter([False, True, True])

    def ask(cls: Any, parent: QWidget | None, printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printer.setCopyCount(2)
        return next(answers)

    monkeypatch.setattr(PrintDialog, "ask", classmethod(ask))
    assert not tab.output.print_()  # cancelled in the print dialog: nothing made, nothing audited
    assert events(window, "print") == []
    assert not out.exists()

    def broken(*_args: object) -> None:
        raise PdfRenderError("the printer went away")

    with monkeypatch.context() as m:  # a print that fails part-way is not recorded as printed
        m.setattr(report_actions, "render_page", broken)
        with qtbot.waitSignal(tab.output.failed, timeout=30_000):
            assert tab.output.print_()
    assert "Printing failed" in tab.output.error.text()
    assert events(window, "print") == []
    with qtbot.waitSignal(tab.output.finished, timeout=30_000):
        assert tab.output.print_()
    pages = tab.output.last_pages
    assert pages >= 1
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    (line,) = [x for x in info.splitlines() if x.startswith("Pages:")]
    assert int(line.split()[1]) == 2 * pages  # two copies, painted by us (PDF output makes none)
    (event,) = events(window, "print")
    assert json.loads(event.details)["audience"] == "clinician"
    assert tab.output.print_button.isEnabled()


def test_a_bad_period_disables_the_buttons(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    _chart, tab = open_reports(qtbot, window)
    tab.period.from_start.setChecked(False)
    tab.period.from_edit.setDate(tab.period.to_edit.date().addDays(3))
    assert "after the end date" in tab.problem.text()
    assert not tab.output.save_button.isEnabled()
    assert tab.job() is None
    tab.period.from_start.setChecked(True)
    item = tab.focus_list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    assert "at least one focus" in tab.problem.text()
    item.setCheckState(Qt.CheckState.Checked)
    assert tab.output.save_button.isEnabled()


@needs_pdftotext
def test_practice_report_and_blank_form_save(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_file: PracticeFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    targets = iter([tmp_path / "practice.pdf", tmp_path / "blank.pdf"])
    monkeypatch.setattr(SaveFileDialog, "ask", classmethod(lambda cls, parent, suggested: next(targets)))
    window.practice_report_action.trigger()
    report = window.tool_windows["practice report"]
    assert isinstance(report, PracticeReportWindow)
    report.deidentified.setChecked(True)
    with qtbot.waitSignal(report.output.finished, timeout=30_000):
        report.output.save_button.click()
    text = pdf_text(tmp_path / "practice.pdf")
    assert "Smith" not in text  # de-identified: no names
    window.blank_form_action.trigger()
    blank = window.tool_windows["blank forms"]
    assert isinstance(blank, BlankFormWindow)
    blank.form_combo.setCurrentIndex(blank.form_combo.findData("phq-9"))
    with qtbot.waitSignal(blank.output.finished, timeout=30_000):
        blank.output.save_button.click()
    assert (tmp_path / "blank.pdf").read_bytes().startswith(b"%PDF")
    kinds = [json.loads(e.details).get("report") for e in events(window, "export")]
    assert kinds == ["practice", "blank_form"]
    window.lock()
    assert not window.tool_windows
