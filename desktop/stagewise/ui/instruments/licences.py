"""The licence catalogue (Help menu): every questionnaire with its licence, commercial use, attribution and
what has not been verified, read from the instrument files themselves.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.instruments.model import LicenceStatus
from stagewise.core.paths import AppPaths

STATUS_LABELS = {
    LicenceStatus.PUBLIC_DOMAIN: "Public domain",
    LicenceStatus.FREE_WITH_ATTRIBUTION: "Free with attribution",
    LicenceStatus.NON_COMMERCIAL: "Non-commercial use only",
    LicenceStatus.PERMISSION_UNVERIFIED: "Permission not verified",
}
assert set(STATUS_LABELS) == set(LicenceStatus)


def commercial_text(allowed: bool | None) -> str:
    return {True: "Allowed", False: "Not allowed", None: "Unknown — ask the copyright holder"}[allowed]


def is_unverified(form: Any) -> bool:
    """Something about this instrument (wording, scoring, licence) is not verified against its source."""
    return (
        bool(form.unverified)
        or form.scoring_unverified
        or form.licence.status is LicenceStatus.PERMISSION_UNVERIFIED
    )


class LicenceWindow(QWidget):
    """A table of instruments and, for the selected one, its full licence text and caveats."""

    closed = Signal()

    COLUMNS = ("Questionnaire", "Licence", "Commercial use", "Verified")

    def __init__(self, paths: AppPaths, *, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("licenceWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Questionnaire licences"))
        from stagewise.core.instruments import load_library, practice_forms_dir

        self.forms = list(load_library((practice_forms_dir(paths),)).forms)
        intro = QLabel(
            self.tr(
                "Who owns each questionnaire and what they allow. Rows marked “unverified” have wording, "
                "scoring or permission that has not been checked against the original source: read the "
                "notes before relying on them."
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        self.table = QTableWidget(len(self.forms), len(self.COLUMNS))
        self.table.setObjectName("licenceTable")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        warn = QBrush(QColor("#8a4b00"))
        for row, f in enumerate(self.forms):
            unverified = is_unverified(f)
            cells = (
                f"{f.short_title} — {f.title}",
                self.tr(STATUS_LABELS[f.licence.status]),
                self.tr(commercial_text(f.licence.commercial_use_allowed)),
                self.tr("⚠ unverified") if unverified else self.tr("Yes"),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, f.id)
                if col == 3 and unverified:
                    item.setForeground(warn)
                self.table.setItem(row, col, item)
        self.details = QTextBrowser()
        self.details.setObjectName("licenceDetails")
        self.details.setOpenLinks(False)
        self.table.itemSelectionChanged.connect(self._show_selected)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        QShortcut(QKeySequence.StandardKey.Close, self).activated.connect(self.close)
        self.resize(1100, 720)
        if self.forms:
            self.table.selectRow(0)

    def select(self, form_id: str) -> None:
        for row, f in enumerate(self.forms):
            if f.id == form_id:
                self.table.selectRow(row)

    def _show_selected(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.forms):
            self.details.setHtml(details_html(self.forms[row]))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)


def details_html(form: Any) -> str:
    """The licence and caveats of one instrument (every value escaped: they come from files)."""
    e = html.escape
    lic = form.licence
    parts = [
        f"<h3>{e(form.title)} <small>(version {e(form.version)})</small></h3>",
        f"<p><b>Licence:</b> {e(STATUS_LABELS[lic.status])} · <b>Commercial use:</b> "
        f"{e(commercial_text(lic.commercial_use_allowed))}</p>",
        f"<p><b>Attribution:</b> {e(lic.attribution)}</p>",
        f"<p><b>Source of the permission:</b> {e(lic.source)}</p>",
    ]
    if lic.note:
        parts.append(f"<p><b>Note:</b> {e(lic.note)}</p>")
    parts.append(f"<p><b>Citation:</b> {e(form.citation_short)}</p>")
    caveats = list(form.caveats())
    if lic.status is LicenceStatus.PERMISSION_UNVERIFIED:
        caveats.append(
            "Permission to use this questionnaire has not been confirmed with its copyright holder."
        )
    if caveats:
        items = "".join(f"<li>{e(c)}</li>" for c in caveats)
        parts.append(f"<p style='color:#8a4b00'><b>⚠ Unverified:</b></p><ul>{items}</ul>")
    return "".join(parts)
