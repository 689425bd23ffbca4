"""The main window's unlocking: find the practice key in the keyring, or take the passphrase or recovery key,
off the UI thread; then show the sign-in step.  A mixin of :class:`~stagewise.ui.main_window.MainWindow`
(like :mod:`stagewise.ui.clients.client_actions`), which provides what the class body declares.

Nothing heavy is imported here: the key is found without SQLAlchemy while the window paints.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stagewise.core.errors import StagewiseError, WrongKeyError

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QMainWindow

    from stagewise.ui.context import AppContext
    from stagewise.ui.signin import SignInScreen
    from stagewise.ui.workers import OpRunner

    _Window = QMainWindow  # type-checking only: at run time the mixin derives from object
else:
    _Window = object

log = logging.getLogger("stagewise.ui.main_window")


class UnlockFlow(_Window):
    """Unlocking the practice file (a mixin; see the module docstring)."""

    # Provided by the main window.
    ctx: AppContext
    sign_in: SignInScreen
    ops: OpRunner
    _last_username: str
    _prewarmed: bool

    if TYPE_CHECKING:
        key_ready: SignalInstance

        def _show_locked(self) -> None: ...

        def _set_busy(self, busy: bool, text: str = "") -> None: ...

    def start(self) -> None:
        """Begin at the locked screen: find the practice key (keyring), or ask for the passphrase."""
        self._show_locked()
        if self.ctx.key is not None:
            self.sign_in.show_user_step(self._last_username)
            self.key_ready.emit()
            return
        path = self.ctx.practice_path

        def work() -> Any:
            from stagewise.core.storage import unlock  # no SQLAlchemy: the window is still painting

            return unlock.unlock_key(path)

        self._set_busy(True)
        self.ops.run(work, on_done=self._key_found, on_failed=self._key_not_found, name="keyring")

    def _key_found(self, unlocked: Any) -> None:
        self._set_busy(False)
        self.ctx.key = unlocked.key
        if unlocked.keyring_error:
            self.statusBar().showMessage(unlocked.keyring_error, 15000)
        log.info("practice key from %s", unlocked.source)
        self.sign_in.show_user_step(self._last_username)
        self.key_ready.emit()
        self._prewarm()

    def _prewarm(self) -> None:
        """Import what signing in and the workspace need (SQLAlchemy, the models: ≈0.3 s) while the user
        types, so signing in does not wait for it.  Once per process; nothing is opened or read."""
        if self._prewarmed:
            return
        self._prewarmed = True

        def work() -> None:
            import stagewise.core.clients.records
            import stagewise.core.storage.store
            import stagewise.core.users  # noqa: F401

        def failed(exc: BaseException) -> None:  # signing in will import them again and report it
            log.warning("loading the core in the background failed: %s", type(exc).__name__)

        self.ops.run(work, on_failed=failed, name="prewarm")

    def _key_not_found(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, WrongKeyError):
            self.sign_in.show_key_step()
        elif isinstance(exc, StagewiseError):
            self.sign_in.show_key_step(str(exc))
        else:
            raise exc

    def _unlock_requested(self, kind: str, secret: str) -> None:
        path = self.ctx.practice_path

        def work() -> Any:
            from stagewise.core.storage import store

            if kind == "recovery":
                return store.unlock_key(path, recovery_key=secret, use_keyring=False)
            return store.unlock_key(path, passphrase=secret, use_keyring=False)

        self._set_busy(True, self.tr("Checking…"))
        self.ops.run(work, on_done=self._key_found, on_failed=self._unlock_failed, name="unlock")

    def _unlock_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, StagewiseError):
            self.sign_in.secret_edit.selectAll()
            self.sign_in.show_error(str(exc))
        else:
            raise exc
