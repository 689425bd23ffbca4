"""The in-app PDF preview: pypdfium2 rasterises the pages the core renders, on a worker, as they show.

``PdfPreviewDialog`` shows the PDF's pages as images in a scrolling column (fit to width, zoom, page x of
y, PgUp/PgDn); ``page_sizes`` and ``render_page`` are also what printing uses
(:mod:`stagewise.ui.reports.report_actions`).  Older versions put preview copies in a private folder in
the user's cache; ``clear_private_copies`` still empties it on lock and quit.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
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
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


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
