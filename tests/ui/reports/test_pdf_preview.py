"""The in-app PDF preview and printing (pypdfium2 pages): a real summary, zoom, pages, password, print."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from stagewise.ui.reports.pdf_preview import PdfPreviewDialog, render_page
from stagewise.ui.reports.report_actions import PrintDialog, SaveFileDialog, print_plan
from stagewise.ui.reports.reports_tab import ReportsTab
from stagewise.ui.workers import OpRunner
from tests.core.reports import report_fixtures as rf
from tests.ui.conftest import MakeWindow, PracticeFile, shoot
from tests.ui.reports.test_reports_tab import events, report_events, signed_in

PASSWORD = "Lantern-Quiet-42"


def pdf_pages(path: Path, password: str | None = None) -> int:
    """The page count as poppler's pdfinfo sees it (pypdfium2's when pdfinfo is missing)."""
    if shutil.which("pdfinfo") is None:
        return len(pypdfium2.PdfDocument(str(path), password=password))
    args = ["pdfinfo", *(["-upw", password] if password else []), str(path)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    (line,) = [x for x in out.splitlines() if x.startswith("Pages:")]
    return int(line.split()[1])


def non_blank(image: QImage) -> bool:
    """Some pixels are dark (text), not a white page."""
    small = image.scaled(120, 170, Qt.AspectRatioMode.IgnoreAspectRatio)
    dark = sum(
        1
        for y in range(small.height())
        for x in range(small.width())
        if small.pixelColor(x, y).lightness() < 128
    )
    return dark > 20


def long_summary_tab(qtbot: QtBot, make_window: MakeWindow, pf: PracticeFile) -> tuple[Any, ReportsTab]:
    """The report fixture's client (3+ pages with note summaries) on a Reports tab, signed in as admin."""
    window = signed_in(qtbot, make_window, pf)
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory.begin() as s:
        ids = rf.add_fixture_client(s)
    # The fixture's data suits the report core, not every chart view: a Reports tab on its own.
    tab = ReportsTab(window.ctx, ids.client_id, OpRunner(window))
    qtbot.addWidget(tab)
    tab.show()
    tab.notes_check.setChecked(True)
    return window, tab


def open_preview(qtbot: QtBot, tab: ReportsTab) -> PdfPreviewDialog:
    with qtbot.waitSignal(tab.output.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(tab.output.preview_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["preview", None]
    dialog = tab.output.preview_dialog
    assert isinstance(dialog, PdfPreviewDialog)
    qtbot.waitUntil(lambda: 0 in dialog.images and dialog.rendering is None, timeout=30_000)
    return dialog


def test_preview_renders_every_page_in_memory_with_the_password(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_file: PracticeFile,
    tmp_path: Path,
) -> None:
    window, tab = long_summary_tab(qtbot, make_window, practice_file)
    tab.password_edit.setText(PASSWORD)
    dialog = open_preview(qtbot, tab)
    copy = tmp_path / "previewed.pdf"
    copy.write_bytes(dialog.data)
    pages = pdf_pages(copy, PASSWORD)
    assert pages >= 3
    assert dialog.page_count == len(dialog.labels) == pages == tab.output.last_pages
    assert non_blank(dialog.images[0])
    assert dialog.page_label.text() == f"Page 1 of {pages}"
    print_dir = window.ctx.paths.cache / "print"
    assert not print_dir.exists() or not list(print_dir.iterdir())  # nothing written to disk
    assert events(window, "print") == []  # a preview is viewed, not printed
    (event,) = report_events(window, "view")
    details = json.loads(event.details)
    assert (details["report"], details["encrypted"], details["pages"]) == ("client_summary", True, pages)

    dialog.resize(1366, 768)
    qtbot.waitUntil(lambda: dialog.rendering is None and 0 in dialog.images, timeout=30_000)
    fit = dialog.effective_zoom()
    assert dialog.labels[0].width() <= dialog.pages_view.viewport().width()  # fit to width
    shoot(dialog, "pdf-preview-inapp")

    width = dialog.labels[0].width()
    qtbot.keyClick(dialog.pages_view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert dialog.effective_zoom() > fit
    assert dialog.labels[0].width() > width
    qtbot.waitUntil(lambda: dialog.rendering is None, timeout=30_000)
    shown = dialog.visible_pages()
    assert all(dialog.images[i].width() == dialog._target_width(i) for i in shown)  # sharp at the new zoom
    qtbot.keyClick(dialog.pages_view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.pages_view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert dialog.labels[0].width() < width
    dialog.zoom_in_button.click()
    dialog.fit_button.click()
    assert dialog.zoom is None
    assert dialog.labels[0].width() == width

    qtbot.keyClick(dialog.pages_view, Qt.Key.Key_PageDown)
    assert dialog.current_page() == 1
    assert dialog.page_label.text() == f"Page 2 of {pages}"
    qtbot.keyClick(dialog.pages_view, Qt.Key.Key_PageUp)
    assert dialog.current_page() == 0
    for _ in range(pages):
        qtbot.keyClick(dialog.pages_view, Qt.Key.Key_PageDown)
    assert dialog.page_label.text() == f"Page {pages} of {pages}"
    qtbot.waitUntil(lambda: pages - 1 in dialog.images and dialog.rendering is None, timeout=30_000)
    assert non_blank(dialog.images[pages - 1])  # pages are drawn as they come into view

    tab.cancel()  # what the app does when it locks
    assert tab.output.preview_dialog is None
    assert not dialog.isVisible()


def test_print_and_save_from_the_preview_are_audited(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_file: PracticeFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, tab = long_summary_tab(qtbot, make_window, practice_file)
    dialog = open_preview(qtbot, tab)
    pages = dialog.page_count
    assert events(window, "print") == []
    out = tmp_path / "printed.pdf"

    def ask(cls: Any, parent: QWidget | None, printer: QPrinter) -> bool:
        assert parent is dialog  # the print dialog opens over the preview
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return True

    monkeypatch.setattr(PrintDialog, "ask", classmethod(ask))
    with qtbot.waitSignal(tab.output.finished, timeout=60_000) as blocker:
        dialog.print_button.click()
    assert blocker.args == ["print", None]
    assert pdf_pages(out) == pages
    (printed,) = events(window, "print")  # recorded once the printer took the pages
    assert json.loads(printed.details)["pages"] == pages
    assert len(report_events(window, "view")) == 1  # the preview stays a view
    assert f"Sent {pages} page(s)" in tab.output.status.text()

    target = tmp_path / "saved.pdf"
    monkeypatch.setattr(SaveFileDialog, "ask", classmethod(lambda cls, parent, suggested: target))
    with qtbot.waitSignal(tab.output.finished, timeout=60_000):
        dialog.save_button.click()
    assert pdf_pages(target) == pages
    assert len(events(window, "export")) == 1


def test_a_wrong_password_shows_an_error_not_pages(qtbot: QtBot, tmp_path: Path) -> None:
    from reportlab.lib.styles import ParagraphStyle

    from stagewise.core.reports.layout import PageDecor, para, render

    path = tmp_path / "locked.pdf"
    big = ParagraphStyle("big", fontSize=72, leading=80)
    render([para("Locked", big)], path, PageDecor("Practice", "Locked", None), password="right")  # AES-256
    runner = OpRunner()
    dialog = PdfPreviewDialog(path.read_bytes(), "Preview", runner, password="wrong")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "could not be opened" in dialog.error.text()
    assert dialog.page_count == 0
    good = PdfPreviewDialog(path.read_bytes(), "Preview", runner, password="right")
    qtbot.addWidget(good)
    good.show()
    qtbot.waitUntil(lambda: 0 in good.images and good.rendering is None, timeout=10_000)
    assert non_blank(render_page(path.read_bytes(), "right", 0, 1.0))
    good.close()
    dialog.close()
    runner.wait()


def test_print_plan_honours_range_order_and_copies() -> None:
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # Qt does not make copies: we paint them
    assert print_plan(printer, 3) == [0, 1, 2]
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 3)
    assert print_plan(printer, 3) == [1, 2]
    printer.setFromTo(2, 9)
    assert print_plan(printer, 3) == [1, 2]
    printer.setCopyCount(2)
    assert print_plan(printer, 3) == [1, 2, 1, 2]
    printer.setCollateCopies(False)
    assert print_plan(printer, 3) == [1, 1, 2, 2]
    printer.setPageOrder(QPrinter.PageOrder.LastPageFirst)
    assert print_plan(printer, 3) == [2, 2, 1, 1]
