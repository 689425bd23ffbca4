"""Preview, print and save a PDF the core renders: the shared "output" part of every report screen.

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
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from stagewise.core.errors import StagewiseError
from stagewise.core.paths import AppPaths
from stagewise.core.reports.output import Output, ReportEvent, record_output
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


class PdfRenderError(StagewiseError):
    """The PDF could not be opened or rasterised (a wrong password, a damaged file)."""


# -- rasterising (any thread) ------------------------------------------------------------------------

_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one call at a time, whichever thread


def _open(data: bytes, password: str | None) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(data, password=password)
    except pypdfium2.PdfiumError as exc:
        raise PdfRenderError(f"the PDF could not be opened ({exc})") from exc


def page_sizes(data: bytes, password: str | None = None) -> list[tuple[float, float]]:
    """Each page's (width, height) in points."""
    with _PDFIUM:
        doc = _open(data, password)
        try:
            return [doc[i].get_size() for i in range(len(doc))]
        finally:
            doc.close()


def render_page(data: bytes, password: str | None, index: int, scale: float) -> QImage:
    """Rasterise page ``index`` at ``scale`` pixels per point (72 dpi × scale) into a ``QImage``."""
    with _PDFIUM:
        doc = _open(data, password)
        try:
            page = doc[index]
            bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True)  # RGBx bytes
            try:
                image = QImage(
                    bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGBX8888
                ).copy()  # own the pixels before PDFium frees its buffer
            finally:
                bitmap.close()
                page.close()
        finally:
            doc.close()
    if image.isNull():
        raise PdfRenderError("a page could not be drawn")
    return image


# -- the private folder (older versions' preview copies) ---------------------------------------------


def clear_private_copies(paths: AppPaths) -> int:
    """Delete preview and print copies left by older versions (on lock and quit); returns how many went."""
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


# -- the preview -------------------------------------------------------------------------------------

PX_PER_PT = 96 / 72  # 100 % zoom: a point is 1/72 in, shown at 96 logical pixels per inch
ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 0.25, 4.0, 1.25
FIT_MAX = 1.25  # "fit width" stops here: on a wide screen a page at 160 % shows only its top half
PAGE_GAP = 14  # logical pixels around and between the pages
KEEP_AROUND = 3  # rendered pages kept either side of the visible ones (the rest are dropped)


class PdfPreviewDialog(QDialog):
    """The PDF's pages as images in a scrolling column; pages are rasterised on a worker as they show.

    ``print_requested`` / ``save_requested`` when the user clicks Print… / Save as… (the owner runs its
    job again, so that is audited like any print or export).
    """

    print_requested = Signal()
    save_requested = Signal()
    rendered = Signal()  # every page in view is drawn at the current zoom (tests wait on it)

    def __init__(
        self,
        data: bytes,
        title: str,
        runner: OpRunner,
        *,
        password: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.data = data
        self.password = password
        self.runner = runner
        self.sizes: list[tuple[float, float]] = []
        self.labels: list[QLabel] = []
        self.images: dict[int, QImage] = {}  # page index -> image, at its pixel width
        self.zoom: float | None = None  # None: fit to width
        self.rendering: int | None = None  # the page a worker is drawing now
        self.batch_total = 0
        self.batch_done = 0

        self.pages_view = QScrollArea()
        self.pages_view.setObjectName("pdfPages")
        self.pages_view.setWidgetResizable(False)
        self.pages_view.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.pages_view.setStyleSheet("QScrollArea#pdfPages, QWidget#pdfColumn { background: #8a8f96; }")
        self.column = QWidget()
        self.column.setObjectName("pdfColumn")
        self.pages_view.setWidget(self.column)
        self.pages_view.viewport().installEventFilter(self)
        self.pages_view.verticalScrollBar().valueChanged.connect(lambda _v: self._scrolled())
        self.pages_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.zoom_out_button = QPushButton("−")
        self.zoom_out_button.setToolTip(self.tr("Zoom out (Ctrl+-)"))
        self.zoom_in_button = QPushButton("+")
        self.zoom_in_button.setToolTip(self.tr("Zoom in (Ctrl+=)"))
        for b in (self.zoom_out_button, self.zoom_in_button):
            b.setStyleSheet("min-width: 24px; padding-left: 8px; padding-right: 8px;")
        self.fit_button = QPushButton(self.tr("&Fit width"))
        self.fit_button.setToolTip(self.tr("Fit the page to the window (Ctrl+0)"))
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("muted")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_label = QLabel(self.tr("Opening…"))
        self.page_label.setObjectName("pageIndicator")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 0)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.fit_button.clicked.connect(self.fit_width)

        self.print_button = QPushButton(self.tr("&Print…"))
        self.save_button = QPushButton(self.tr("Sav&e as…"))
        self.close_button = QPushButton(self.tr("Close"))
        self.print_button.clicked.connect(self.print_requested.emit)
        self.save_button.clicked.connect(self.save_requested.emit)
        self.close_button.clicked.connect(self.close)
        for b in (
            self.zoom_out_button,
            self.zoom_in_button,
            self.fit_button,
            self.save_button,
            self.close_button,
        ):
            b.setAutoDefault(False)
        self.print_button.setDefault(True)  # the preview's main action (the print dialog still asks)

        top = QHBoxLayout()
        top.addWidget(self.zoom_out_button)
        top.addWidget(self.zoom_label)
        top.addWidget(self.zoom_in_button)
        top.addWidget(self.fit_button)
        top.addSpacing(16)
        top.addWidget(self.page_label)
        top.addStretch(1)
        top.addWidget(self.progress)
        bottom = QHBoxLayout()
        bottom.addWidget(self.error, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages_view, 1)
        layout.addLayout(bottom)

        standard = QKeySequence.keyBindings
        for keys, slot in (
            (
                [QKeySequence("Ctrl+="), QKeySequence("Ctrl++"), *standard(QKeySequence.StandardKey.ZoomIn)],
                self.zoom_in,
            ),
            ([QKeySequence("Ctrl+-"), *standard(QKeySequence.StandardKey.ZoomOut)], self.zoom_out),
            ([QKeySequence("Ctrl+0")], self.fit_width),
            ([QKeySequence(Qt.Key.Key_PageDown)], self.next_page),
            ([QKeySequence(Qt.Key.Key_PageUp)], self.previous_page),
        ):
            for text in dict.fromkeys(
                k.toString() for k in keys if not k.isEmpty()
            ):  # once each: no ambiguity
                shortcut = QShortcut(QKeySequence(text), self)
                shortcut.activated.connect(slot)
        self.resize(900, 1000)
        self._update_zoom_label()
        self.runner.run(
            lambda: page_sizes(data, password), on_done=self._opened, on_failed=self._failed, name="pdf open"
        )

    # -- geometry ----------------------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return len(self.sizes)

    def effective_zoom(self) -> float:
        if self.zoom is not None:
            return self.zoom
        widest = max((w for w, _h in self.sizes), default=595.0)
        room = self.pages_view.viewport().width() - 2 * PAGE_GAP
        return max(ZOOM_MIN, min(FIT_MAX, room / (widest * PX_PER_PT)))

    def _layout_pages(self) -> None:
        if not self.sizes:
            return
        scale = self.effective_zoom() * PX_PER_PT
        widest = max(round(w * scale) for w, _h in self.sizes)
        column_w = max(self.pages_view.viewport().width(), widest + 2 * PAGE_GAP)
        y = PAGE_GAP
        for label, (w, h) in zip(self.labels, self.sizes, strict=True):
            pw, ph = round(w * scale), round(h * scale)
            label.setGeometry((column_w - pw) // 2, y, pw, ph)
            y += ph + PAGE_GAP
        self.column.resize(column_w, y)
        self._update_zoom_label()
        self._scrolled()

    def _target_width(self, index: int) -> int:
        """The page's width in device pixels at the current zoom."""
        return max(1, round(self.labels[index].width() * self.devicePixelRatioF()))

    def visible_pages(self) -> range:
        if not self.labels:
            return range(0)
        top = self.pages_view.verticalScrollBar().value()
        bottom = top + self.pages_view.viewport().height()
        shown = [i for i, lb in enumerate(self.labels) if lb.y() < bottom and lb.y() + lb.height() > top]
        if not shown:
            return range(0)
        return range(shown[0], shown[-1] + 1)

    def current_page(self) -> int:
        """The page at the top third of the view (0-based)."""
        mark = self.pages_view.verticalScrollBar().value() + self.pages_view.viewport().height() // 3
        for i, lb in enumerate(self.labels):
            if lb.y() + lb.height() + PAGE_GAP > mark:
                return i
        return max(0, len(self.labels) - 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.pages_view.viewport() and event.type() == QEvent.Type.Resize:
            self._layout_pages()
        return super().eventFilter(watched, event)

    # -- navigation and zoom -----------------------------------------------------------------------

    def go_to_page(self, index: int) -> None:
        if not self.labels:
            return
        index = max(0, min(index, len(self.labels) - 1))
        self.pages_view.verticalScrollBar().setValue(self.labels[index].y() - PAGE_GAP)

    def next_page(self) -> None:
        self.go_to_page(self.current_page() + 1)

    def previous_page(self) -> None:
        i = self.current_page()
        top = self.pages_view.verticalScrollBar().value()
        self.go_to_page(i if self.labels and self.labels[i].y() - PAGE_GAP < top else i - 1)

    def set_zoom(self, zoom: float | None) -> None:
        page = self.current_page()
        self.zoom = None if zoom is None else max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        self._layout_pages()
        self.go_to_page(page)

    def zoom_in(self) -> None:
        self.set_zoom(self.effective_zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.effective_zoom() / ZOOM_STEP)

    def fit_width(self) -> None:
        self.set_zoom(None)

    def _update_zoom_label(self) -> None:
        self.zoom_label.setText(f"{round(self.effective_zoom() * 100)} %")
        self.zoom_out_button.setEnabled(self.effective_zoom() > ZOOM_MIN + 1e-6)
        self.zoom_in_button.setEnabled(self.effective_zoom() < ZOOM_MAX - 1e-6)

    def _scrolled(self) -> None:
        if self.labels:
            self.page_label.setText(
                self.tr("Page %1 of %2")
                .replace("%1", str(self.current_page() + 1))
                .replace("%2", str(len(self.labels)))
            )
        self._pump()

    # -- rendering ---------------------------------------------------------------------------------

    def _opened(self, sizes: list[tuple[float, float]]) -> None:
        if not Shiboken.isValid(self):
            return
        self.sizes = sizes
        for _ in sizes:
            label = QLabel(self.column)
            label.setObjectName("pdfPage")
            label.setScaledContents(True)
            label.setStyleSheet("background: white; border: none;")
            label.show()
            self.labels.append(label)
        self._layout_pages()
        self.pages_view.setFocus()

    def _pump(self) -> None:
        """Start drawing the next page in view that is missing or at another zoom (one at a time)."""
        if not self.labels or self.rendering is not None or not Shiboken.isValid(self):
            return
        visible = self.visible_pages()
        keep = range(max(0, visible.start - KEEP_AROUND), min(len(self.labels), visible.stop + KEEP_AROUND))
        for i in [i for i in self.images if i not in keep]:  # bounded memory on long reports
            del self.images[i]
            self.labels[i].clear()
        wanted = [i for i in visible if self.images.get(i, QImage()).width() != self._target_width(i)]
        if not wanted:
            self.progress.hide()
            self.batch_total = self.batch_done = 0
            self.rendered.emit()
            return
        if self.batch_total == 0:
            self.batch_total = len(wanted)
        self.progress.setRange(0, max(self.batch_total, self.batch_done + len(wanted)))
        self.progress.setValue(self.batch_done)
        self.progress.show()
        index = wanted[0]
        width = self._target_width(index)
        scale = width / self.sizes[index][0]
        data, password = self.data, self.password
        self.rendering = index
        self.runner.run(
            lambda: (index, width, render_page(data, password, index, scale)),
            on_done=self._page_ready,
            on_failed=self._failed,
            name="pdf page",
        )

    def _page_ready(self, result: tuple[int, int, QImage]) -> None:
        if not Shiboken.isValid(self):
            return
        index, _width, image = result
        self.rendering = None
        self.batch_done += 1
        if self.data:  # not closed meanwhile
            self.images[index] = image
            self.labels[index].setPixmap(QPixmap.fromImage(image))
            self._pump()

    def _failed(self, exc: BaseException) -> None:
        if not Shiboken.isValid(self):
            return
        self.rendering = None
        self.progress.hide()
        if isinstance(exc, StagewiseError | OSError):
            log.info("preview failed: %s", type(exc).__name__)
            self.error.setText(self.tr("The preview could not be shown: %1").replace("%1", str(exc)))
            self.error.show()
            self.page_label.setText("")
            return
        raise exc

    def done(self, result: int) -> None:
        # Forget the PDF and its password as soon as the dialog closes.
        self.data = b""
        self.password = None
        self.images.clear()
        super().done(result)

    def closeEvent(self, event: Any) -> None:
        self.data = b""
        self.password = None
        self.images.clear()
        super().closeEvent(event)


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
