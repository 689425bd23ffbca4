"""The app's first screen, read before the ORM is loaded.

Importing SQLAlchemy and the models costs about as much as starting Qt itself, so the app does not wait
for it: while Qt starts on the main thread, a worker unlocks the practice key
(:mod:`stagewise.core.storage.unlock`),
opens a plain keyed connection (:mod:`stagewise.core.storage.rawdb`) and reads what the main window shows
first —
the practice's name and the first page of the client list, through the same
:func:`stagewise.core.clients.listing.list_clients` every later page uses.  The full practice
(:func:`stagewise.core.storage.store.open_practice`) opens right after the window shows.

Only a file that is exactly this version's schema is read this way.  Anything else (a migration to apply,
a newer file, a file that is not a practice, a key file from another practice) comes back with
``readable`` false and only the key: the caller opens the practice the full way, which explains, refuses
or migrates with its usual messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stagewise.core.clients.listing import ClientRow, count_clients, list_clients
from stagewise.core.settings import json_value, load_settings
from stagewise.core.storage import keys, rawdb, unlock
from stagewise.migrations import REVISIONS, stored_revisions

log = logging.getLogger(__name__)

PAGE_SIZE = 200


@dataclass(slots=True)
class FirstScreen:
    """The unlocked key and, when ``readable``, what the main window shows first and the open plain
    connection that read it.

    Close it (:meth:`close`) once the full practice is open; the connection is only ever read.
    """

    path: Path
    practice_id: str
    key_source: str  # "keyring", "passphrase" or "recovery"
    key: bytes = field(repr=False)
    keyring_error: str | None = None
    practice_name: str = ""
    active_clients: int = 0
    first_page: list[ClientRow] = field(default_factory=list)
    connection: Any = field(default=None, repr=False)

    @property
    def readable(self) -> bool:
        """Whether the first screen was read (else open the practice the full way with :attr:`key`)."""
        return self.connection is not None

    def close(self) -> None:
        """Close the plain connection (the key leaves SQLCipher's memory with it)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _current_schema(conn: Any) -> bool:
    """Whether the file's schema is this version's newest (``alembic_version`` at ``REVISIONS[-1]``)."""
    return stored_revisions(conn) == [REVISIONS[-1]]


def read_first_screen(
    conn: Any, *, expected_practice_id: str, page_size: int = PAGE_SIZE
) -> dict[str, Any] | None:
    """Read the first screen through an open keyed connection; None if it must be opened the full way."""
    if not _current_schema(conn):
        return None
    row = conn.execute("SELECT value FROM setting WHERE key = 'practice_id'").fetchone()
    if row is None or json_value(row[0]) != expected_practice_id:
        return None
    return {
        "practice_name": load_settings(conn).practice_name,
        "active_clients": count_clients(conn),
        "first_page": list_clients(conn, limit=page_size),
    }


def open_first_screen(
    path: Path,
    *,
    passphrase: str | None = None,
    unlocked: unlock.Unlocked | None = None,
    page_size: int = PAGE_SIZE,
) -> FirstScreen:
    """Unlock ``path`` and read its first screen without SQLAlchemy.

    Args:
        path: the practice file.
        passphrase: the practice passphrase; None to take the key from this computer's keyring.
        unlocked: the key, already unlocked (``passphrase`` is then not used).
        page_size: how many clients the first page holds.

    Returns:
        The key and the first screen; ``readable`` is false when the file must be opened the full way
        (see the module's docstring).

    Raises:
        WrongKeyError, NotAPracticeFileError, StorageError: as
        :func:`stagewise.core.storage.unlock.unlock_key`.
    """
    path = Path(path)
    if unlocked is None:
        unlocked = unlock.unlock_key(path, passphrase=passphrase, use_keyring=passphrase is None)
    practice_id = keys.KeyFile.read(keys.keyfile_path(path)).practice_id
    screen = FirstScreen(path, practice_id, unlocked.source, unlocked.key, unlocked.keyring_error)
    try:
        conn = rawdb.connect(path, unlocked.key, pragmas=True)
    except rawdb.Error as exc:
        log.info("first screen: plain open failed (%s); opening the full way", type(exc).__name__)
        return screen
    try:
        read = read_first_screen(conn, expected_practice_id=practice_id, page_size=page_size)
    except rawdb.Error as exc:
        log.info("first screen: plain read failed (%s); opening the full way", type(exc).__name__)
        read = None
    if read is None:
        conn.close()
        return screen
    screen.practice_name = read["practice_name"]
    screen.active_clients = read["active_clients"]
    screen.first_page = read["first_page"]
    screen.connection = conn
    return screen
