"""Plain DBAPI connections to the practice file (``sqlcipher3``), for the paths that must not wait for
SQLAlchemy: proving a key, backups, and the app's first screen.

Every connection to a practice, through SQLAlchemy's engine or here, gets the same pragmas
(:data:`PRAGMAS`) and is keyed with the raw 256-bit key as a hex literal, never with secret text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import sqlcipher3

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Set on every read-write connection, in autocommit (journal_mode needs no transaction around it).
PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = MEMORY",
)

Error = sqlcipher3.dbapi2.Error
DatabaseError = sqlcipher3.dbapi2.DatabaseError


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
