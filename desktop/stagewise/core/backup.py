"""Encrypted backups: consistent while the practice is open, verified after writing.

A backup is a SQLCipher file encrypted with the practice key, written with SQLite's online backup API
(a consistent snapshot even while other connections write), plus a copy of the key file so the backup can
be opened with the passphrase or the recovery key on another computer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine

from stagewise.core import keys
from stagewise.core.errors import DiskError, StorageError

log = logging.getLogger(__name__)


def _keyed(path: Path, key: bytes) -> sqlcipher3.dbapi2.Connection:
    conn = sqlcipher3.dbapi2.connect(str(path), isolation_level=None, check_same_thread=False)
    with contextlib.suppress(Exception):
        conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f'PRAGMA key = "{keys.sqlcipher_key_literal(key)}"')
    return conn


def write_backup(engine: Engine, dest: Path, key: bytes, *, include_keyfile: bool = True) -> Path:
    """Write an encrypted, verified backup of the practice behind ``engine`` to ``dest``.

    The copy is written to ``dest.partial`` and renamed into place only after it verifies, so an
    interrupted backup never leaves a file that looks complete.

    Raises:
        DiskError: the destination is full or not writable.
        StorageError: the written copy did not verify.
    """
    dest = Path(dest)
    partial = dest.with_name(dest.name + ".partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        target = _keyed(partial, key)
        try:
            raw = engine.raw_connection()
            try:
                source = raw.driver_connection
                assert source is not None
                source.backup(target, pages=1024)
            finally:
                raw.close()
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        verify_backup_file(partial, key)
        os.replace(partial, dest)
        if include_keyfile:
            src_keys = _keyfile_of(engine)
            if src_keys is not None:
                shutil.copyfile(src_keys, keys.keyfile_path(dest))
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DiskError(f"The backup could not be written to {dest.parent}: {exc.strerror or exc}.") from exc
    except sqlcipher3.dbapi2.OperationalError as exc:
        partial.unlink(missing_ok=True)
        raise DiskError(f"The backup could not be written to {dest.parent}: {exc}.") from exc
    log.info("backup written (%d bytes)", dest.stat().st_size)
    return dest


def _keyfile_of(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database:
        return None
    path = keys.keyfile_path(Path(database))
    return path if path.exists() else None


def verify_backup_file(path: Path, key: bytes) -> None:
    """Open ``path`` with ``key`` and check every page and the schema.  Raises :class:`StorageError`."""
    try:
        conn = _keyed(path, key)
    except sqlcipher3.dbapi2.Error as exc:
        raise StorageError(f"The backup {path.name} cannot be opened: {exc}.") from exc
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            cipher = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
            quick = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            has_schema = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()[0]
        except sqlcipher3.dbapi2.DatabaseError as exc:
            raise StorageError(
                f"The backup {path.name} is damaged or was made with a different key: it does not open."
            ) from exc
        problems = cipher + [q for q in quick if q != "ok"]
        if problems:
            raise StorageError(f"The backup {path.name} is damaged: {problems[0]}.")
        if not has_schema:
            raise StorageError(f"The backup {path.name} is not a Stagewise practice backup.")
    finally:
        conn.close()
