"""First-run wizard: the practice file, its passphrase, the first account, and the recovery key (shown once).

Non-modal: ``completed`` carries what the main window needs to show the sign-in screen; nothing secret
outlives the wizard except the database key handed over in ``completed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from stagewise.core.errors import StagewiseError
from stagewise.core.storage import keys
from stagewise.ui.practice.recovery_page import (
    RecoveryKeyPrinter as RecoveryKeyPrinter,
    RecoveryPage as RecoveryPage,
    recovery_sheet_html as recovery_sheet_html,
)
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewPractice:
    """What the wizard made: the practice file (closed again), its key and the first account's name."""

    path: Path
    key: bytes
    practice_name: str
    username: str
    keyring_saved: bool


def _feedback(label: QLabel, text: str, ok: bool | None) -> None:
    label.setText(text)
    label.setProperty("state", "" if ok is None else ("ok" if ok else "bad"))
    label.style().unpolish(label)
    label.style().polish(label)


class PracticePage(QWizardPage):
    def __init__(self, default_path: Path) -> None:
        super().__init__()
        self.setTitle(self.tr("Set up your practice"))
        self.setSubTitle(
            self.tr(
                "Stagewise keeps everything in one encrypted file on this computer. "
                "Give the practice a name and choose where the file goes."
            )
        )
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("practiceNameEdit")
        self.path_edit = QLineEdit(str(default_path))
        self.path_edit.setObjectName("practicePathEdit")
        self.browse_button = QPushButton(self.tr("&Browse…"))
        self.browse_button.clicked.connect(self._browse)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("feedback")
        self.problem_label.setWordWrap(True)

        name_label = QLabel(self.tr("Practice &name"))
        name_label.setBuddy(self.name_edit)
        path_label = QLabel(self.tr("Practice &file"))
        path_label.setBuddy(self.path_edit)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form = QFormLayout(self)
        form.setVerticalSpacing(12)
        form.addRow(name_label, self.name_edit)
        form.addRow(path_label, row)
        form.addRow("", self.problem_label)

        # Or: try the app on invented records first (a separate demo file; the real one is made later).
        self.demo_box = QFrame()
        self.demo_box.setObjectName("card")
        demo = QVBoxLayout(self.demo_box)
        demo.setContentsMargins(12, 10, 12, 10)
        demo_text = QLabel(
            self.tr(
                "Just looking? Open a separate demo practice full of invented clients, questionnaires and "
                "notes. Nothing in it is real, and your own practice can be set up later."
            )
        )
        demo_text.setWordWrap(True)
        demo_text.setObjectName("muted")
        self.demo_button = QPushButton(self.tr("Explore with &demo data"))
        self.demo_button.setObjectName("demoButton")
        self.demo_progress = QProgressBar()
        self.demo_progress.setRange(0, 0)  # the generator reports no steps
        self.demo_progress.setTextVisible(False)
        self.demo_progress.hide()
        self.demo_label = QLabel()
        self.demo_label.setObjectName("feedback")
        self.demo_label.setWordWrap(True)
        row2 = QHBoxLayout()
        row2.addWidget(self.demo_button)
        row2.addWidget(self.demo_progress, 1)
        row2.addStretch(1)
        demo.addWidget(demo_text)
        demo.addLayout(row2)
        demo.addWidget(self.demo_label)
        form.addRow(self.demo_box)
        self.demo_box.hide()
        self.name_edit.textChanged.connect(self._changed)
        self.path_edit.textChanged.connect(self._changed)
        self.setTabOrder(self.name_edit, self.path_edit)
        self.setTabOrder(self.path_edit, self.browse_button)

    def initializePage(self) -> None:
        self.name_edit.setFocus()

    def _browse(self) -> None:
        chosen = PracticeFileChooser.ask(self, self.path_edit.text())
        if chosen:
            self.path_edit.setText(chosen if chosen.endswith(".stagewise") else chosen + ".stagewise")

    def _problem(self) -> str:
        if not self.name_edit.text().strip():
            return ""
        text = self.path_edit.text().strip()
        if not text:
            return self.tr("Choose where the practice file goes.")
        path = Path(text).expanduser()
        if path.exists() or keys.keyfile_path(path).exists():
            return self.tr("A file with that name already exists there; choose another name.")
        if path.parent.exists() and not path.parent.is_dir():
            return self.tr("The folder for the practice file is not a folder.")
        return ""

    def _changed(self) -> None:
        problem = self._problem()
        _feedback(self.problem_label, problem, False if problem else None)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.name_edit.text().strip() and self.path_edit.text().strip() and not self._problem())

    @property
    def practice_name(self) -> str:
        return " ".join(self.name_edit.text().split())

    @property
    def practice_path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()


class PracticeFileChooser:
    """Where the new practice file goes (the seam tests replace)."""

    @classmethod
    def ask(cls, parent: QWidget, current: str) -> str | None:
        chosen, _ = QFileDialog.getSaveFileName(
            parent,
            parent.tr("Practice file"),
            current,
            parent.tr("Stagewise practice (*.stagewise)"),
        )
        return chosen or None


class SecretPair(QObject):
    """A secret and its confirmation, with live strength feedback from ``keys.passphrase_problem``.

    Its rows go into the page's own form layout (``add_rows``) so every label lines up.
    """

    changed = Signal()

    def __init__(self, first: str, second: str, what: str, context: Callable[[], tuple[str, ...]]) -> None:
        super().__init__()
        self._what = what
        self._context = context
        self.first_edit = QLineEdit()
        self.first_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.second_edit = QLineEdit()
        self.second_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength_label = QLabel()
        self.strength_label.setObjectName("feedback")
        self.strength_label.setWordWrap(True)
        self.match_label = QLabel()
        self.match_label.setObjectName("feedback")
        self.first_label = QLabel(first)
        self.first_label.setBuddy(self.first_edit)
        self.second_label = QLabel(second)
        self.second_label.setBuddy(self.second_edit)
        self.first_edit.setAccessibleName(first.replace("&", ""))
        self.second_edit.setAccessibleName(second.replace("&", ""))
        self.first_edit.textChanged.connect(self.refresh)
        self.second_edit.textChanged.connect(self.refresh)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow(self.first_label, self.first_edit)
        form.addRow("", self.strength_label)
        form.addRow(self.second_label, self.second_edit)
        form.addRow("", self.match_label)

    def problem(self) -> str | None:
        return keys.passphrase_problem(self.first_edit.text(), context=tuple(self._context()))

    def refresh(self) -> None:
        text = self.first_edit.text()
        if not text:
            _feedback(
                self.strength_label, self.tr("At least 12 characters; a few unrelated words work well."), None
            )
        else:
            problem = self.problem()
            if problem:
                _feedback(self.strength_label, self.tr("Too weak: %s.") % problem, False)
            else:
                _feedback(self.strength_label, self.tr("Strong enough."), True)
        again = self.second_edit.text()
        if not again:
            _feedback(self.match_label, "", None)
        elif again == text:
            _feedback(self.match_label, self.tr("Both entries match."), True)
        else:
            _feedback(self.match_label, self.tr("The two entries are different."), False)
        self.changed.emit()

    def acceptable(self) -> bool:
        text = self.first_edit.text()
        return bool(text) and self.problem() is None and self.second_edit.text() == text

    @property
    def value(self) -> str:
        return self.first_edit.text()

    def clear(self) -> None:
        self.first_edit.clear()
        self.second_edit.clear()


class PassphrasePage(QWizardPage):
    def __init__(self, practice_page: PracticePage) -> None:
        super().__init__()
        self.setTitle(self.tr("Practice passphrase"))
        self.setSubTitle(
            self.tr(
                "The passphrase unlocks the practice file. Everyone who opens this practice on a new "
                "computer needs it. Each person also gets their own password."
            )
        )
        self.pair = SecretPair(
            self.tr("&Passphrase"),
            self.tr("&Confirm passphrase"),
            "passphrase",
            lambda: (practice_page.practice_name,),
        )
        self.pair.first_edit.setObjectName("passphraseEdit")
        self.pair.second_edit.setObjectName("passphraseConfirmEdit")
        form = QFormLayout(self)
        form.setVerticalSpacing(8)
        self.pair.add_rows(form)
        self.pair.changed.connect(self.completeChanged)

    def initializePage(self) -> None:
        self.pair.refresh()
        self.pair.first_edit.setFocus()

    def isComplete(self) -> bool:
        return self.pair.acceptable()


class AccountPage(QWizardPage):
    """The first account (administrator and clinician); creating the practice happens on leaving it."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("Your account"))
        self.setSubTitle(
            self.tr(
                "This first account can manage the practice (administrator) and see clients (clinician). "
                "You will sign in with it."
            )
        )
        self.display_edit = QLineEdit()
        self.display_edit.setObjectName("displayNameEdit")
        self.username_edit = QLineEdit()
        self.username_edit.setObjectName("usernameEdit")
        self._username_touched = False
        self.username_edit.textEdited.connect(self._touched)
        self.display_edit.textChanged.connect(self._display_changed)
        self.username_label = QLabel()
        self.username_label.setObjectName("feedback")
        self.pair = SecretPair(
            self.tr("Pass&word"),
            self.tr("Con&firm password"),
            "password",
            lambda: (self.username_edit.text(), self.display_edit.text()),
        )
        self.pair.first_edit.setObjectName("accountPasswordEdit")
        self.pair.second_edit.setObjectName("accountPasswordConfirmEdit")
        self.status_label = QLabel()
        self.status_label.setObjectName("feedback")
        self.status_label.setWordWrap(True)

        display_label = QLabel(self.tr("Your na&me"))
        display_label.setBuddy(self.display_edit)
        user_label = QLabel(self.tr("&User name"))
        user_label.setBuddy(self.username_edit)
        form = QFormLayout(self)
        form.setVerticalSpacing(8)
        form.addRow(display_label, self.display_edit)
        form.addRow(user_label, self.username_edit)
        form.addRow("", self.username_label)
        self.pair.add_rows(form)
        form.addRow("", self.status_label)
        self.username_edit.textChanged.connect(self._username_changed)
        self.pair.changed.connect(self.completeChanged)

    def initializePage(self) -> None:
        self.display_edit.setFocus()

    def _touched(self) -> None:
        self._username_touched = True

    def _display_changed(self, text: str) -> None:
        if not self._username_touched:
            from stagewise.core.users import suggest_username  # SQLAlchemy loads after the first page

            self.username_edit.setText(suggest_username(text))
        self.pair.refresh()

    def _username_changed(self) -> None:
        from stagewise.core.users import username_problem

        name = self.username_edit.text()
        problem = username_problem(name) if name else None
        _feedback(
            self.username_label,
            (self.tr("Not usable: %s.") % problem) if problem else "",
            False if problem else None,
        )
        self.pair.refresh()

    def isComplete(self) -> bool:
        from stagewise.core.users import username_problem

        return (
            not self._wizard.busy
            and bool(self.display_edit.text().strip())
            and username_problem(self.username_edit.text()) is None
            and self.pair.acceptable()
        )

    def validatePage(self) -> bool:
        if self._wizard.created is not None:
            return True
        self._wizard.create_practice()
        return False


def _with_step(page: QWizardPage, number: int, count: int) -> None:
    """Show "Step n of N" in the page's header and move its explanation into the page, where it wraps
    (the header's subtitle has room for two lines only, and cut the recovery key's explanation short)."""
    intro = QLabel(page.subTitle())
    intro.setObjectName("pageIntro")
    intro.setWordWrap(True)
    layout = page.layout()
    if isinstance(layout, QFormLayout):
        layout.insertRow(0, intro)
    elif isinstance(layout, QBoxLayout):
        layout.insertWidget(0, intro)
    page.setSubTitle(
        QCoreApplication.translate("FirstRunWizard", "Step %1 of %2")
        .replace("%1", str(number))
        .replace("%2", str(count))
    )


class FirstRunWizard(QWizard):
    """Creates the practice and its first account; ``completed(NewPractice)`` when the user finishes."""

    completed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self, default_path: Path, parent: QWidget | None = None, *, demo_path: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle(self.tr("Welcome to Stagewise"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setMinimumSize(640, 520)
        self.ops = OpRunner(self)
        self.busy = False
        self.created: NewPractice | None = None
        self.recovery_key = ""
        self.demo_path = demo_path
        self.is_demo = False
        self.practice_page = PracticePage(default_path)
        if demo_path is not None:
            self.practice_page.demo_box.show()
            self.practice_page.demo_button.clicked.connect(lambda: self.open_demo())
        self.passphrase_page = PassphrasePage(self.practice_page)
        self.account_page = AccountPage(self)
        self.recovery_page = RecoveryPage()
        pages = (self.practice_page, self.passphrase_page, self.account_page, self.recovery_page)
        for number, page in enumerate(pages, start=1):
            _with_step(page, number, len(pages))
            self.addPage(page)
        self.finished.connect(self._on_finished)

    def create_practice(self) -> None:
        """Create the practice file and the first account off the UI thread, then go on to the key."""
        if self.busy:
            return
        path = self.practice_page.practice_path
        name = self.practice_page.practice_name
        passphrase = self.passphrase_page.pair.value
        username = self.account_page.username_edit.text()
        display = " ".join(self.account_page.display_edit.text().split())
        password = self.account_page.pair.value

        def work() -> tuple[NewPractice, str]:
            from stagewise.core import users
            from stagewise.core.enums import Role
            from stagewise.core.storage import store

            created = store.create_practice(path, passphrase, name=name)
            try:
                with created.practice.session_factory.begin() as s:
                    users.create_user(
                        s,
                        username=username,
                        display_name=display,
                        password=password,
                        roles=(Role.ADMIN, Role.CLINICIAN),
                        actor=None,
                    )
            except BaseException:
                created.practice.close()
                store.remove_practice_files(path)
                raise
            created.practice.close()
            made = NewPractice(path, created.practice.key, name, username, created.keyring_saved)
            return made, created.recovery_key

        self._set_busy(True)
        self.ops.run(work, on_done=self._created, on_failed=self._failed, name="create-practice")

    def open_demo(self) -> bool:
        """Make the demo practice (small) off the UI thread, or reuse the one made before; then finish."""
        path = self.demo_path
        if path is None or self.busy or self.created is not None:
            return False

        def work() -> NewPractice:
            from stagewise.core import settings, users
            from stagewise.core.demo import DEMO_PASSPHRASE, generate_demo
            from stagewise.core.storage import store

            if not path.exists():
                generate_demo(path, size="small", passphrase=DEMO_PASSPHRASE)
            key = store.unlock_key(path, passphrase=DEMO_PASSPHRASE, use_keyring=False).key
            practice = store.open_practice(path, key)
            try:
                with practice.session_factory() as s:
                    accounts = [u for u in users.list_users(s) if u.active]
                    name = settings.load_settings(s).practice_name
            finally:
                practice.close()
            admins = [u for u in accounts if u.is_admin] or accounts
            return NewPractice(path, key, name, admins[0].username if admins else "", False)

        page = self.practice_page
        self._set_busy(True)
        self.button(QWizard.WizardButton.NextButton).setEnabled(False)
        page.demo_progress.show()
        _feedback(page.demo_label, self.tr("Making the demo practice (invented records)…"), None)
        self.ops.run(work, on_done=self._demo_ready, on_failed=self._demo_failed, name="demo")
        return True

    def _demo_ready(self, made: NewPractice) -> None:
        log.info("demo practice ready")
        self._set_busy(False)
        self.practice_page.demo_progress.hide()
        self.created = made
        self.is_demo = True
        self.done(QWizard.DialogCode.Accepted)

    def _demo_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        page = self.practice_page
        page.demo_progress.hide()
        page.completeChanged.emit()  # Next as before
        if isinstance(exc, StagewiseError):
            _feedback(page.demo_label, str(exc), False)
        else:
            log.error("making the demo practice failed", exc_info=exc)
            _feedback(page.demo_label, self.tr("The demo could not be made; details are in the log."), False)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.practice_page.demo_button.setEnabled(not busy)
        self.account_page.status_label.setText(self.tr("Creating the practice file…") if busy else "")
        for b in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
            self.button(b).setEnabled(not busy)
        self.account_page.completeChanged.emit()
        self.busy_changed.emit(busy)

    def _created(self, result: tuple[NewPractice, str]) -> None:
        self.created, self.recovery_key = result
        log.info("first-run wizard created a practice")
        self._set_busy(False)
        self.next()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, StagewiseError):
            _feedback(self.account_page.status_label, str(exc), False)
        else:
            log.error("creating the practice failed", exc_info=exc)
            _feedback(
                self.account_page.status_label,
                self.tr("The practice could not be created; details are in the log."),
                False,
            )

    def _on_finished(self, result: int) -> None:
        # Whatever happens, the recovery key leaves memory with the wizard.
        self.recovery_key = ""
        self.recovery_page.key_label.clear()
        self.passphrase_page.pair.clear()
        self.account_page.pair.clear()
        if result == QWizard.DialogCode.Accepted and self.created is not None:
            self.completed.emit(self.created)

    def reject(self) -> None:
        if self.busy:
            return
        if self.created is not None:  # the practice exists: finishing is the only way on
            return
        super().reject()
