"""One exception family for the whole core, and the catalogue of messages for the environment's faults.

The CLI prints ``str(error)`` as a single line and exits 2; the UI shows it in a dialog.  Messages are
written for people: what happened and what to do.  They never contain client names or note text.

* :func:`environment_error` turns what the operating system or SQLite reports (a full or read-only disk,
  a folder where a file should be, a busy file, input nested too deeply) into a :class:`StagewiseError`
  that names the file and the fix; anything it does not recognise is left alone (a genuine bug).
* :func:`shorten` cuts echoed input to a readable length.
* :func:`pydantic_problems` formats a pydantic ``ValidationError`` as ``(field path, reason)`` pairs.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pydantic

ECHO_LIMIT = 60  # characters of user input repeated in a message


class StagewiseError(Exception):
    """Base of every error the core raises on purpose.  ``str()`` is the message for the user."""


class UserInputError(StagewiseError):
    """Something the user typed or supplied is not acceptable (a value, an argument, a file)."""


class FormError(StagewiseError):
    """An instrument, intervention library or note template file is malformed."""


class DataFileError(FormError):
    """One data file (an instrument, an intervention library) is invalid.

    Attributes:
        path: the file.
        problems: every problem found, each as ``(field path, reason)``.
    """

    def __init__(self, path: Path, problems: list[tuple[str, str]]) -> None:
        self.path = path
        self.problems = problems or [("$", "invalid")]
        where, reason = self.problems[0]
        more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
        super().__init__(f"{path.name}: {where}: {reason}{more}")

    def details(self) -> str:
        """Every problem on its own line, each prefixed with the file name."""
        return "\n".join(f"{self.path.name}: {where}: {reason}" for where, reason in self.problems)


class ScoringError(UserInputError):
    """Answers that cannot be scored: unknown item, value outside the scale, not a number."""


class StorageError(StagewiseError):
    """The practice file cannot be opened, read or written."""


class NotAPracticeFileError(StorageError):
    """The file exists but is not a Stagewise practice file (or is damaged beyond reading)."""


class WrongKeyError(StorageError):
    """The passphrase, recovery key or stored key does not open this practice."""


class NewerVersionError(StorageError):
    """The practice file was written by a newer Stagewise than this one."""


class MigrationError(StorageError):
    """A schema upgrade failed; the pre-upgrade backup has been put back."""


class DiskError(StorageError):
    """The disk is full or read-only, or a folder stands where a file should be."""


class BusyError(StorageError):
    """Another Stagewise window or command kept the practice file locked for longer than we wait."""


class TooDeepError(UserInputError):
    """An input file nests lists or objects more deeply than any Stagewise file does."""


class ProtectionMissingError(StorageError):
    """The practice file lacks a protective trigger (or has a changed one): it is not opened for writing."""


class KeyringUnavailableError(StagewiseError):
    """The operating system keyring cannot be reached."""


class WeakPassphraseError(UserInputError):
    """A passphrase or password is below the required strength."""


class AuthenticationError(StagewiseError):
    """Sign-in failed (wrong user name or password, or too many attempts)."""


class PermissionDeniedError(StagewiseError):
    """The signed-in user's role does not allow this action."""


class ClinicalRoleRequiredError(PermissionDeniedError):
    """An account without a clinical role (clinician or supervisor) asked for clinical content: a chart,
    notes, results or a report."""


class NotFoundError(UserInputError):
    """A client, focus, note or other record that was asked for does not exist."""


class ConflictError(UserInputError):
    """The change conflicts with existing data (a duplicate chart number, a signed note)."""


class ImportValidationError(UserInputError):
    """An interchange file failed validation; nothing was imported.

    Attributes:
        problems: every problem found, each as ``(json_path, reason)``.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        first = problems[0] if problems else ("$", "invalid")
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"Import file is invalid, nothing was imported: {first[0]}: {first[1]}{more}")

    def details(self) -> str:
        """Every problem on its own line."""
        return "\n".join(f"{path}: {reason}" for path, reason in self.problems)


class IntegrityError(StagewiseError):
    """A verification found damage: a broken audit or note hash chain, or a failed page check."""


class EncryptionUnavailableError(StagewiseError):
    """A password-protected PDF was asked for but AES-256 is not available; nothing weaker is used."""


# --------------------------------------------------------------------------------------------------------
# The message catalogue


def shorten(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr``-like text of ``value`` cut to ``limit`` characters (``…`` and the full length when cut)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return repr(text) if isinstance(value, str) else text
    head = text[: limit - 1]
    shown = repr(head + "…") if isinstance(value, str) else head + "…"
    return f"{shown} ({len(text)} characters)"


def pydantic_location(loc: tuple[int | str, ...]) -> str:
    """pydantic location → ``items[4].text`` (list positions counted from 1, as people count)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part in {"str", "int", "float", "bool"} or part.startswith(("constrained-", "function-")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def pydantic_problems(
    exc: pydantic.ValidationError, *, unknown: str = "unknown field (check the spelling)"
) -> list[tuple[str, str]]:
    """Every problem of ``exc`` once, as ``(field path, reason)``; input values are never echoed."""
    seen: list[tuple[str, str]] = []
    for error in exc.errors(include_input=False, include_url=False):
        kind = error["type"]
        if kind == "missing":
            reason = "this field is required"
        elif kind == "extra_forbidden":
            reason = unknown
        else:
            message = str(error["msg"])
            reason = message[0].lower() + message[1:] if message else kind
        entry = (pydantic_location(tuple(error["loc"])), reason)
        if entry not in seen:
            seen.append(entry)
    return seen


def _sqlite_text(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    if type(orig).__module__.split(".")[0] in {"sqlcipher3", "sqlite3"}:
        return str(orig).lower()
    return None


def _disk_is_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


def _read_only(path: Path) -> bool:
    """Whether ``path`` (or, if it does not exist, its folder) cannot be written: a read-only disk, an
    immutable file, or no permission."""
    target = path if path.exists() else path.parent
    try:
        if os.statvfs(target).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):  # no statvfs on Windows
        pass
    return not os.access(target, os.W_OK)


def full_disk_message(path: Path) -> str:
    """The sentence for a full disk while writing ``path``."""
    return (
        f"The disk is full: {path.name} could not be written to {path.parent}. Free some space and try again."
    )


def environment_error(exc: BaseException, path: Path | None = None) -> StagewiseError | None:
    """The user-facing error for ``exc`` if it is an environment fault, else None (a bug).

    Args:
        exc: what was raised (``OSError``, a SQLite/SQLCipher or SQLAlchemy error, ``RecursionError``).
        path: the file being worked on, for SQLite errors that do not name one.
    """
    if isinstance(exc, StagewiseError):
        return exc
    if isinstance(exc, RecursionError):
        return TooDeepError(
            "The input nests lists or objects too deeply to be a Stagewise file; nothing was changed."
        )
    if isinstance(exc, OSError):
        where = Path(exc.filename) if exc.filename else path
        shown = str(where) if where is not None else "the file"
        folder = where.parent if where is not None else None
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskError(full_disk_message(where) if where is not None else "The disk is full.")
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return DiskError(
                f"Stagewise cannot write {shown}: the disk or folder is read-only or you have no "
                "permission there. Choose another folder or fix the permissions."
            )
        if exc.errno == errno.EISDIR:
            return DiskError(f"{shown} is a folder, not a file; name a file instead.")
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            return DiskError(f"{shown}: a file stands where a folder is needed; check the path.")
        if exc.errno == errno.ENOENT:
            return DiskError(f"{shown} does not exist (or its folder does not); check the path.")
        if exc.errno == errno.EIO:
            if folder is not None and _disk_is_full(folder):
                return DiskError(full_disk_message(where) if where is not None else "The disk is full.")
            return DiskError(f"The disk reported an input/output error on {shown}; check the disk.")
        return None
    text = _sqlite_text(exc)
    if text is None:
        return None
    name = path.name if path is not None else "the practice file"
    if "database is locked" in text or "database is busy" in text:
        return BusyError(
            f"{name} is busy: another Stagewise window or command is writing to it; try again when it "
            "has finished. Nothing was changed."
        )
    # SQLite reports a full disk as "database or disk is full", but also as "disk I/O error" or
    # "unable to open database file" (no room for the WAL): look at the disk before believing either.
    if "full" in text or (path is not None and _disk_is_full(path.parent)):
        return DiskError(full_disk_message(path) if path is not None else "The disk is full.")
    if "readonly" in text or "read-only" in text or (path is not None and _read_only(path)):
        return DiskError(
            f"{name} is read-only (the file, its folder or the disk); Stagewise cannot write to it. "
            "Copy it somewhere writable or fix the permissions. Nothing was changed."
        )
    if "unable to open" in text:
        return DiskError(f"{name} cannot be opened for writing; check the file and folder permissions.")
    if "disk i/o error" in text:
        return DiskError(f"The disk reported an input/output error on {name}; check the disk.")
    if "not a database" in text or "malformed" in text:
        return NotAPracticeFileError(
            f"{name} is damaged or not a Stagewise practice file; "
            "restore the latest backup (stagewise restore)."
        )
    return None
