"""The practice file's engine: an open practice, its keyed connections and sessions, and the checks that
need only an engine (the key proof, integrity).  Lower than :mod:`.store` (create, open, re-key),
:mod:`.snapshot` (backup copies), :mod:`.migrate` and :mod:`.verify`, which all build on it.

Sessions: this module makes the session factories; it opens no session itself.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import URL, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from stagewise.core.errors import (
    BusyError,
    DiskError,
    StorageError,
    TooDeepError,
    WrongKeyError,
    environment_error,
)
from stagewise.core.storage import keys, rawdb
from stagewise.core.storage.unlock import is_wrong_key as _is_wrong_key

PRACTICE_SUFFIX = ".stagewise"
READ_ONLY = "stagewise_read_only"  # execution option: this connection's transactions only read


@dataclass(slots=True)
class Practice:
    """An open practice file.  Close it (or use it as a context manager) to release the key's connections."""

    path: Path
    practice_id: str
    engine: Engine
    session_factory: sessionmaker[Session]
    key: bytes = field(repr=False)
    # Sessions that only read: a deferred BEGIN, so they neither wait for writers nor hold them up.
    read_factory: sessionmaker[Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.read_factory = session_factory_for(reading(self.engine))

    def close(self) -> None:
        """Dispose every pooled connection (the key leaves SQLCipher's memory with them)."""
        self.engine.dispose()

    def __enter__(self) -> Practice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def keyfile_path(self) -> Path:
        return keys.keyfile_path(self.path)


@dataclass(frozen=True, slots=True)
class CreatedPractice:
    practice: Practice
    recovery_key: str
    keyring_saved: bool


# --------------------------------------------------------------------------------------------------------
# Engine


def make_engine(path: Path, key: bytes, *, pool_size: int = 4) -> Engine:
    """An engine whose every connection is keyed with ``key`` and has the practice pragmas set."""
    url = URL.create("sqlite+pysqlcipher", password=keys.sqlcipher_key_literal(key), database=str(path))
    engine = create_engine(
        url,
        module=sqlcipher3.dbapi2,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=4,
        connect_args={"check_same_thread": False, "timeout": 10},
        hide_parameters=True,  # SQL errors must never carry client data into logs or dialogs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit for the pragmas (pysqlite starts transactions lazily; journal_mode needs none).
        rawdb.apply_pragmas(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # pysqlite's implicit BEGIN is deferred, so a transaction that reads and then writes must upgrade
        # its lock mid-way, which fails at once with SQLITE_BUSY while another writer is active.  Every
        # transaction therefore takes the write lock at its start, waiting its turn (rawdb.begin_immediate);
        # read-only sessions (Practice.read_factory) begin deferred and never wait.
        driver = conn.connection.driver_connection
        if conn.get_execution_options().get(READ_ONLY):
            driver.execute("BEGIN")
        else:
            rawdb.begin_immediate(driver, path.name)

    @event.listens_for(engine, "connect", insert=True)
    def _before_key(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook above control transactions
        rawdb.quiet(dbapi_connection)

    return engine


def reading(engine: Engine) -> Engine:
    """``engine`` for transactions that only read (a deferred BEGIN: they never wait for writers)."""
    return engine.execution_options(**{READ_ONLY: True})


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database file and truncate it (outside any transaction)."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()


def session_factory_for(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


# --------------------------------------------------------------------------------------------------------
# Checks before opening


def prove_key(engine: Engine, path: Path) -> None:
    try:
        with disk_errors(path), reading(engine).connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    except DatabaseError as exc:
        engine.dispose()
        if not _is_wrong_key(exc):
            raise StorageError(f"{path.name} cannot be read: {exc.orig}.") from exc
        raise WrongKeyError(
            f"The key does not open {path.name}: the passphrase or recovery key is wrong, "
            "or the file is not this practice's file."
        ) from exc
    except BaseException:
        engine.dispose()
        raise


def integrity_problems(engine: Engine) -> list[str]:
    """Run ``PRAGMA cipher_integrity_check``, ``quick_check`` and ``foreign_key_check``; empty if sound.

    ``cipher_integrity_check`` verifies every page's HMAC (SQLCipher ≥ 4.2); it reads the whole file, so
    the app calls this off the UI thread.  A check that cannot even finish on a damaged file is reported
    as a problem, never raised.
    """
    problems: list[str] = []
    with reading(engine).connect() as conn:
        for pragma in ("cipher_integrity_check", "quick_check", "foreign_key_check"):
            try:
                rows = conn.exec_driver_sql(f"PRAGMA {pragma}").all()
            except DatabaseError as exc:
                problems.append(f"{pragma} could not finish: {exc.orig}")
                continue
            if pragma == "cipher_integrity_check":
                problems += [str(r[0]) for r in rows]
            elif pragma == "quick_check":
                problems += [str(r[0]) for r in rows if r[0] != "ok"]
            else:
                problems += [f"foreign key violation in {r[0]} row {r[1]}" for r in rows]
    return problems


@contextlib.contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """Turn full-disk, read-only, busy and folder-instead-of-file failures into errors with advice."""
    try:
        yield
    except (OSError, DatabaseError, sqlite3.Error, sqlcipher3.dbapi2.Error) as exc:
        problem = environment_error(exc, path)
        if not isinstance(problem, DiskError | BusyError | TooDeepError):
            raise
        raise problem from exc


def wal_files(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def file_size(path: Path) -> int:
    """Bytes used by the practice file and its WAL."""
    return sum(p.stat().st_size for p in (path, *wal_files(path)) if p.exists())


def remove_practice_files(path: Path) -> None:
    """Delete a practice file with its WAL, shared-memory and key files (used by tests and drills)."""
    for p in (path, *wal_files(path), keys.keyfile_path(path)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
