"""Report screens: the chart's Reports tab, the practice report and blank forms.

Each screen gathers its choices on the UI thread and hands a ``Job`` (with the PDF password, which the
in-app preview and printing need to open the PDF) to ``ReportActions`` (Preview, Print…, Save as…),
which renders off the UI thread; the core ``write_*`` functions audit every preview (viewed) and
save, and ``Job.record`` records a print once the printer has taken it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QDate, QLocale, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.reports.client_summary import Audience
from stagewise.core.reports.layout import PageSizeName
from stagewise.core.reports.note_summaries import NoteText
from stagewise.core.reports.output import Output
from stagewise.ui.context import AppContext
from stagewise.ui.dates import configure_date_edit
from stagewise.ui.reports.report_actions import Job, ReportActions, recorder
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


def default_page_size() -> PageSizeName:
    """Letter where it is the custom (US, Canada, Mexico, Philippines…), A4 elsewhere."""
    letter = {QLocale.Country.UnitedStates, QLocale.Country.Canada, QLocale.Country.Mexico}
    letter.add(QLocale.Country.Philippines)
    return PageSizeName.LETTER if QLocale().territory() in letter else PageSizeName.A4


class PeriodPicker(QWidget):
    """From / to dates, or "from the first record"."""

    changed = Signal()

    def __init__(self, today: dt.date, *, days: int = 365, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.from_edit = QDateEdit(_qdate(today - dt.timedelta(days=days)))
        self.to_edit = QDateEdit(_qdate(today))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            configure_date_edit(edit)
            edit.dateChanged.connect(lambda _d: self.changed.emit())
        self.from_start = QCheckBox(self.tr("from the firs&t record"))
        self.from_start.toggled.connect(self._toggled)
        self.from_start.setChecked(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.from_edit)
        row.addWidget(QLabel("–"))
        row.addWidget(self.to_edit)
        row.addSpacing(8)
        row.addWidget(self.from_start)
        row.addStretch(1)

    def _toggled(self, on: bool) -> None:
        self.from_edit.setEnabled(not on)
        self.changed.emit()

    @property
    def start(self) -> dt.date | None:
        return None if self.from_start.isChecked() else _pydate(self.from_edit.date())

    @property
    def end(self) -> dt.date:
        return _pydate(self.to_edit.date())

    def problem(self) -> str:
        if self.start is not None and self.start > self.end:
            return self.tr("The start date is after the end date.")
        return ""


def _page_combo() -> QComboBox:
    combo = QComboBox()
    combo.addItem("A4", PageSizeName.A4)
    combo.addItem("Letter", PageSizeName.LETTER)
    combo.setCurrentIndex(combo.findData(default_page_size()))
    return combo


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText("optional")
    edit.setClearButtonEnabled(True)
    return edit


class ReportsTab(QWidget):
    """The chart's Reports tab: a progress summary for one client."""

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        runner: OpRunner,
        *,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reports")
        self.ctx = ctx
        self.client_id = client_id
        self.chart_number = ""

        title = QLabel(self.tr("Progress summary"))
        title.setObjectName("sectionTitle")
        intro = QLabel(
            self.tr(
                "A PDF of stages, scores and interventions over a period. Choose who it is for: the "
                "client-facing version uses plain language and leaves out clinician-only content."
            )
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.period = PeriodPicker(today or dt.date.today())
        self.period.changed.connect(self._validate)
        self.focus_list = QListWidget()
        self.focus_list.setObjectName("reportFocuses")
        self.focus_list.setMaximumHeight(110)
        self.focus_list.itemChanged.connect(lambda _i: self._validate())
        self.clinician_radio = QRadioButton(self.tr("&Clinician (full detail)"))
        self.client_radio = QRadioButton(self.tr("Client-&facing (plain language)"))
        self.clinician_radio.setChecked(True)
        self.audience_group = QButtonGroup(self)
        self.audience_group.addButton(self.clinician_radio)
        self.audience_group.addButton(self.client_radio)
        self.client_radio.toggled.connect(self._audience_changed)
        audience = QHBoxLayout()
        audience.addWidget(self.clinician_radio)
        audience.addWidget(self.client_radio)
        audience.addStretch(1)
        self.notes_check = QCheckBox(self.tr("Include signed-note s&ummaries"))
        self.notes_check.setToolTip(
            self.tr("Clinician version only; off unless you choose it. Hashes print in an appendix.")
        )
        self.full_notes_check = QCheckBox(self.tr("Full note te&xt (instead of a short excerpt of each)"))
        self.full_notes_check.setEnabled(False)
        self.notes_check.toggled.connect(self._notes_changed)
        self.page_combo = _page_combo()
        self.password_edit = _password_edit()
        self.password_edit.setToolTip(self.tr("The PDF opens only with this password"))
        self.problem = QLabel()
        self.problem.setObjectName("errorLabel")
        self.problem.setWordWrap(True)
        self.problem.hide()

        form = QFormLayout()
        form.setVerticalSpacing(10)
        period_label = QLabel(self.tr("Per&iod:"))
        period_label.setBuddy(self.period.from_start)
        form.addRow(period_label, self.period)
        focus_label = QLabel(self.tr("F&ocuses:"))
        focus_label.setBuddy(self.focus_list)
        form.addRow(focus_label, self.focus_list)
        form.addRow(self.tr("For:"), audience)
        form.addRow("", self.notes_check)
        form.addRow("", self.full_notes_check)
        for text, widget in (
            (self.tr("Pa&ge size:"), self.page_combo),
            (self.tr("PDF pass&word:"), self.password_edit),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)

        self.output = ReportActions(ctx.paths, runner, self.job)
        card = QFrame()
        card.setObjectName("card")
        c = QVBoxLayout(card)
        c.setContentsMargins(18, 14, 18, 14)
        c.setSpacing(10)
        c.addWidget(title)
        c.addWidget(intro)
        c.addLayout(form)
        c.addWidget(self.problem)
        c.addWidget(self.output)
        card.setMaximumWidth(920)
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(card)
        layout.addStretch(1)
        self.refresh()

    # -- choices ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the client's focuses and chart number again."""
        practice = self.ctx.practice
        if practice is None:
            return
        from stagewise.core.clients import records as clients

        with practice.session_factory() as s:
            info = clients.get_client(s, self.client_id, actor=None, record_view=False)
        self.set_client(info)

    def set_client(self, client: Any) -> None:
        if client is None:
            return
        self.chart_number = client.chart_number
        chosen = {k for k in self.focus_keys() or ()} if self.focus_list.count() else None
        self.focus_list.blockSignals(True)
        self.focus_list.clear()
        for f in client.focuses:
            text = f.label if f.active else self.tr("%1 (ended)").replace("%1", f.label)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, f.key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = f.key in chosen if chosen is not None else f.active
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.focus_list.addItem(item)
        self.focus_list.blockSignals(False)
        self._validate()

    def focus_keys(self) -> list[str]:
        keys = []
        for i in range(self.focus_list.count()):
            item = self.focus_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                keys.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return keys

    @property
    def audience(self) -> Audience:
        return Audience.CLIENT if self.client_radio.isChecked() else Audience.CLINICIAN

    def _audience_changed(self) -> None:
        client = self.audience is Audience.CLIENT
        self.notes_check.setEnabled(not client)
        if client:
            self.notes_check.setChecked(False)

    def _notes_changed(self, on: bool) -> None:
        self.full_notes_check.setEnabled(on)
        if not on:
            self.full_notes_check.setChecked(False)

    def _problem(self) -> str:
        problem = self.period.problem()
        if not problem and self.focus_list.count() and not self.focus_keys():
            problem = self.tr("Choose at least one focus.")
        return problem

    def _validate(self) -> None:
        problem = self._problem()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.output.set_enabled(not problem)

    def job(self) -> Job | None:
        """What to render, from the choices now on screen (None when they are not valid)."""
        practice, actor = self.ctx.practice, self.ctx.actor
        if practice is None or actor is None or self._problem():
            return None
        from stagewise.core.reports.client_summary import write_client_summary

        client_id = self.client_id
        audience = self.audience
        start, end = self.period.start, self.period.end
        keys = self.focus_keys() if self.focus_list.count() else None
        notes = self.notes_check.isChecked() and audience is Audience.CLINICIAN
        note_text = NoteText.FULL if notes and self.full_notes_check.isChecked() else NoteText.EXCERPT
        page = PageSizeName(self.page_combo.currentData())
        password = self.password_edit.text() or None

        def write(out: Any, action: Output | None) -> Any:
            with practice.session_factory.begin() as s:
                return write_client_summary(
                    s,
                    client_id,
                    out,
                    actor=actor,
                    audience=audience,
                    start=start,
                    end=end,
                    focus_keys=keys,
                    include_notes=notes,
                    note_text=note_text,
                    page_size=page,
                    password=password,
                    action=action,
                )

        kind = "summary" if audience is Audience.CLINICIAN else "your-progress"
        return Job(
            write, f"{kind}-{self.chart_number}-{end.isoformat()}.pdf", password, recorder(practice, actor)
        )

    def cancel(self) -> None:
        """The app locks: drop work in progress and forget the password typed."""
        self.output.cancel()
        self.password_edit.clear()


class _ToolWindow(QWidget):
    """A small practice-wide window with a ``closed`` signal (the main window closes it on lock)."""

    closed = Signal()

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)

    def closeEvent(self, event: QCloseEvent) -> None:
        output = getattr(self, "output", None)
        if isinstance(output, ReportActions):
            output.cancel()
        self.closed.emit()
        super().closeEvent(event)


class PracticeReportWindow(_ToolWindow):
    """The practice report for a period; de-identified for funders if chosen."""

    def __init__(
        self,
        ctx: AppContext,
        runner: OpRunner,
        *,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Practice report"), parent)
        self.setObjectName("practiceReportWindow")
        self.ctx = ctx
        self.period = PeriodPicker(today or dt.date.today())
        self.period.from_start.setChecked(False)
        self.deidentified = QCheckBox(
            self.tr("&De-identified (for funders: no names, chart numbers replaced)")
        )
        self.page_combo = _page_combo()
        self.password_edit = _password_edit()
        self.problem = QLabel()
        self.problem.setObjectName("errorLabel")
        self.problem.hide()
        self.period.changed.connect(self._validate)
        self.output = ReportActions(ctx.paths, runner, self.job)
        form = QFormLayout()
        form.addRow(self.tr("Period:"), self.period)
        form.addRow("", self.deidentified)
        form.addRow(self.tr("Page size:"), self.page_combo)
        form.addRow(self.tr("PDF password:"), self.password_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.output)
        layout.addStretch(1)
        self.resize(680, 300)

    def _validate(self) -> None:
        problem = self.period.problem()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.output.set_enabled(not problem)

    def job(self) -> Job | None:
        practice, actor = self.ctx.practice, self.ctx.actor
        if practice is None or actor is None or self.period.problem():
            return None
        from stagewise.core.reports.practice_report import write_practice_report

        start, end = self.period.start, self.period.end
        deidentified = self.deidentified.isChecked()
        page = PageSizeName(self.page_combo.currentData())
        password = self.password_edit.text() or None

        def write(out: Any, action: Output | None) -> Any:
            with practice.session_factory.begin() as s:
                return write_practice_report(
                    s,
                    out,
                    actor=actor,
                    start=start,
                    end=end,
                    deidentified=deidentified,
                    page_size=page,
                    password=password,
                    action=action,
                )

        suffix = "-deidentified" if deidentified else ""
        return Job(
            write, f"practice-report{suffix}-{end.isoformat()}.pdf", password, recorder(practice, actor)
        )


class BlankFormWindow(_ToolWindow):
    """Print a blank questionnaire (for a client who prefers paper)."""

    def __init__(self, ctx: AppContext, runner: OpRunner, *, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Print a blank form"), parent)
        self.setObjectName("blankFormWindow")
        self.ctx = ctx
        from stagewise.core.instruments import load_library, practice_forms_dir

        self.library = load_library((practice_forms_dir(ctx.paths),))
        self.form_combo = QComboBox()
        self.form_combo.setObjectName("blankFormCombo")
        for f in self.library.forms:
            self.form_combo.addItem(f"{f.short_title} — {f.title}", f.id)
        self.page_combo = _page_combo()
        self.output = ReportActions(ctx.paths, runner, self.job)
        form = QFormLayout()
        label = QLabel(self.tr("&Questionnaire:"))
        label.setBuddy(self.form_combo)
        form.addRow(label, self.form_combo)
        form.addRow(self.tr("Page size:"), self.page_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addLayout(form)
        layout.addWidget(self.output)
        layout.addStretch(1)
        self.resize(640, 220)

    def job(self) -> Job | None:
        practice, actor = self.ctx.practice, self.ctx.actor
        form_id = self.form_combo.currentData()
        if practice is None or actor is None or form_id is None:
            return None
        from stagewise.core.reports.blank_form import write_blank_form

        form = self.library.get(str(form_id))
        page = PageSizeName(self.page_combo.currentData())
        practice_name = self.ctx.practice_name

        def write(out: Any, action: Output | None) -> Any:
            with practice.session_factory.begin() as s:
                return write_blank_form(
                    s, form, out, actor=actor, practice_name=practice_name, page_size=page, action=action
                )

        return Job(write, f"{form.id}-blank.pdf", record=recorder(practice, actor))
