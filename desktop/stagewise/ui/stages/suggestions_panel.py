"""Stage-matched interventions for one focus: a menu, never a plan.

Each suggestion shows what to do, why it fits the stage (rationale) and where it comes from (source);
checkable buttons filter by model (TTM, MI, SMART, recovery capital).  The clinician accepts, declines
(an optional reason) or adds their own; the panel only asks — the Stage tab stores the decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.enums import DecisionKind
from stagewise.core.stages.interventions import InterventionEntry, InterventionModel
from stagewise.core.stages.records import MAX_REASON, MAX_TITLE, DecisionInfo, FocusSuggestions
from stagewise.ui.dates import format_date, local
from stagewise.ui.stages import words


def _label(text: str, name: str = "", *, rich: bool = False) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


# --------------------------------------------------------------------------------------------------------
# Small dialogs, each behind an ``ask()`` seam


class DeclineDialog(QDialog):
    """Decline a suggestion, with an optional reason."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Decline — %1").replace("%1", title))
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(MAX_REASON)
        self.reason_edit.setPlaceholderText(self.tr("Optional, e.g. already tried, not a fit right now"))
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = box.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Decline"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow(self.tr("&Reason:"), self.reason_edit)
        layout.addRow(box)
        self.setMinimumWidth(420)

    @classmethod
    def ask(cls, parent: QWidget | None, title: str) -> str | None:
        """The reason ("" for none), or None when cancelled."""
        dialog = cls(title, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.reason_edit.text().strip()


@dataclass(frozen=True, slots=True)
class OwnIntervention:
    title: str
    model: InterventionModel | None
    reason: str | None


class OwnInterventionDialog(QDialog):
    """Add the clinician's own intervention (a title, optionally a model and a note)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add your own intervention"))
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(MAX_TITLE)
        self.model_combo = QComboBox()
        self.model_combo.addItem(self.tr("(no particular model)"), None)
        for m in InterventionModel:
            self.model_combo.addItem(words.model(m), m)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(MAX_REASON)
        self.box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.box.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Add"))
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        self.title_edit.textChanged.connect(self._update)
        layout = QFormLayout(self)
        layout.addRow(self.tr("&Title:"), self.title_edit)
        layout.addRow(self.tr("&Model:"), self.model_combo)
        layout.addRow(self.tr("&Note:"), self.reason_edit)
        layout.addRow(self.box)
        self.setMinimumWidth(440)
        self._update()

    def _update(self) -> None:
        self.box.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.title_edit.text().strip()))

    @classmethod
    def ask(cls, parent: QWidget | None) -> OwnIntervention | None:
        dialog = cls(parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return OwnIntervention(
            dialog.title_edit.text().strip(),
            dialog.model_combo.currentData(),
            dialog.reason_edit.text().strip() or None,
        )


# --------------------------------------------------------------------------------------------------------
# The panel


class SuggestionCard(QFrame):
    """One library entry: what, why, where from, and Accept / Decline."""

    def __init__(self, entry: InterventionEntry, decided: DecisionInfo | None) -> None:
        super().__init__()
        self.entry = entry
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        top = QHBoxLayout()
        title = _label(entry.title, "suggestionTitle")
        top.addWidget(title, 1)
        chip = QLabel(words.model_short(entry.model))
        chip.setObjectName("chip")
        chip.setToolTip(words.model(entry.model))
        top.addWidget(chip, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        if entry.for_recycling:
            layout.addWidget(_label(self.tr("For after a move back a stage (recycling)"), "muted"))
        layout.addWidget(_label(entry.summary))
        layout.addWidget(_label(self.tr("Why it fits: ") + entry.rationale, "rationale"))
        source = _label(self.tr("Source: ") + entry.citation_short, "source")
        source.setToolTip(
            entry.source + (f"\n{entry.source_url}" if entry.source_url else "")
        )  # the full reference
        layout.addWidget(source)
        if entry.notice:
            layout.addWidget(_label(entry.notice, "source"))
        if not entry.verified and entry.notes:
            layout.addWidget(_label(self.tr("Not fully verified: ") + entry.notes, "source"))
        buttons = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("decisionStatus")
        buttons.addWidget(self.status, 1)
        self.accept_button = QPushButton(self.tr("Accept"))
        self.decline_button = QPushButton(self.tr("Decline…"))
        self.accept_button.setAccessibleName(self.tr("Accept %1").replace("%1", entry.title))
        self.decline_button.setAccessibleName(self.tr("Decline %1").replace("%1", entry.title))
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.decline_button)
        layout.addLayout(buttons)
        self.set_decided(decided)

    def set_decided(self, decided: DecisionInfo | None) -> None:
        if decided is None:
            self.status.clear()
            self.accept_button.setVisible(True)
            self.decline_button.setVisible(True)
            return
        mark = "✓ " if decided.decision == DecisionKind.ACCEPTED else "✗ "
        self.status.setText(mark + words.decision(decided.decision) + " · " + _day(decided.decided_at))
        self.accept_button.setVisible(decided.decision != DecisionKind.ACCEPTED)
        self.decline_button.setVisible(decided.decision != DecisionKind.DECLINED)


def _day(moment: dt.datetime) -> str:
    return format_date(local(moment).date())


class SuggestionsPanel(QWidget):
    """The suggestions for a focus's current stage, filtered by model."""

    accept_requested = Signal(object)  # InterventionEntry
    decline_requested = Signal(object)  # InterventionEntry
    add_requested = Signal()
    models_changed = Signal(object)  # frozenset[InterventionModel]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestionsPanel")
        self.cards: list[SuggestionCard] = []
        self.heading = _label("", "panelHeading")
        self.note = _label("", "muted")
        self.filter_buttons: dict[InterventionModel, QPushButton] = {}
        filters = QHBoxLayout()
        filters.setSpacing(4)
        caption = QLabel(self.tr("Show models:"))
        caption.setObjectName("muted")
        for m in InterventionModel:
            button = QPushButton(words.model_short(m))
            button.setObjectName("filterButton")
            button.setCheckable(True)
            button.setChecked(True)
            button.setToolTip(words.model(m))
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button.toggled.connect(lambda on, b=button, m=m: self._filter_toggled(b, m, on))
            self.filter_buttons[m] = button
            self._label_filter(button, m)
            filters.addWidget(button)
        filters.addStretch(1)

        self.list_box = QVBoxLayout()
        self.list_box.setSpacing(8)
        inner = QWidget()
        inner.setObjectName("suggestionsInner")
        outer = QVBoxLayout(inner)
        outer.setContentsMargins(0, 0, 6, 0)
        outer.addLayout(self.list_box)
        outer.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(inner)
        self.scroll_area.viewport().setAutoFillBackground(False)
        inner.setAutoFillBackground(False)
        self.empty = _label("", "placeholder")
        self.add_button = QPushButton(self.tr("Add your &own…"))
        self.add_button.clicked.connect(self.add_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addWidget(caption)
        layout.addLayout(filters)
        layout.addWidget(self.empty)
        layout.addWidget(self.scroll_area, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.add_button)
        layout.addLayout(bottom)
        self.setStyleSheet(
            "#panelHeading { font-size: 15px; font-weight: 600; }"
            "#suggestionTitle { font-weight: 600; }"
            "#source { color: #5b6570; font-size: 12px; }"
            "#rationale { color: #33404c; }"
            "#decisionStatus { color: #234f52; font-weight: 600; }"
            "QPushButton#filterButton { min-width: 0px; padding: 3px 10px; border-radius: 11px; }"
            "QPushButton#filterButton:checked { background: #e8f0f0; border-color: #2f6f73; color: #1c4547; }"
            "#suggestionsInner, QScrollArea { background: transparent; }"
        )

    @staticmethod
    def _label_filter(button: QPushButton, model: InterventionModel) -> None:
        # A check mark as well as the colour says which models are shown.
        button.setText(("✓ " if button.isChecked() else "") + words.model_short(model))

    def _filter_toggled(self, button: QPushButton, model: InterventionModel, _on: bool) -> None:
        self._label_filter(button, model)
        self.models_changed.emit(self.models)

    @property
    def models(self) -> frozenset[InterventionModel]:
        return frozenset(m for m, b in self.filter_buttons.items() if b.isChecked())

    def set_models(self, models: frozenset[InterventionModel]) -> None:
        for m, button in self.filter_buttons.items():
            button.blockSignals(True)
            button.setChecked(m in models)
            button.blockSignals(False)
            self._label_filter(button, m)

    def set_suggestions(self, suggestions: FocusSuggestions, decisions: Sequence[DecisionInfo]) -> None:
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        current = suggestions.current
        if current is None:
            self.heading.setText(self.tr("Suggestions"))
            self.note.setText(self.tr("Record a stage to see interventions matched to it."))
        elif suggestions.paused:
            self.heading.setText(self.tr("Suggestions"))
            self.note.setText(
                self.tr(
                    "Not staged for now: no stage-matched suggestions while staging is paused. "
                    "You can still add your own."
                )
            )
        else:
            self.heading.setText(self.tr("Suggestions for %1").replace("%1", words.stage(current.stage)))
            text = self.tr("A menu to choose from, not a plan.")
            if suggestions.recycling:
                text += " " + self.tr("After a move back a stage, ideas for renewing the work are included.")
            self.note.setText(text)
        latest: dict[str, DecisionInfo] = {}
        for d in decisions:
            if d.intervention_id is not None and current is not None and d.stage_record_id == current.id:
                latest[d.intervention_id] = d
        for entry in suggestions.entries:
            card = SuggestionCard(entry, latest.get(entry.id))
            card.accept_button.clicked.connect(lambda _c=False, e=entry: self.accept_requested.emit(e))
            card.decline_button.clicked.connect(lambda _c=False, e=entry: self.decline_requested.emit(e))
            self.list_box.addWidget(card)
            card.show()
            self.cards.append(card)
        staged = current is not None and current.stage is not None
        if staged and not suggestions.entries:
            self.empty.setText(self.tr("No entries match this stage and filter."))
        self.empty.setVisible(staged and not suggestions.entries)
        self.scroll_area.setVisible(bool(suggestions.entries))
        for button in self.filter_buttons.values():
            button.setEnabled(staged)

    def card_for(self, intervention_id: str) -> SuggestionCard | None:
        return next((c for c in self.cards if c.entry.id == intervention_id), None)
