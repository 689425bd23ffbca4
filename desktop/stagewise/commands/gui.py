"""``stagewise gui [PATH]``: start the desktop app (Qt is imported only when the command runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("gui", help="start the desktop app")
    p.add_argument(
        "path", nargs="?", type=Path, metavar="PATH", help="the practice file (default: the usual one)"
    )
    p.add_argument(
        "--passphrase-stdin", action="store_true", help="read the practice passphrase from standard input"
    )
    p.add_argument("--no-dialogs", action="store_true", help="log messages instead of showing dialogs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stagewise.ui.app import main

    argv: list[str] = []
    if getattr(args, "data_dir", None):
        argv += ["--data-dir", str(args.data_dir)]
    if args.passphrase_stdin:
        argv.append("--passphrase-stdin")
    if args.no_dialogs:
        argv.append("--no-dialogs")
    if args.path is not None:
        argv.append(str(args.path))
    return main(argv)
