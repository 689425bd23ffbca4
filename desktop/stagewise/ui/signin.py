"""The locked screen: practice passphrase (or recovery key) when the key is not at hand, then sign-in.

The screen only collects what is typed and reports it through signals; ``MainWindow`` runs the core
calls off the UI thread and calls back ``show_error`` / ``set_busy``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


class _Card(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFixedWidth(440)


class SignInScreen(QWidget):
    """Two steps: ``key_page`` (passphrase / recovery key) and ``user_page`` (user name + password)."""

    unlock_requested = Signal(str, str)  # (kind: "passphrase" | "recovery", secret)
    sign_in_requested = Signal(str, str)  # (username, password)
    quit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInScreen")
        self._recovery_mode = False

        self.title = QLabel(self.tr("Stagewise"))
        self.title.setObjectName("brandTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("muted")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.subtitle.setWordWrap(True)

        self.pages = QStackedWidget()
        self.key_page = self._build_key_page()
        self.user_page = self._build_user_page()
        self.pages.addWidget(self.key_page)
        self.pages.addWidget(self.user_page)
        self.pages.currentChanged.connect(self._fit_page)

        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Problem"))
        self.error_label.hide()
        self.busy_label = QLabel(self.tr("Opening…"))
        self.busy_label.setObjectName("muted")
        self.busy_label.hide()

        card = _Card()
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(12)
        inner.addWidget(self.title)
        inner.addWidget(self.subtitle)
        inner.addSpacing(8)
        inner.addWidget(self.pages)
        inner.addWidget(self.error_label)
        inner.addWidget(self.busy_label)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.show_user_step()

    # -- pages ------------------------------------------------------------------------------------

    def _build_key_page(self) -> QWidget:
        page = QWidget()
        self.key_intro = QLabel()
        self.key_intro.setWordWrap(True)
        self.secret_label = QLabel()
        self.secret_edit = QLineEdit()
        self.secret_edit.setObjectName("secretEdit")
        self.secret_label.setBuddy(self.secret_edit)
        self.secret_edit.returnPressed.connect(self._submit_key)
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.setObjectName("primary")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit_key)
        self.recovery_link = QLabel()
        self.recovery_link.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.recovery_link.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.recovery_link.linkActivated.connect(lambda _l: self.toggle_recovery())

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.key_intro)
        layout.addWidget(self.secret_label)
        layout.addWidget(self.secret_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.recovery_link)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        layout.addLayout(buttons)
        self._apply_recovery_mode()
        return page

    def _build_user_page(self) -> QWidget:
        page = QWidget()
        self.username_edit = QLineEdit()
        self.username_edit.setObjectName("usernameEdit")
        self.username_edit.setAccessibleName(self.tr("User name"))
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Password"))
        self.username_edit.returnPressed.connect(self._username_enter)
        self.password_edit.returnPressed.connect(self._submit_user)
        self.sign_in_button = QPushButton(self.tr("&Sign in"))
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.clicked.connect(self._submit_user)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        user_label = QLabel(self.tr("&User name"))
        user_label.setBuddy(self.username_edit)
        pw_label = QLabel(self.tr("Pass&word"))
        pw_label.setBuddy(self.password_edit)
        form.addRow(user_label, self.username_edit)
        form.addRow(pw_label, self.password_edit)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.sign_in_button)
        layout.addLayout(row)
        return page

    def _fit_page(self) -> None:
        # A stacked widget is as tall as its tallest page; size it to the page that shows.
        for page in (self.key_page, self.user_page):
            policy = (
                QSizePolicy.Policy.Preferred
                if page is self.pages.currentWidget()
                else QSizePolicy.Policy.Ignored
            )
            page.setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.pages.adjustSize()

    # -- state ------------------------------------------------------------------------------------

    def set_practice(self, name: str, detail: str = "") -> None:
        self.subtitle.setText(name if not detail else f"{name}\n{detail}" if name else detail)

    @property
    def on_key_step(self) -> bool:
        return self.pages.currentWidget() is self.key_page

    @property
    def recovery_mode(self) -> bool:
        return self._recovery_mode

    def show_key_step(self, message: str = "") -> None:
        self.secret_edit.clear()
        self.pages.setCurrentWidget(self.key_page)
        self.show_error(message)
        self.secret_edit.setFocus()

    def show_user_step(self, username: str = "", message: str = "") -> None:
        self.password_edit.clear()
        if username:
            self.username_edit.setText(username)
        self.pages.setCurrentWidget(self.user_page)
        self.show_error(message)
        (self.password_edit if self.username_edit.text() else self.username_edit).setFocus()

    def toggle_recovery(self) -> None:
        self._recovery_mode = not self._recovery_mode
        self._apply_recovery_mode()
        self.show_error("")
        self.secret_edit.setFocus()

    def _apply_recovery_mode(self) -> None:
        self.secret_edit.clear()
        if self._recovery_mode:
            self.key_intro.setText(
                self.tr("Type the recovery key that was printed when the practice was set up.")
            )
            self.secret_label.setText(self.tr("&Recovery key"))
            self.secret_edit.setEchoMode(QLineEdit.EchoMode.Normal)
            self.secret_edit.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
            self.recovery_link.setText(f'<a href="passphrase">{self.tr("Use the passphrase instead")}</a>')
        else:
            self.key_intro.setText(
                self.tr(
                    "This computer does not hold the practice key. "
                    "Enter the practice passphrase to open the practice file."
                )
            )
            self.secret_label.setText(self.tr("Practice &passphrase"))
            self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.secret_edit.setPlaceholderText("")
            self.recovery_link.setText(f'<a href="recovery">{self.tr("Use the recovery key instead")}</a>')
        self.secret_edit.setAccessibleName(self.secret_label.text().replace("&", ""))
        self.secret_label.setBuddy(self.secret_edit)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy_label.setText(text or self.tr("Opening…"))
        self.busy_label.setVisible(busy)
        for w in (
            self.secret_edit,
            self.unlock_button,
            self.username_edit,
            self.password_edit,
            self.sign_in_button,
        ):
            w.setEnabled(not busy)
        if not busy:
            if self.on_key_step:
                self.secret_edit.setFocus()
            elif self.username_edit.text():
                self.password_edit.setFocus()
            else:
                self.username_edit.setFocus()

    def clear_secrets(self) -> None:
        self.secret_edit.clear()
        self.password_edit.clear()

    # -- submit -----------------------------------------------------------------------------------

    def _submit_key(self) -> None:
        secret = self.secret_edit.text()
        if not secret:
            self.show_error(
                self.tr("Type the recovery key.")
                if self._recovery_mode
                else self.tr("Type the practice passphrase.")
            )
            return
        self.show_error("")
        self.unlock_requested.emit("recovery" if self._recovery_mode else "passphrase", secret)

    def _username_enter(self) -> None:
        if self.username_edit.text().strip():
            self.password_edit.setFocus()

    def _submit_user(self) -> None:
        username = self.username_edit.text().strip()
        password = self.password_edit.text()
        if not username:
            self.show_error(self.tr("Type your user name."))
            self.username_edit.setFocus()
            return
        if not password:
            self.show_error(self.tr("Type your password."))
            self.password_edit.setFocus()
            return
        self.show_error("")
        self.sign_in_requested.emit(username, password)
