"""The ``stagewise`` command line: headless access to the core for administrators, scripts and tests.

Never imports Qt.  Each area's sub-commands live in ``stagewise.commands.<area>`` and register
themselves through ``register(subparsers)``; their handlers import the heavy parts of the core lazily so
that ``stagewise --help`` stays fast.

Exit status: 0 on success, 2 with a one-line message on stderr for any user error, 1 for an unexpected
internal error (the traceback goes to the log, not the terminal).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from stagewise import __version__
from stagewise.core.errors import ImportValidationError, StagewiseError

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
    try:
        return func(args)
    except ImportValidationError as exc:
        print(f"stagewise: {exc}", file=sys.stderr)
        print(exc.details(), file=sys.stderr)
        return 2
    except StagewiseError as exc:
        print(f"stagewise: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stagewise: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:
        log.exception("unexpected error in command %s", args.command)
        print(
            "stagewise: internal error; nothing further was written. Run with -v for details.",
            file=sys.stderr,
        )
        return 1
