"""Create and open the encrypted practice file (SQLCipher 4 through SQLAlchemy's ``pysqlcipher`` dialect).

Opening a practice:

1. refuses a missing file, a plain SQLite file or anything else that is not a practice file, with a
   sentence that says so;
2. keys the connection with the raw 256-bit key and proves the key by reading the schema;
3. sets WAL, foreign keys, synchronous=FULL and a busy timeout on every connection;
4. checks the practice id against the key file, refuses a file from a newer Stagewise, and applies any
   pending Alembic migration after an automatic encrypted backup (restored if the migration fails).

``cipher_integrity_check`` reads every page, so it is a separate call (:func:`integrity_problems`): the
CLI runs it on open; the app runs it off the UI thread.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import URL, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from stagewise.core import keys
from stagewise.core.errors import (
    DiskError,
    NewerVersionError,
    NotAPracticeFileError,
    StorageError,
    WrongKeyError,
)
from stagewise.core.models import MaintenanceLog, Setting

log = logging.getLogger(__name__)

PRACTICE_SUFFIX = ".stagewise"
SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"


@dataclass(slots=True)
class Practice:
    """An open practice file.  Close it (or use it as a context manager) to release the key's connections."""

    path: Path
    practice_id: str
    engine: Engine
    session_factory: sessionmaker[Session]
    key: bytes = field(repr=False)

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


def _quiet_sqlcipher(dbapi_connection: Any) -> None:
    # SQLCipher prints decryption failures to stderr; a wrong key is an expected event, not log noise.
    with contextlib.suppress(Exception):
        dbapi_connection.execute("PRAGMA cipher_log_level = NONE")


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
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit for the pragmas (pysqlite starts transactions lazily; journal_mode needs none).
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # pysqlite's implicit BEGIN is deferred and skipped for SELECTs; make SQLAlchemy's own BEGIN explicit
        # so a write transaction holds its lock from the start (no SQLITE_BUSY upgrades mid-transaction).
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "connect", insert=True)
    def _before_key(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook above control transactions
        _quiet_sqlcipher(dbapi_connection)

    return engine


def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


# --------------------------------------------------------------------------------------------------------
# Checks before opening


def sniff(path: Path) -> None:
    """Refuse, with a clear message, anything that cannot be a practice file."""
    if not path.exists():
        raise StorageError(f"There is no practice file at {path}.")
    if path.is_dir():
        raise NotAPracticeFileError(f"{path} is a folder, not a practice file.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except PermissionError as exc:
        raise StorageError(f"Stagewise may not read {path}; check the file's permissions.") from exc
    if head.startswith(SQLITE_PLAIN_HEADER):
        raise NotAPracticeFileError(
            f"{path.name} is an unencrypted SQLite database, not a Stagewise practice file."
        )
    if len(head) < 1024:
        raise NotAPracticeFileError(f"{path.name} is not a Stagewise practice file (it is too small).")


def _prove_key(engine: Engine, path: Path) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    except DatabaseError as exc:
        engine.dispose()
        raise WrongKeyError(
            f"The key does not open {path.name}: the passphrase or recovery key is wrong, "
            "or the file is not this practice's file."
        ) from exc


def integrity_problems(engine: Engine) -> list[str]:
    """Run ``PRAGMA cipher_integrity_check`` and ``PRAGMA quick_check``; empty list if the file is sound.

    ``cipher_integrity_check`` verifies every page's HMAC (SQLCipher ≥ 4.2); it reads the whole file.
    """
    problems: list[str] = []
    with engine.connect() as conn:
        problems += [str(r[0]) for r in conn.exec_driver_sql("PRAGMA cipher_integrity_check").all()]
        quick = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check").all()]
        problems += [q for q in quick if q != "ok"]
        problems += [
            f"foreign key violation in {r[0]} row {r[1]}"
            for r in conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        ]
    return problems


# --------------------------------------------------------------------------------------------------------
# Create and open


@contextlib.contextmanager
def _disk_errors(path: Path) -> Iterator[None]:
    """Turn full-disk and read-only failures into :class:`DiskError` with advice."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskError(
                f"The disk holding {path.parent} is full; free some space and try again."
            ) from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise DiskError(f"Stagewise cannot write to {path.parent} (read-only or no permission).") from exc
        raise
    except (OperationalError, sqlite3.OperationalError, sqlcipher3.dbapi2.OperationalError) as exc:
        msg = str(exc).lower()
        if "full" in msg:
            raise DiskError(
                f"The disk holding {path.parent} is full; free some space and try again."
            ) from exc
        if "readonly" in msg or "read-only" in msg or "unable to open" in msg:
            raise DiskError(f"Stagewise cannot write to {path.parent} (read-only or no permission).") from exc
        raise


def create_practice(
    path: Path,
    passphrase: str,
    *,
    name: str = "My practice",
    save_to_keyring: bool = True,
) -> CreatedPractice:
    """Create a new, empty, encrypted practice file and its key file.

    Args:
        path: where the practice file goes (must not exist).
        passphrase: the practice passphrase; checked for strength.
        name: the practice's display name (printed on reports).
        save_to_keyring: also keep the key in the OS keyring; failure is reported, not fatal.

    Returns:
        The open practice, the recovery key (to show once) and whether the keyring took the key.
    """
    path = Path(path)
    kpath = keys.keyfile_path(path)
    if path.exists() or kpath.exists():
        raise StorageError(f"{path.name} already exists; choose another file name.")
    keys.check_passphrase(passphrase, context=(name,))
    practice_id = uuid.uuid4().hex
    key = keys.new_database_key()
    keyfile, recovery = keys.new_keyfile(practice_id, key, passphrase)
    with _disk_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        keyfile.write(kpath)
        try:
            engine = make_engine(path, key)
            from stagewise.core.migrate import upgrade_to_head

            upgrade_to_head(engine)
            with _session_factory(engine).begin() as s:
                s.add(Setting(key="practice_id", value=practice_id))
                s.add(Setting(key="practice_name", value=name))
        except BaseException:
            with contextlib.suppress(Exception):
                engine.dispose()
            for leftover in (path, kpath, *_wal_files(path)):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise
    saved = False
    if save_to_keyring:
        try:
            keys.keyring_save(practice_id, key)
            saved = True
        except Exception as exc:
            log.warning("keyring unavailable at creation of practice %s: %s", practice_id, type(exc).__name__)
    practice = Practice(path, practice_id, engine, _session_factory(engine), key)
    log.info("created practice %s", practice_id)
    return CreatedPractice(practice, recovery, saved)


def _wal_files(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def read_practice_id(path: Path) -> str:
    """The practice id from the key file beside ``path``."""
    return keys.KeyFile.read(keys.keyfile_path(path)).practice_id


def open_practice(
    path: Path,
    key: bytes,
    *,
    migrate: bool = True,
    check_integrity: bool = False,
) -> Practice:
    """Open an existing practice file with its database key.

    Args:
        path: the practice file.
        key: the 32-byte database key (from the keyring, passphrase or recovery key: see ``unlock``).
        migrate: apply pending schema migrations (after an automatic backup).
        check_integrity: run the full page check now (slow on large files).

    Raises:
        NotAPracticeFileError, WrongKeyError, NewerVersionError, MigrationError, StorageError.
    """
    path = Path(path)
    sniff(path)
    keyfile = keys.KeyFile.read(keys.keyfile_path(path))
    engine = make_engine(path, key)
    _prove_key(engine, path)
    from stagewise.core import migrate as migrations

    try:
        state = migrations.state(engine)
        if state.newer:
            raise NewerVersionError(
                f"{path.name} was written by a newer version of Stagewise; "
                "install the latest Stagewise to open it. Nothing was changed."
            )
        if not state.has_schema:
            raise NotAPracticeFileError(f"{path.name} is an encrypted database but not a Stagewise practice.")
        with _session_factory(engine)() as s:
            stored_id = s.get(Setting, "practice_id")
        if stored_id is None or stored_id.value != keyfile.practice_id:
            raise NotAPracticeFileError(
                f"{path.name} and its key file belong to different practices; keep each practice file "
                "with its own .keys file."
            )
        if check_integrity:
            problems = integrity_problems(engine)
            if problems:
                raise StorageError(
                    f"{path.name} is damaged ({problems[0]}); restore the latest backup (stagewise restore)."
                )
        if state.pending and migrate:
            engine = migrations.upgrade_with_backup(engine, path, key)
    except BaseException:
        engine.dispose()
        raise
    log.info("opened practice %s", keyfile.practice_id)
    return Practice(path, keyfile.practice_id, engine, _session_factory(engine), key)


# --------------------------------------------------------------------------------------------------------
# Unlocking: where the key comes from


@dataclass(frozen=True, slots=True)
class Unlocked:
    key: bytes
    source: str  # "keyring", "passphrase" or "recovery"
    keyring_error: str | None = None  # set when the keyring could not be reached (say so once)


def unlock_key(
    path: Path,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    use_keyring: bool = True,
) -> Unlocked:
    """Find the database key for ``path``: keyring first, then passphrase, then recovery key.

    Raises:
        WrongKeyError: nothing given opens it (the message says what to supply).
    """
    path = Path(path)
    sniff(path)
    keyfile = keys.KeyFile.read(keys.keyfile_path(path))
    keyring_error: str | None = None
    if use_keyring:
        try:
            stored = keys.keyring_load(keyfile.practice_id)
        except Exception as exc:
            keyring_error = str(exc)
            stored = None
        if stored is not None and passphrase is None and recovery_key is None:
            return Unlocked(stored, "keyring")
    if passphrase is not None:
        return Unlocked(keys.unwrap_with_passphrase(keyfile, passphrase), "passphrase", keyring_error)
    if recovery_key is not None:
        return Unlocked(keys.unwrap_with_recovery_key(keyfile, recovery_key), "recovery", keyring_error)
    raise WrongKeyError("The practice key is not in this computer's keyring; enter the practice passphrase.")


# --------------------------------------------------------------------------------------------------------
# Key and passphrase changes


def change_passphrase(path: Path, key: bytes, new_passphrase: str, *, context: tuple[str, ...] = ()) -> None:
    """Re-wrap the database key under a new passphrase.  The recovery key keeps working."""
    keys.check_passphrase(new_passphrase, context=context)
    kpath = keys.keyfile_path(path)
    keyfile = keys.KeyFile.read(kpath)
    keyfile.slots["passphrase"] = keys.wrap_with_passphrase(keyfile.practice_id, key, new_passphrase)
    with _disk_errors(path):
        keyfile.write(kpath)


def new_recovery_key(path: Path, key: bytes) -> str:
    """Replace the recovery key (the old one stops working); returns the new one to print."""
    kpath = keys.keyfile_path(path)
    keyfile = keys.KeyFile.read(kpath)
    recovery = keys.new_recovery_key()
    keyfile.slots["recovery"] = keys.wrap_with_recovery_key(keyfile.practice_id, key, recovery)
    with _disk_errors(path):
        keyfile.write(kpath)
    return recovery


def rotate_key(practice: Practice, passphrase: str) -> tuple[Practice, str]:
    """Replace the database key (``PRAGMA rekey``), verify by reopening, re-wrap, and renew the recovery key.

    Needs the passphrase because both wrapped slots must be rewritten.  Returns the reopened practice and
    the new recovery key.  If anything fails before the new key file is written, the old key still opens
    the file.
    """
    keyfile = keys.KeyFile.read(practice.keyfile_path)
    keys.unwrap_with_passphrase(keyfile, passphrase)  # proves the caller knows the passphrase
    new_key = keys.new_database_key()
    path = practice.path
    backup_copy = path.with_name(path.name + ".pre-rekey")
    from stagewise.core.backup import write_backup

    write_backup(practice.engine, backup_copy, practice.key, include_keyfile=False)
    with practice.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    practice.close()
    raw = sqlcipher3.dbapi2.connect(str(path))
    try:
        raw.execute(f'PRAGMA key = "{keys.sqlcipher_key_literal(practice.key)}"')
        raw.execute("PRAGMA journal_mode = DELETE")  # rekey rewrites every page; do it outside WAL
        raw.execute(f'PRAGMA rekey = "{keys.sqlcipher_key_literal(new_key)}"')
        raw.execute("PRAGMA journal_mode = WAL")
    finally:
        raw.close()
    try:
        reopened = open_practice(path, new_key, migrate=False, check_integrity=True)
    except Exception as exc:
        shutil.copyfile(backup_copy, path)
        raise StorageError(
            "Key rotation could not be verified; the practice file was put back as it was."
        ) from exc
    keyfile.slots["passphrase"] = keys.wrap_with_passphrase(keyfile.practice_id, new_key, passphrase)
    recovery = keys.new_recovery_key()
    keyfile.slots["recovery"] = keys.wrap_with_recovery_key(keyfile.practice_id, new_key, recovery)
    keyfile.write(practice.keyfile_path)
    with contextlib.suppress(Exception):
        keys.keyring_save(keyfile.practice_id, new_key)
    backup_copy.unlink(missing_ok=True)
    return reopened, recovery


def record_maintenance(
    session: Session, kind: str, ok: bool, target: str | None, message: str | None
) -> None:
    """Note a backup, drill, migration or custodian package in the practice's maintenance log."""
    session.add(MaintenanceLog(kind=kind, ok=ok, target=target, message=message))


def file_size(path: Path) -> int:
    """Bytes used by the practice file and its WAL."""
    return sum(p.stat().st_size for p in (path, *_wal_files(path)) if p.exists())


def remove_practice_files(path: Path) -> None:
    """Delete a practice file with its WAL, shared-memory and key files (used by tests and drills)."""
    for p in (path, *_wal_files(path), keys.keyfile_path(path)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
