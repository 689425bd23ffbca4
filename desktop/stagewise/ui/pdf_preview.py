"""Preview, print and save a PDF the core renders: the shared "output" part of every report screen.

``ReportActions`` owns the three buttons (Preview, Print…, Save as…), the busy bar and the status line.
The screen that uses it supplies ``job(action) -> Job``: what to render and the suggested file name.  The
rendering runs off the UI thread (``OpRunner``); the core ``write_*`` functions record every print and
export in the audit log (``action="print"`` / ``"export"``).

Preview and print need a PDF renderer.  PySide6-Essentials (what Stagewise ships) has no QtPdf, so:

* with QtPdf (PySide6-Addons installed): the preview is a ``QPdfView`` in a dialog, and printing draws
  each page (``QPdfDocument.render`` → ``QImage``) on the printer the print dialog chose;
* without it: the PDF goes to a private folder in the user's cache (mode 0700, emptied when the app
  locks or quits) and opens in the system's PDF viewer; Print… asks for the printer with the standard
  print dialog and hands the PDF to the system's spooler (CUPS ``lp`` on macOS and Linux, which prints
  PDF natively; the "printto" verb of the PDF application on Windows).

Every dialog is a seam tests replace: ``SaveFileDialog.ask``, ``PrintDialog.ask``, ``SystemViewer.open``
and ``Spooler.send``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
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
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


def _qtpdf() -> tuple[Any, Any]:
    try:  # PySide6-Addons; not in PySide6-Essentials
        import importlib

        return importlib.import_module("PySide6.QtPdf"), importlib.import_module("PySide6.QtPdfWidgets")
    except ImportError:
        return None, None


_QtPdf, _QtPdfWidgets = _qtpdf()
HAVE_QTPDF = _QtPdf is not None and _QtPdfWidgets is not None

# Writes the PDF to ``out`` in one transaction and audits it; returns the core's ``Rendered``.
Writer = Callable[[Any, str], Any]  # (path, action) -> Rendered


@dataclass(frozen=True, slots=True)
class Job:
    """What to render: ``write(out_path, action)`` (runs on a worker) and a file name to suggest."""

    write: Writer
    suggested_name: str


# -- the private folder ------------------------------------------------------------------------------


def private_folder(paths: AppPaths) -> Path:
    """The folder for previews and print copies: in the user's cache, readable by the user only."""
    folder = paths.cache / "print"
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        folder.chmod(0o700)
    return folder


def clear_private_copies(paths: AppPaths) -> int:
    """Delete the previews and print copies (on lock and quit); returns how many went."""
    folder = paths.cache / "print"
    if not folder.is_dir():
        return 0
    gone = 0
    for f in folder.glob("*.pdf"):
        try:
            f.unlink()
            gone += 1
        except OSError:  # still open in a viewer (Windows): it goes next time
            log.info("a preview copy is still in use")
    return gone


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


class SystemViewer:
    @classmethod
    def open(cls, path: Path) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class Spooler:
    """Send a PDF file to a printer through the operating system (used when QtPdf is missing)."""

    @classmethod
    def send(cls, path: Path, printer_name: str, copies: int) -> None:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            import ctypes

            shell = ctypes.windll.shell32  # type: ignore[attr-defined,unused-ignore]
            code = shell.ShellExecuteW(None, "printto", str(path), f'"{printer_name}"', None, 0)
            if code <= 32:
                raise OSError("no PDF application is set up to print")
            return
        lp = shutil.which("lp")
        if lp is None:
            raise OSError("the print system (lp) is missing")
        args = [lp, "-n", str(max(1, copies))]
        if printer_name:
            args += ["-d", printer_name]
        subprocess.run([*args, "--", str(path)], check=True, capture_output=True, timeout=60)


def print_pdf(path: Path, printer: QPrinter) -> None:
    """Print the PDF at ``path`` on ``printer`` (already set up by the print dialog)."""
    if HAVE_QTPDF:  # pragma: no cover - needs PySide6-Addons
        from PySide6.QtGui import QPainter

        doc = _QtPdf.QPdfDocument()
        doc.load(str(path))
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError("the printer could not start")
        try:
            page_rect = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            for i in range(doc.pageCount()):
                if i:
                    printer.newPage()
                size = doc.pagePointSize(i).scaled(
                    page_rect.size().toSizeF(), Qt.AspectRatioMode.KeepAspectRatio
                )
                image = doc.render(i, size.toSize())
                painter.drawImage(0, 0, image)
        finally:
            painter.end()
        return
    Spooler.send(path, printer.printerName(), printer.copyCount())


class PdfPreviewDialog(QDialog):  # pragma: no cover - needs PySide6-Addons
    """The PDF in a page view (QtPdf only)."""

    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 1000)
        self.document = _QtPdf.QPdfDocument(self)
        self.document.load(str(path))
        view = _QtPdfWidgets.QPdfView(self)
        view.setDocument(self.document)
        view.setPageMode(_QtPdfWidgets.QPdfView.PageMode.MultiPage)
        view.setZoomMode(_QtPdfWidgets.QPdfView.ZoomMode.FitToWidth)
        layout = QVBoxLayout(self)
        layout.addWidget(view)


# -- the buttons -------------------------------------------------------------------------------------


class ReportActions(QWidget):
    """Preview / Print… / Save as…, a busy bar and a status line; ``finished(kind, path)`` when done."""

    finished = Signal(str, object)  # "preview" | "print" | "save", Path
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
        self.preview_dialog: QDialog | None = None
        self.last_path: Path | None = None
        self.last_pages = 0

        self.preview_button = QPushButton(self.tr("Pre&view"))
        self.preview_button.setObjectName("primary")
        self.preview_button.setToolTip(
            self.tr("Show the PDF")
            if HAVE_QTPDF
            else self.tr("Open the PDF in your PDF viewer (a private copy, deleted when Stagewise locks)")
        )
        self.print_button = QPushButton(self.tr("&Print…"))
        self.save_button = QPushButton(self.tr("Sav&e as…"))
        self.preview_button.clicked.connect(lambda: self.preview())
        self.print_button.clicked.connect(lambda: self.print_())
        self.save_button.clicked.connect(lambda: self.save_as())
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: ReportLab reports no steps
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
        """Forget work in progress (the app locks): its result is dropped."""
        self._generation += 1
        self._set_running(None)
        if self.preview_dialog is not None:
            self.preview_dialog.close()
            self.preview_dialog = None

    def _set_running(self, kind: str | None, text: str = "") -> None:
        self.running = kind
        self.progress.setVisible(kind is not None)
        for b in self.buttons:
            b.setEnabled(kind is None)
        if text:
            self.status.setText(text)

    def _start(self, kind: str, out: Path, action: str, then: Callable[[Path, Any], None]) -> bool:
        if self.running is not None:
            return False
        job = self.job()
        if job is None:
            return False
        self.show_error("")
        self._generation += 1
        generation = self._generation
        self._set_running(kind, self.tr("Making the PDF…"))

        def work() -> Any:
            return job.write(out, action)

        def done(rendered: Any) -> None:
            if not Shiboken.isValid(self) or generation != self._generation:
                return
            self._set_running(None)
            self.last_path = out
            self.last_pages = int(getattr(rendered, "pages", 0))
            then(out, rendered)
            self.finished.emit(kind, out)

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

    def _private_copy(self, name: str) -> Path:
        return private_folder(self.paths) / f"{Path(name).stem}-{uuid.uuid4().hex[:8]}.pdf"

    # -- the three actions -------------------------------------------------------------------------

    def preview(self) -> bool:
        job = self.job()
        if job is None:
            return False
        return self._start("preview", self._private_copy(job.suggested_name), "export", self._show_preview)

    def _show_preview(self, path: Path, rendered: Any) -> None:
        pages = self.tr("%n page(s)", "", int(getattr(rendered, "pages", 0)))
        if HAVE_QTPDF:  # pragma: no cover - needs PySide6-Addons
            dialog = PdfPreviewDialog(path, self.tr("Preview"), self)
            self.preview_dialog = dialog
            dialog.show()
            self.status.setText(self.tr("Preview shown (%1).").replace("%1", pages))
            return
        if SystemViewer.open(path):
            self.status.setText(
                self.tr("Opened in your PDF viewer (%1). The copy is deleted when Stagewise locks.").replace(
                    "%1", pages
                )
            )
        else:
            self.show_error(self.tr("No PDF viewer opened the preview. Use Save as… and open the file."))

    def print_(self) -> bool:
        job = self.job()
        if job is None or self.running is not None:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if not PrintDialog.ask(self, printer):
            return False

        def send(path: Path, rendered: Any) -> None:
            try:
                print_pdf(path, printer)
            except (OSError, subprocess.SubprocessError) as exc:
                log.info("printing failed: %s", type(exc).__name__)
                self.show_error(
                    self.tr("Printing failed: %1. Save the PDF and print it from your viewer.").replace(
                        "%1", str(exc)
                    )
                )
                return
            self.status.setText(
                self.tr("Sent to %1.").replace("%1", printer.printerName() or self.tr("the printer"))
            )

        return self._start("print", self._private_copy(job.suggested_name), "print", send)

    def save_as(self) -> bool:
        job = self.job()
        if job is None or self.running is not None:
            return False
        target = SaveFileDialog.ask(self, Path.home() / job.suggested_name)
        if target is None:
            return False

        def saved(path: Path, rendered: Any) -> None:
            self.status.setText(self.tr("Saved %1.").replace("%1", str(path)))

        return self._start("save", target, "export", saved)
