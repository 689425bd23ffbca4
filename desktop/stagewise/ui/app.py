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
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from stagewise.core.paths import AppPaths

log = logging.getLogger("stagewise.ui.app")

LOG_NAME = "stagewise.log"
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


def run_smoke_test(app: Any, path: Path, passphrase: str | None, paths: AppPaths) -> int:
    """Open ``path``, show the main window with its clients, report, exit 0 (2 with a message if not)."""
    from PySide6.QtCore import QTimer

    from stagewise.core import clients, settings, store
    from stagewise.core.errors import StagewiseError
    from stagewise.ui.context import AppContext
    from stagewise.ui.main_window import MainWindow

    try:
        if passphrase is not None:
            unlocked = store.unlock_key(path, passphrase=passphrase)
        else:
            unlocked = store.unlock_key(path)
        practice = store.open_practice(path, unlocked.key)
    except StagewiseError as exc:
        print(f"stagewise-gui: {exc}", file=sys.stderr)
        return 2
    with practice.session_factory() as s:
        name = settings.load_settings(s).practice_name
        total = clients.count_clients(s)
    ctx = AppContext(paths=paths, practice_path=path, no_dialogs=True, practice_name=name)
    window = MainWindow(ctx, integrity_check=False)
    window.resize(1366, 768)
    window.open_technical(practice, name)
    window.show()
    result: dict[str, int] = {}

    def report() -> None:
        shown = window.client_list.model.rowCount()
        line = f"smoke-test: main window shows {shown} clients ({total} active in the practice)"
        print(line, flush=True)
        log.info("smoke-test: main window shows %d clients", shown)
        result["code"] = 0 if window.isVisible() and window.windowTitle() else 1
        window.close()
        app.exit(result["code"])

    QTimer.singleShot(0, report)
    code = app.exec()
    practice.close()
    return int(result.get("code", code))


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop app; returns the exit status."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    paths = AppPaths.resolve(args.data_dir).ensure()
    log_path = setup_logging(paths)
    crash_file, previous_crash = enable_faulthandler(paths)
    smoke = args.smoke_test is not None
    hook = ExceptHook(log_path, no_dialogs=args.no_dialogs or smoke, smoke_test=smoke)
    sys.excepthook = hook
    log.info("starting (smoke test: %s)", smoke)

    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
    from PySide6.QtWidgets import QApplication

    from stagewise import __version__
    from stagewise.ui import style

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

    try:
        passphrase = _read_stdin_line("practice passphrase") if args.passphrase_stdin else None
        if smoke:
            return run_smoke_test(app, args.smoke_test, passphrase, paths)
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
    from stagewise.core import keys, store
    from stagewise.core.errors import StagewiseError
    from stagewise.ui.chart_tabs import install_default_tabs
    from stagewise.ui.context import AppContext
    from stagewise.ui.main_window import MainWindow
    from stagewise.ui.wizard import FirstRunWizard

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
            ctx.key = store.unlock_key(practice_path, passphrase=passphrase, use_keyring=False).key
        except StagewiseError as exc:
            print(f"stagewise-gui: {exc}", file=sys.stderr)
            return 2

    if practice_path.exists() or keys.keyfile_path(practice_path).exists():
        window.show()
        window.start()
    else:
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
