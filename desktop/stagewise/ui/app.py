"""``stagewise-gui``: build paths, logging and crash handling, then start locked.

Nothing happens at import time: ``main()`` builds everything and passes it down.  Privacy: the log names
ids and event kinds, never client names or anything typed; the crash dialog shows the traceback locally
and sends nothing.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import logging.handlers
import re
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from stagewise.core.paths import AppPaths

log = logging.getLogger("stagewise.ui.app")

LOG_NAME = "stagewise.log"

# Milliseconds since the interpreter started, per start-up phase (logged once the window shows).
_STARTED = time.perf_counter()
_PHASES: list[tuple[str, float]] = []


def phase(name: str) -> None:
    """Note that a start-up phase ended (thread-safe enough: list.append is atomic)."""
    _PHASES.append((name, (time.perf_counter() - _STARTED) * 1000))


def log_phases() -> None:
    log.info("start-up phases (ms since import): %s", ", ".join(f"{n} {t:.0f}" for n, t in _PHASES))


CRASH_NAME = "crash.log"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stagewise-gui", description="Stagewise desktop app")
    parser.add_argument(
        "practice", nargs="?", type=Path, help="the practice file to open (default: the usual one)"
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="base folder for data, config and logs (or $STAGEWISE_HOME)"
    )
    parser.add_argument(
        "--smoke-test",
        metavar="PATH",
        type=Path,
        help="open PATH, show the main window with its clients, print a line and exit (technical check)",
    )
    parser.add_argument(
        "--passphrase-stdin", action="store_true", help="read the practice passphrase from standard input"
    )
    parser.add_argument("--no-dialogs", action="store_true", help="log messages instead of showing dialogs")
    return parser


_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]( \(Background on this error.*?\))?", re.DOTALL)


def redact(text: str) -> str:
    """Drop the bound values SQLAlchemy puts in its error messages: they can be names or note text."""
    return _SQL_PARAMETERS.sub("[parameters: (hidden)]", text)


class RedactingFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(paths: AppPaths, *, stderr_level: int = logging.WARNING) -> Path:
    """A rotating log file in the log folder (ids only, never client data); warnings also to stderr."""
    paths.logs.mkdir(parents=True, exist_ok=True)
    log_path = paths.logs / LOG_NAME
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    file_handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(stderr_level)
    console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    return log_path


def enable_faulthandler(paths: AppPaths) -> tuple[TextIO, str]:
    """Hard crashes (segfaults) write their stack to ``crash.log``; a previous one is kept and returned."""
    crash_path = paths.logs / CRASH_NAME
    previous = ""
    try:
        if crash_path.exists() and crash_path.stat().st_size:
            previous = crash_path.read_text(encoding="utf-8", errors="replace")
            crash_path.replace(paths.logs / "crash-previous.log")
    except OSError:
        previous = ""
    fh = open(crash_path, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    faulthandler.enable(fh)
    return fh, previous


class ExceptHook:
    """``sys.excepthook``: log the traceback, then show it locally in a ``CrashDialog``."""

    def __init__(self, log_path: Path | None, *, no_dialogs: bool, smoke_test: bool = False) -> None:
        self.log_path = log_path
        self.no_dialogs = no_dialogs
        self.smoke_test = smoke_test
        self.dialogs: list[Any] = []
        self.count = 0

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        self.count += 1
        log.critical("unexpected error", exc_info=(exc_type, exc, tb))
        details = redact("".join(traceback.format_exception(exc_type, exc, tb)))
        if self.smoke_test:
            from PySide6.QtWidgets import QApplication

            print("smoke-test: failed with an unexpected error (see the log)", file=sys.stderr)
            app = QApplication.instance()
            if app is not None:
                app.exit(1)
            return
        if self.no_dialogs:
            return
        from stagewise.ui.crash_dialog import CrashDialog

        dialog = CrashDialog(details, self.log_path)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        dialog.show()


def _read_stdin_line(what: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise SystemExit(f"stagewise-gui: expected the {what} on standard input")
    return line.rstrip("\r\n")


class FirstScreenLoader:
    """Reads the practice's first screen (``core.first_screen``) on a plain thread while Qt starts."""

    def __init__(self, path: Path, passphrase: str | None) -> None:
        self.path = path
        self.passphrase = passphrase
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="first-screen", daemon=True)

    def start(self) -> FirstScreenLoader:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            # The key first: Argon2 releases the GIL, so it runs beside Qt's start; the modules that read
            # the first screen are imported afterwards (imports hold the GIL and would delay both).
            from stagewise.core.storage import unlock

            passphrase = self.passphrase
            unlocked = unlock.unlock_key(self.path, passphrase=passphrase, use_keyring=passphrase is None)
            phase("key unlocked")
            from stagewise.core.clients.first_screen import open_first_screen

            self._result = open_first_screen(self.path, unlocked=unlocked)
            phase("first screen read")
        except BaseException as exc:
            self._error = exc

    def result(self) -> Any:
        """The ``FirstScreen`` (None: open the full way); re-raises what the thread raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def run_smoke_test(app: Any, path: Path, loader: FirstScreenLoader, paths: AppPaths) -> int:
    """Show the main window with the practice's clients, report, then open the full practice; exit 0.

    The first line (``smoke-test: main window shows N clients``) is printed as soon as the window shows
    the first page (read before the ORM loads; the benchmark times it); the full practice then opens
    (SQLAlchemy, migrations, the models) and takes over the list, and a second line says so.  Exit 2
    with a message if the practice cannot be opened, 1 if the window did not come up.
    """
    from PySide6.QtCore import QTimer

    from stagewise.core.errors import StagewiseError
    from stagewise.ui.context import AppContext
    from stagewise.ui.main_window import MainWindow

    phase("window imports")
    ctx = AppContext(paths=paths, practice_path=path, no_dialogs=True)
    window = MainWindow(ctx, integrity_check=False)
    window.resize(1366, 768)
    phase("window built")
    try:
        first = loader.result()
        phase("first screen joined")
        if not first.readable:  # another schema version, or not readable the plain way: open it fully
            practice = _full_open(path, first.key)
    except StagewiseError as exc:
        print(f"stagewise-gui: {exc}", file=sys.stderr)
        return 2
    if first.readable:
        window.open_first_screen(first)
        total = first.active_clients
    else:
        name, total = _name_and_total(practice)
        window.open_technical(practice, name)
    window.show()
    phase("window shown")
    result: dict[str, int] = {}

    def finish(code: int) -> None:
        result["code"] = code
        window.close()
        app.exit(code)

    def full_open() -> None:
        try:
            practice = _full_open(path, first.key)
        except StagewiseError as exc:
            print(f"stagewise-gui: {exc}", file=sys.stderr)
            finish(2)
            return
        name, _total = _name_and_total(practice)
        window.open_technical(practice, name)
        first.close()
        shown = window.client_list.model.rowCount()
        print(f"smoke-test: full practice open, the list shows {shown} clients", flush=True)
        finish(0 if window.isVisible() else 1)

    def report() -> None:
        phase("first paint")
        log_phases()
        shown = window.client_list.model.rowCount()
        line = f"smoke-test: main window shows {shown} clients ({total} active in the practice)"
        print(line, flush=True)
        log.info("smoke-test: main window shows %d clients", shown)
        if not (window.isVisible() and window.windowTitle()):
            finish(1)
        elif first.readable:
            QTimer.singleShot(0, full_open)
        else:
            finish(0)

    QTimer.singleShot(0, report)
    code = app.exec()
    if window.ctx.practice is not None:
        window.ctx.practice.close()
    first.close()
    return int(result.get("code", code))


def _full_open(path: Path, key: bytes) -> Any:
    from stagewise.core.storage import store

    return store.open_practice(path, key)


def _name_and_total(practice: Any) -> tuple[str, int]:
    from stagewise.core import settings
    from stagewise.core.clients import records as clients

    with practice.session_factory() as s:
        return settings.load_settings(s).practice_name, clients.count_clients(s)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop app; returns the exit status."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    smoke = args.smoke_test is not None
    # Read the passphrase first: the smoke test unlocks and reads its first screen while Qt starts.
    passphrase = _read_stdin_line("practice passphrase") if args.passphrase_stdin else None
    loader = None
    if smoke:
        # Import the key code here, not in the thread: Qt's import holds the GIL for long stretches, and
        # the thread's first job (Argon2, which releases the GIL) should start at once.
        from stagewise.core.storage import unlock  # noqa: F401

        loader = FirstScreenLoader(args.smoke_test, passphrase).start()
    phase("arguments")
    paths = AppPaths.resolve(args.data_dir).ensure()
    log_path = setup_logging(paths)
    crash_file, previous_crash = enable_faulthandler(paths)
    hook = ExceptHook(log_path, no_dialogs=args.no_dialogs or smoke, smoke_test=smoke)
    sys.excepthook = hook
    log.info("starting (smoke test: %s)", smoke)

    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
    from PySide6.QtWidgets import QApplication

    from stagewise import __version__
    from stagewise.ui import style

    phase("Qt imported")

    QCoreApplication.setApplicationName("Stagewise")
    QCoreApplication.setOrganizationName("Stagewise")
    QCoreApplication.setApplicationVersion(__version__)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationDisplayName("Stagewise")
    app.setDesktopFileName("stagewise")
    style.apply(app)
    translator = QTranslator(app)  # kept alive by its parent (a collected translator stops translating)
    qm = style.resource("translations")
    if translator.load(QLocale(), "stagewise", "_", str(qm)):
        app.installTranslator(translator)
    phase("application styled")

    try:
        if loader is not None:
            return run_smoke_test(app, args.smoke_test, loader, paths)
        return run_app(app, args, paths, passphrase, previous_crash, hook)
    finally:
        logging.getLogger().info("exiting")
        faulthandler.disable()
        crash_file.close()
        (paths.logs / CRASH_NAME).unlink(missing_ok=True)


def run_app(
    app: Any,
    args: argparse.Namespace,
    paths: AppPaths,
    passphrase: str | None,
    previous_crash: str,
    hook: ExceptHook,
) -> int:
    from stagewise.core.errors import StagewiseError
    from stagewise.core.storage import keys, unlock
    from stagewise.ui.clients.chart_tabs import install_default_tabs
    from stagewise.ui.context import AppContext
    from stagewise.ui.main_window import MainWindow

    practice_path = Path(args.practice).expanduser() if args.practice else paths.default_practice
    ctx = AppContext(paths=paths, practice_path=practice_path, no_dialogs=args.no_dialogs)
    window = MainWindow(ctx)
    install_default_tabs(window)
    window.resize(1280, 800)
    keep: list[Any] = [window]

    if previous_crash and not args.no_dialogs:
        log.warning("the previous session ended in a crash")
        hook_details = "The previous session ended unexpectedly. Its last moments:\n\n" + previous_crash
        from stagewise.ui.crash_dialog import CrashDialog

        crash = CrashDialog(hook_details, paths.logs / "crash-previous.log")
        keep.append(crash)
        crash.show()

    if passphrase is not None and practice_path.exists():
        try:
            ctx.key = unlock.unlock_key(practice_path, passphrase=passphrase, use_keyring=False).key
        except StagewiseError as exc:
            print(f"stagewise-gui: {exc}", file=sys.stderr)
            return 2

    if practice_path.exists() or keys.keyfile_path(practice_path).exists():
        from PySide6.QtCore import QTimer

        window.show()
        window.start()
        phase("window shown")

        def painted() -> None:
            phase("first paint")
            log_phases()

        QTimer.singleShot(0, painted)
    else:
        from stagewise.ui.practice.wizard import FirstRunWizard

        wizard = FirstRunWizard(practice_path, demo_path=paths.demo_practice)
        keep.append(wizard)
        app.setQuitOnLastWindowClosed(False)  # between the wizard closing and the main window showing

        def created(made: Any) -> None:
            window.show()
            window.adopt_new_practice(made)
            app.setQuitOnLastWindowClosed(True)

        def finished(result: int) -> None:
            if wizard.created is None:
                app.quit()

        wizard.completed.connect(created)
        wizard.finished.connect(finished)
        wizard.show()
    code = int(app.exec())
    window.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
