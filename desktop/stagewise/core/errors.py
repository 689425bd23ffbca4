"""One exception family for the whole core.

The CLI prints ``str(error)`` as a single line and exits 2; the UI shows it in a dialog.  Messages are
written for people: what happened and what to do.  They never contain client names or note text.
"""

from __future__ import annotations

from pathlib import Path


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
    """The disk is full or read-only."""


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
