"""Preview, print and save a PDF the core renders: the shared "output" part of every report screen.

(The preview dialog and the rasterising are in :mod:`stagewise.ui.reports.pdf_preview`.)

``ReportActions`` owns the three buttons (Preview, Print…, Save as…), the progress bar and the status
line.  The screen that uses it supplies ``job() -> Job``: what to render, the suggested file name and the
PDF's password (if any).  Everything slow runs off the UI thread (``OpRunner``): ReportLab making the
PDF, and pypdfium2 rasterising its pages.  The core ``write_*`` functions record every print and export
in the audit log.

* Preview: the PDF is made in memory (never written to disk) and its pages are shown as images in a
  ``PdfPreviewDialog`` (fit to width, zoom, page x of y, PgUp/PgDn), rasterised on a worker as they
  come into view.  Audited ``"view"``: the report was shown on screen, nothing printed or saved.
* Print…: the standard print dialog (``PrintDialog.ask``), then the PDF is made in memory (not audited
  yet); a worker rasterises each page at the printer's resolution (at most 300 dpi) and the UI thread
  paints it on the ``QPrinter`` (``QPainter`` on a printer stays on the UI thread), one page at a time,
  honouring the page range, copies, collation and page order the dialog set.  Only when the printer
  has taken every page is the print audited (``Job.record``); a cancelled or failed print is not.
* Save as…: the save dialog (``SaveFileDialog.ask``), then the core writes the file (audited
  ``"export"``).

The preview's own Print… and Save as… run the same job again (same choices), so each is audited.  Older
versions put preview copies in a private folder in the user's cache; ``clear_private_copies`` still
empties it on lock and quit.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from stagewise.core.errors import StagewiseError
from stagewise.core.paths import AppPaths
from stagewise.core.reports.output import Output, ReportEvent, record_output
from stagewise.ui.reports.pdf_preview import PdfPreviewDialog, page_sizes, render_page
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)
# Writes the PDF to ``out`` (a path or a binary file) and audits ``action`` (None: render only);
# returns the core's ``Rendered`` (whose ``event`` a later ``Recorder`` call records).
Writer = Callable[[Any, Output | None], Any]  # (out, action) -> Rendered
Recorder = Callable[[Output, ReportEvent], None]  # records a print once it has happened

PRINT_DPI_CAP = 300
PREVIEW_ACTION = Output.VIEW  # a preview is recorded as viewed, never as printed


@dataclass(frozen=True, slots=True)
class Job:
    """What to render: ``write(out, action)`` and ``record(action, event)`` (both run on a worker), a
    file name to suggest, the password."""

    write: Writer
    suggested_name: str
    password: str | None = None
    record: Recorder | None = None


def recorder(practice: Any, actor: str | None) -> Recorder:
    """A ``Job.record`` that records a report output in ``practice`` (its own transaction)."""

    def record(action: Output, event: ReportEvent) -> None:
        with practice.session_factory.begin() as s:
            record_output(s, actor, action, event)

    return record


# -- seams -------------------------------------------------------------------------------------------


class SaveFileDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, suggested: Path) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            parent, parent.tr("Save as PDF") if parent else "", str(suggested), "PDF (*.pdf)"
        )
        if not name:
            return None
        path = Path(name)
        return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


class PrintDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, printer: QPrinter) -> bool:
        dialog = QPrintDialog(printer, parent)
        return dialog.exec() == QDialog.DialogCode.Accepted


# -- printing ----------------------------------------------------------------------------------------


def print_plan(printer: QPrinter, page_count: int) -> list[int]:
    """The page indices to paint, in order: the dialog's range, page order and (if Qt cannot) copies."""
    first, last = 0, page_count - 1
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first = printer.fromPage() - 1
        last = min(last, (printer.toPage() or page_count) - 1)
    pages = list(range(first, last + 1))
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        pages.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    if copies == 1:
        return pages
    if printer.collateCopies():
        return pages * copies
    return [p for p in pages for _ in range(copies)]


class PagePrinter(QObject):
    """Paints a PDF on a printer: a worker rasterises page after page, the UI thread paints each one.

    ``progress(done, total)`` after each page; ``finished(pages)`` or ``failed(message)`` at the end.
    """

    progress = Signal(int, int)
    finished = Signal(int)
    failed = Signal(str)

    def __init__(
        self, data: bytes, password: str | None, printer: QPrinter, runner: OpRunner, parent: QObject | None
    ) -> None:
        super().__init__(parent)
        self.data = data
        self.password = password
        self.printer = printer
        self.runner = runner
        self.painter = QPainter()
        self.plan: list[int] = []
        self.done = 0
        self.cancelled = False
        self.scale = min(printer.resolution(), PRINT_DPI_CAP) / 72

    def start(self) -> None:
        self.runner.run(
            lambda: page_sizes(self.data, self.password),
            on_done=self._sized,
            on_failed=self._failed,
            name="print sizes",
        )

    def cancel(self) -> None:
        self.cancelled = True
        if self.painter.isActive():
            self.printer.abort()
            self.painter.end()

    def _sized(self, sizes: list[tuple[float, float]]) -> None:
        if self.cancelled or not Shiboken.isValid(self):
            return
        self.plan = print_plan(self.printer, len(sizes))
        if not self.plan:
            self.finished.emit(0)
            return
        self.printer.setFullPage(True)  # the PDF has its own margins: paint it on the paper 1:1
        if not self.painter.begin(self.printer):
            self.failed.emit(self.tr("the printer could not start"))
            return
        self._next()

    def _next(self) -> None:
        index = self.plan[self.done]
        data, password, scale = self.data, self.password, self.scale
        self.runner.run(
            lambda: render_page(data, password, index, scale),
            on_done=self._paint,
            on_failed=self._failed,
            name="print page",
        )

    def _paint(self, image: QImage) -> None:
        if self.cancelled or not Shiboken.isValid(self):
            return
        if self.done:
            self.printer.newPage()
        paper = self.printer.paperRect(QPrinter.Unit.DevicePixel)
        size = image.size().toSizeF().scaled(paper.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF(
            (paper.width() - size.width()) / 2,
            (paper.height() - size.height()) / 2,
            size.width(),
            size.height(),
        )
        self.painter.drawImage(target, image)
        self.done += 1
        self.progress.emit(self.done, len(self.plan))
        if self.done < len(self.plan):
            self._next()
            return
        self.painter.end()
        self.finished.emit(self.done)

    def _failed(self, exc: BaseException) -> None:
        if self.cancelled or not Shiboken.isValid(self):
            return
        if self.painter.isActive():
            self.printer.abort()
            self.painter.end()
        if isinstance(exc, StagewiseError | OSError):
            self.failed.emit(str(exc))
            return
        raise exc


# -- the buttons -------------------------------------------------------------------------------------


class ReportActions(QWidget):
    """Preview / Print… / Save as…, a progress bar and a status line; ``finished(kind, path)`` when done.

    ``path`` is the saved file for "save" and None for "preview" and "print" (made in memory only).
    """

    finished = Signal(str, object)  # "preview" | "print" | "save", Path | None
    failed = Signal(str)

    def __init__(
        self,
        paths: AppPaths,
        runner: OpRunner,
        job: Callable[[], Job | None],
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportActions")
        self.paths = paths
        self.runner = runner
        self.job = job
        self.running: str | None = None
        self._generation = 0
        self.preview_dialog: PdfPreviewDialog | None = None
        self.page_printer: PagePrinter | None = None
        self.last_path: Path | None = None
        self.last_pages = 0

        self.preview_button = QPushButton(self.tr("Pre&view"))
        self.preview_button.setObjectName("primary")
        self.preview_button.setToolTip(self.tr("Show the PDF's pages (nothing is saved)"))
        self.print_button = QPushButton(self.tr("&Print…"))
        self.save_button = QPushButton(self.tr("Sav&e as…"))
        self.preview_button.clicked.connect(lambda: self.preview())
        self.print_button.clicked.connect(lambda: self.print_())
        self.save_button.clicked.connect(lambda: self.save_as())
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy while ReportLab works (it reports no steps)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(140)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preview_button)
        row.addWidget(self.print_button)
        row.addWidget(self.save_button)
        row.addSpacing(10)
        row.addWidget(self.progress)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)

    @property
    def buttons(self) -> tuple[QPushButton, ...]:
        return (self.preview_button, self.print_button, self.save_button)

    def set_enabled(self, enabled: bool) -> None:
        for b in self.buttons:
            b.setEnabled(enabled and self.running is None)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def cancel(self) -> None:
        """Forget work in progress (the app locks): its result is dropped, the preview closes."""
        self._generation += 1
        if self.page_printer is not None:
            self.page_printer.cancel()
            self.page_printer = None
        self._set_running(None)
        if self.preview_dialog is not None and Shiboken.isValid(self.preview_dialog):
            self.preview_dialog.close()
        self.preview_dialog = None

    def _set_running(self, kind: str | None, text: str = "") -> None:
        self.running = kind
        self.progress.setRange(0, 0)
        self.progress.setVisible(kind is not None)
        for b in self.buttons:
            b.setEnabled(kind is None)
        if self.preview_dialog is not None and Shiboken.isValid(self.preview_dialog):
            self.preview_dialog.print_button.setEnabled(kind is None)
            self.preview_dialog.save_button.setEnabled(kind is None)
        if text:
            self.status.setText(text)

    def _start(
        self,
        kind: str,
        job: Job,
        action: Output | None,
        target: Path | None,
        then: Callable[[bytes, Any], bool],
    ) -> bool:
        """Make the PDF on a worker (to ``target``, or in memory when None), then ``then(data, rendered)``.

        ``then`` returns True when the action is over, False when it carries on (printing pages).
        """
        if self.running is not None:
            return False
        self.show_error("")
        self._generation += 1
        generation = self._generation
        self._set_running(kind, self.tr("Making the PDF…"))

        def work() -> tuple[bytes, Any]:
            if target is not None:
                return b"", job.write(target, action)
            buffer = io.BytesIO()
            rendered = job.write(buffer, action)
            return buffer.getvalue(), rendered

        def done(result: tuple[bytes, Any]) -> None:
            if not Shiboken.isValid(self) or generation != self._generation:
                return
            data, rendered = result
            self.last_pages = int(getattr(rendered, "pages", 0))
            if target is not None:
                self.last_path = target
            if then(data, rendered):
                self._set_running(None)
                self.finished.emit(kind, target)

        def failed(exc: BaseException) -> None:
            if not Shiboken.isValid(self) or generation != self._generation:
                return
            self._set_running(None, " ")
            if isinstance(exc, StagewiseError | OSError):
                log.info("report %s failed: %s", kind, type(exc).__name__)
                self.show_error(self.tr("The PDF could not be made: %1").replace("%1", str(exc)))
                self.failed.emit(str(exc))
                return
            raise exc

        self.runner.run(work, on_done=done, on_failed=failed, name=f"report {kind}")
        return True

    # -- the three actions -------------------------------------------------------------------------

    def preview(self) -> bool:
        job = self.job()
        if job is None:
            return False

        def show(data: bytes, rendered: Any) -> bool:
            if self.preview_dialog is not None and Shiboken.isValid(self.preview_dialog):
                self.preview_dialog.close()
            dialog = PdfPreviewDialog(
                data, self.tr("Preview"), self.runner, password=job.password, parent=self
            )
            dialog.print_requested.connect(lambda: self.print_(job))
            dialog.save_requested.connect(lambda: self.save_as(job))
            self.preview_dialog = dialog
            dialog.show()
            pages = self.tr("%n page(s)", "", int(getattr(rendered, "pages", 0)))
            self.status.setText(self.tr("Preview shown (%1).").replace("%1", pages))
            return True

        return self._start("preview", job, PREVIEW_ACTION, None, show)

    def print_(self, job: Job | None = None) -> bool:
        job = job or self.job()
        if job is None or self.running is not None:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if not PrintDialog.ask(self._dialog_parent(), printer):
            return False
        generation = self._generation + 1  # the one _start takes

        def paint(data: bytes, rendered: Any) -> bool:
            self.status.setText(self.tr("Printing…"))
            self.progress.setRange(0, 0)
            pp = PagePrinter(data, job.password, printer, self.runner, self)
            self.page_printer = pp

            def step(done: int, total: int) -> None:
                self.progress.setRange(0, total)
                self.progress.setValue(done)
                self.status.setText(
                    self.tr("Printing page %1 of %2…").replace("%1", str(done)).replace("%2", str(total))
                )

            def printed(text: str) -> None:
                if generation != self._generation or not Shiboken.isValid(self):
                    return
                self._set_running(None)
                self.status.setText(text)
                self.finished.emit("print", None)

            def not_recorded(exc: BaseException) -> None:
                if generation != self._generation or not Shiboken.isValid(self):
                    return
                self._set_running(None)
                if not isinstance(exc, StagewiseError | OSError):
                    raise exc
                log.warning("a print could not be recorded in the audit log: %s", type(exc).__name__)
                self.show_error(
                    self.tr("Printed, but the audit log could not record it: %1").replace("%1", str(exc))
                )
                self.failed.emit(str(exc))

            def end(ok: bool, text: str) -> None:
                if generation != self._generation:
                    return
                self.page_printer = None
                pp.deleteLater()  # with the printer and the PDF's bytes
                event = getattr(rendered, "event", None)
                if ok and job.record is not None and event is not None:
                    # The print happened: record it now (and only now), then say so.
                    record = job.record
                    self.runner.run(
                        lambda: record(Output.PRINT, event),
                        on_done=lambda _r: printed(text),
                        on_failed=not_recorded,
                        name="report print audit",
                    )
                    return
                self._set_running(None)
                if ok:
                    self.status.setText(text)
                    self.finished.emit("print", None)
                else:
                    log.info("printing failed")
                    self.show_error(
                        self.tr("Printing failed: %1. Save the PDF and print it from your viewer.").replace(
                            "%1", text
                        )
                    )
                    self.failed.emit(text)

            name = printer.printerName() or printer.outputFileName() or self.tr("the printer")
            pp.progress.connect(step)
            pp.finished.connect(
                lambda n: end(
                    True,
                    self.tr("Sent %n page(s) to %1.", "", n).replace("%1", name),
                )
            )
            pp.failed.connect(lambda text: end(False, text))
            pp.start()
            return False

        return self._start("print", job, None, None, paint)

    def save_as(self, job: Job | None = None) -> bool:
        job = job or self.job()
        if job is None or self.running is not None:
            return False
        target = SaveFileDialog.ask(self._dialog_parent(), Path.home() / job.suggested_name)
        if target is None:
            return False

        def saved(data: bytes, rendered: Any) -> bool:
            self.status.setText(self.tr("Saved %1.").replace("%1", str(target)))
            return True

        return self._start("save", job, Output.EXPORT, target, saved)

    def _dialog_parent(self) -> QWidget:
        """The preview when it is open and in front (its Print… and Save as…), else this widget."""
        dialog = self.preview_dialog
        if dialog is not None and Shiboken.isValid(dialog) and dialog.isVisible():
            return dialog
        return self
