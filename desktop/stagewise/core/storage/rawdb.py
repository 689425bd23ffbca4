"""Plain DBAPI connections to the practice file (``sqlcipher3``), for the paths that must not wait for
SQLAlchemy: proving a key, backups, and the app's first screen; and the write-lock discipline.

Every connection to a practice, through SQLAlchemy's engine or here, gets the same pragmas
(:data:`PRAGMAS`) and is keyed with the raw 256-bit key as a hex literal, never with secret text.

**Writers wait their turn.**  A write transaction takes SQLite's write lock at its start
(:func:`begin_immediate`: ``BEGIN IMMEDIATE``), so it never has to upgrade a read lock half-way, which
fails at once with ``SQLITE_BUSY`` when another writer is active.  While another window or command holds
the lock, the attempt is retried for up to :data:`WRITE_WAIT_SECONDS`; the listeners registered with
:func:`add_wait_listener` hear when waiting starts and ends (the CLI prints a line, the app shows a
status-bar notice).  Readers never wait for writers (WAL).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import sqlcipher3

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_BUSY_TIMEOUT_MS = 10000  # the connection's usual busy timeout in ms (waits on a single statement)

# Set on every read-write connection, in autocommit (journal_mode needs no transaction around it).
PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = MEMORY",
)

Error = sqlcipher3.dbapi2.Error
DatabaseError = sqlcipher3.dbapi2.DatabaseError
OperationalError = sqlcipher3.dbapi2.OperationalError

# How long a writer waits for another window or command to finish before giving up (seconds), and how
# long each attempt lets SQLite's own busy handler wait (ms) before the listeners are told.
WRITE_WAIT_SECONDS = 120.0
_ATTEMPT_MS = 250

# ``listener(file_name, waiting)``: ``waiting`` True when a wait starts, False when it ends (either way).
WaitListener = Callable[[str, bool], None]
_listeners: list[WaitListener] = []
_listeners_lock = threading.Lock()


def key_literal(key: bytes) -> str:
    """The SQLCipher raw-key literal ``x'…'`` for a 32-byte key (hex only: no secret text reaches SQL)."""
    if len(key) != 32:
        raise ValueError("database key must be 32 bytes")
    return f"x'{key.hex()}'"


def quiet(conn: Any) -> None:
    """SQLCipher prints decryption failures to stderr; a wrong key is an expected event, not log noise."""
    with contextlib.suppress(Exception):
        conn.execute("PRAGMA cipher_log_level = NONE")


def apply_pragmas(conn: Any) -> None:
    """The practice pragmas (:data:`PRAGMAS`) on a DBAPI connection in autocommit mode."""
    cur = conn.cursor()
    for pragma in PRAGMAS:
        cur.execute(pragma)
    cur.close()


def connect(path: Path, key: bytes, *, readonly: bool = False, pragmas: bool = False) -> Any:
    """A keyed ``sqlcipher3`` connection in autocommit mode, usable from any thread.

    Nothing is read yet, so a wrong key shows only at the first statement (``DatabaseError``: "file is
    not a database").  ``readonly`` opens the file read-only (backups, checks); ``pragmas`` sets
    :data:`PRAGMAS` after keying (read-write connections that will query the practice).
    """
    if readonly:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        conn = sqlcipher3.dbapi2.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlcipher3.dbapi2.connect(str(path), isolation_level=None, check_same_thread=False)
    quiet(conn)
    conn.execute(f'PRAGMA key = "{key_literal(key)}"')
    if pragmas:
        try:
            apply_pragmas(conn)
        except BaseException:
            conn.close()
            raise
    return conn


class DBAPIConnection(Protocol):
    """A DBAPI connection to the practice (``sqlcipher3``)."""

    def cursor(self) -> Any: ...


def dbapi_connection(db: Session | DBAPIConnection) -> Any:
    """The DBAPI connection to run plain SQL on: a SQLAlchemy ``Session``'s own, or ``db`` itself when it
    already is one.

    A session is flushed first (as its own queries autoflush) and its connection is used inside its
    transaction, so the plain statements see exactly what the session's ORM queries would.
    """
    if hasattr(db, "cursor"):
        return db
    if db.autoflush:
        db.flush()
    return db.connection().connection.driver_connection


def fetch_all(db: Session | DBAPIConnection, sql: str, params: Sequence[object] = ()) -> list[Any]:
    """Every row of one parameterised statement on ``db`` (see :func:`dbapi_connection`)."""
    cursor = dbapi_connection(db).cursor()
    try:
        return cast("list[Any]", cursor.execute(sql, params).fetchall())
    finally:
        cursor.close()


# --------------------------------------------------------------------------------------------------------
# The write lock


def add_wait_listener(listener: WaitListener) -> Callable[[], None]:
    """Be told when a writer starts and stops waiting for the lock; returns the function that unsubscribes.

    Listeners are called on the waiting thread (the app forwards them to its UI thread) and must not raise.
    """
    with _listeners_lock:
        _listeners.append(listener)

    def remove() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def _tell(name: str, waiting: bool) -> None:
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        with contextlib.suppress(Exception):
            listener(name, waiting)


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (DBAPI or SQLAlchemy) is SQLite's "database is locked/busy"."""
    orig = getattr(exc, "orig", None) or exc
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(orig).lower()


def wait_for_lock(attempt: Callable[[], None], name: str) -> None:
    """Run ``attempt`` (a statement that needs the write lock) until it is not refused as busy.

    Each attempt lets SQLite wait :data:`_ATTEMPT_MS`; after the first refusal the listeners are told,
    and after :data:`WRITE_WAIT_SECONDS` :class:`~stagewise.core.errors.BusyError` is raised.
    """
    from stagewise.core.errors import BusyError

    deadline: float | None = None
    try:
        while True:
            try:
                attempt()
                return
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + WRITE_WAIT_SECONDS
                    _tell(name, True)
                elif now >= deadline:
                    raise BusyError(
                        f"{name} is busy: another Stagewise window or command kept it locked for "
                        f"{WRITE_WAIT_SECONDS:g} seconds; try again when it has finished. "
                        "Nothing was changed."
                    ) from exc
    finally:
        if deadline is not None:
            _tell(name, False)


@contextlib.contextmanager
def short_busy_timeout(conn: Any) -> Iterator[None]:
    """Let SQLite's busy handler wait one attempt's length only (see :func:`wait_for_lock`)."""
    conn.execute(f"PRAGMA busy_timeout = {_ATTEMPT_MS}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")


def begin_immediate(conn: Any, name: str) -> None:
    """Start a write transaction on DBAPI connection ``conn`` holding the write lock from the start.

    ``name`` is the practice file's name, for the listeners and the message if waiting times out.
    """
    with short_busy_timeout(conn):
        wait_for_lock(lambda: conn.execute("BEGIN IMMEDIATE"), name)
