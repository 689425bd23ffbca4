"""Helpers shared by the CLI's sub-commands: secrets, opening a practice, output."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stagewise.core.errors import UserInputError


class Secrets:
    """Reads secrets: one per line from stdin with ``--passphrase-stdin``, else a no-echo prompt.

    The order on stdin is fixed by each command's help (e.g. ``init``: passphrase, then admin password).
    """

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin

    def read(self, prompt: str) -> str:
        if self.from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise UserInputError(f"expected {prompt.lower().rstrip(': ')} on standard input")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise UserInputError(
                f"{prompt.rstrip(': ')} is needed: run in a terminal or pass --passphrase-stdin"
            )
        return getpass.getpass(prompt)


def add_practice_arguments(parser: argparse.ArgumentParser, *, path_help: str = "the practice file") -> None:
    """``PATH`` plus the options that say where the key comes from."""
    parser.add_argument("path", metavar="PATH", type=Path, help=path_help)
    add_secret_arguments(parser)


def add_secret_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read secrets from standard input, one per line (passphrase first)",
    )
    parser.add_argument(
        "--recovery-key",
        action="store_true",
        help="unlock with the printed recovery key instead of the passphrase",
    )
    parser.add_argument(
        "--no-keyring", action="store_true", help="do not use the key kept in this computer's keyring"
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """``--out FILE`` (required), ``--client CHART_NO`` and ``--force``: the options of an export command."""
    parser.add_argument("--out", metavar="FILE", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--client", metavar="CHART_NO", help="only the client with this chart number")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def refuse_existing(out: Path, *, force: bool) -> None:
    """Refuse to write over ``out`` unless ``--force`` was given."""
    if out.exists() and not force:
        raise UserInputError(f"{out} already exists; choose another file name (or --force).")


def warn_unencrypted(out: Path) -> None:
    """Say on stderr that an export just written holds client records in plain text."""
    print(
        f"stagewise: warning: {out} is NOT encrypted; it holds client records in plain text. "
        "Keep it safe and delete it when done.",
        file=sys.stderr,
    )


def secrets_from(args: argparse.Namespace) -> Secrets:
    existing = getattr(args, "_secrets", None)
    if existing is None:
        existing = Secrets(bool(getattr(args, "passphrase_stdin", False)))
        args._secrets = existing
    return existing


def unlock(args: argparse.Namespace, path: Path | None = None) -> bytes:
    """The database key for ``args.path``: keyring, else passphrase (or recovery key) from stdin/prompt.

    With ``--passphrase-stdin``, ``--recovery-key`` or ``--no-keyring`` the keyring is not consulted.  When
    the keyring cannot be reached, a one-line note says so before the passphrase is asked for.
    """
    from stagewise.core.storage import store

    path = Path(path or args.path)
    secrets = secrets_from(args)
    if not (args.no_keyring or args.recovery_key or args.passphrase_stdin):
        found = store.try_keyring(path)
        if found.key is not None:
            return found.key
        if found.error:
            print(f"stagewise: note: {found.error}", file=sys.stderr)
    if args.recovery_key:
        return store.unlock_key(path, recovery_key=secrets.read("Recovery key: "), use_keyring=False).key
    return store.unlock_key(path, passphrase=secrets.read("Practice passphrase: "), use_keyring=False).key


@contextlib.contextmanager
def opened(args: argparse.Namespace, *, check_integrity: bool = False) -> Iterator[Any]:
    """Open the practice named by ``args.path`` for the duration of a command."""
    from stagewise.core.storage import store

    key = unlock(args)
    practice = store.open_practice(Path(args.path), key, check_integrity=check_integrity)
    try:
        yield practice
    finally:
        practice.close()


def cli_actor() -> str:
    """Who the audit log names for a CLI command: the operating-system account, marked as CLI."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")
