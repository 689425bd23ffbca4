"""The ``stagewise`` command line: headless access to the core for administrators, scripts and tests.

Never imports Qt.  Each area's sub-commands live in ``stagewise.commands.<area>`` and register
themselves through ``register(subparsers)``; their handlers import the heavy parts of the core lazily so
that ``stagewise --help`` stays fast.

Exit status (docs/security.md, "The error contract"): 0 on success; 2 with a one-line message on
stderr, naming the file and the fix, for any user or environment problem (read-only, missing, full,
busy, damaged, foreign or too deeply nested input: :func:`stagewise.core.errors.environment_error`);
1 only for a genuine bug, whose message asks for a report and gives the log file.  No traceback reaches
the terminal except with ``-v``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from stagewise import __version__
from stagewise.core.errors import ImportValidationError, StagewiseError, environment_error

log = logging.getLogger("stagewise.cli")

# One module per area; each defines ``register(subparsers) -> None``.
COMMAND_MODULES = (
    "setup",  # init, users
    "practice",  # verify, change-passphrase, rotate-key, backup, restore, drill, custodian
    "interchange",  # import, export
    "forms",  # forms list/check/show/fhir/print, score
    "administrations",  # administer (headless), rescore
    "stages",  # stage, interventions, metrics
    "notes",  # search
    "reports",  # report
    "demo",  # demo
    "custodian",  # custodian, custodian-open
    "gui",  # gui (launches the Qt app; imports Qt only when run)
)

Handler = Callable[[argparse.Namespace], int]

LOG_NAME = "stagewise-cli.log"
WAITING = "stagewise: waiting for another Stagewise window or command…"


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a single line instead of the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"stagewise: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every area's sub-commands."""
    parser = _Parser(prog="stagewise", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"stagewise {__version__}")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="base folder for data, config and logs (or $STAGEWISE_HOME)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"stagewise.commands.{name}").register(sub)
    return parser


def _report_bug(args: argparse.Namespace) -> Path | None:
    """Write the current exception's traceback to the log file (never to the terminal unless ``-v``).

    Returns the log file's path, or None if it could not be written.
    """
    import traceback

    from stagewise.core.paths import AppPaths

    if args.verbose:
        traceback.print_exc(file=sys.stderr)
    crash = logging.getLogger("stagewise.cli.bug")
    crash.propagate = False  # the terminal gets one line, the file the details
    try:
        folder = AppPaths.resolve(args.data_dir).logs
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    crash.addHandler(handler)
    try:
        crash.error("unexpected error in command %s", args.command, exc_info=True)
    finally:
        crash.removeHandler(handler)
        handler.close()
    return path


def _waiting(_name: str, waiting: bool) -> None:
    if waiting:
        print(WAITING, file=sys.stderr, flush=True)


def _path_of(args: argparse.Namespace) -> Path | None:
    value = getattr(args, "path", None)
    return Path(value) if value is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    func: Handler | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    from stagewise.core.storage import rawdb

    stop_listening = rawdb.add_wait_listener(_waiting)
    try:
        return _run(func, args)
    finally:
        stop_listening()


def _run(func: Handler, args: argparse.Namespace) -> int:
    try:
        return func(args)
    except ImportValidationError as exc:
        print(f"stagewise: {exc}", file=sys.stderr)
        print(exc.details(), file=sys.stderr)
        return 2
    except StagewiseError as exc:
        log.info("command %s refused: %s", args.command, type(exc).__name__, exc_info=args.verbose)
        print(f"stagewise: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stagewise: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        problem = environment_error(exc, _path_of(args))
        if problem is not None:
            log.info("command %s: %s", args.command, type(exc).__name__, exc_info=args.verbose)
            print(f"stagewise: {problem}", file=sys.stderr)
            return 2
        log_path = _report_bug(args)
        where = f" with the log file {log_path}" if log_path else ""
        print(
            f"stagewise: internal error (a bug in Stagewise); nothing further was written. Please report "
            f"it{where}. Run with -v for details.",
            file=sys.stderr,
        )
        return 1
