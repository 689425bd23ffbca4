"""Copies of an open practice file: a verified backup written through SQLite's online-backup API (a
consistent snapshot that does not stop writers), and putting such a copy back in place.

Lower than :mod:`.migrate` and :mod:`.store` (which back up before an upgrade or a re-key) and
:mod:`.backup` (restores, drills, the backup schedule), so none of them import each other in a circle.

Sessions: none; it reads through a raw connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from sqlalchemy import Engine

from stagewise.core.errors import (
    DiskError,
    NewerVersionError,
    StagewiseError,
    StorageError,
)
from stagewise.core.storage import anchor, keys, rawdb

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".stagewise"


def connect_copy(path: Path, key: bytes, *, readonly: bool = False) -> sqlcipher3.dbapi2.Connection:
    conn: sqlcipher3.dbapi2.Connection = rawdb.connect(path, key, readonly=readonly)
    return conn


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its renames are durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_durably(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    fsync_file(dst)


def put_back(copy: Path, path: Path) -> None:
    """Replace the (closed) practice file ``path`` by a copy of ``copy`` atomically.

    Used when an upgrade or key rotation fails: ``copy`` was taken just before, so ``path``'s WAL holds
    nothing that is not in it and is dropped.  The key file is left alone.
    """
    tmp = path.with_name(path.name + ".restoring")
    copy_durably(copy, tmp)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def disk_error(dest: Path, exc: BaseException, what: str = "written") -> StagewiseError:
    from stagewise.core.errors import environment_error

    known = environment_error(exc, dest)
    if isinstance(known, DiskError) and "full" in str(known):
        return DiskError(
            f"The disk is full: the backup could not be {what} to {dest.parent}. Free some space."
        )
    if known is not None:
        return known
    reason = getattr(exc, "strerror", None) or str(exc)
    return DiskError(f"The backup could not be {what} to {dest.parent}: {reason}.")


# --------------------------------------------------------------------------------------------------------
# Writing and verifying


def write_backup(engine: Engine, dest: Path, key: bytes, *, include_keyfile: bool = True) -> Path:
    """Write an encrypted, verified backup of the practice behind ``engine`` to ``dest``.

    Args:
        engine: the open practice's engine (other connections may keep writing meanwhile).
        dest: the backup file to write (replaced if it exists, only once the new copy verifies).
        key: the practice's database key (the backup is encrypted with it).
        include_keyfile: also copy the practice's key file to ``<dest>.keys``.

    Returns:
        ``dest``.

    Raises:
        DiskError: the destination is full, read-only, or not a folder; nothing was left behind.
        StorageError: the written copy did not verify (it was removed).
    """
    dest = Path(dest)
    if dest.is_dir():
        raise DiskError(f"{dest} is a folder; name the backup file, or use a folder with --rotate.")
    live = engine.url.database
    if live and same_file(Path(live), dest):
        raise StorageError("A backup cannot be written over the practice file itself; choose another name.")
    partial = dest.with_name(dest.name + ".partial")
    partial_keys = keys.keyfile_path(partial)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        target = connect_copy(partial, key)
        try:
            raw = engine.raw_connection()
            try:
                source = raw.driver_connection
                assert source is not None
                # All pages in one step: one read transaction, so the copy is one consistent snapshot.
                source.backup(target, pages=-1)
            finally:
                raw.close()
            target.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        finally:
            target.close()
        fsync_file(partial)
        info = verify_backup_file(partial, key)
        src_keys = keyfile_of(engine)
        if include_keyfile and src_keys is not None:
            # The key file goes first: a backup file never sits without the key file that opens it.  Its
            # anchor names the backup's newest audit event (anchor.py), authenticated with the key.
            copy_durably(src_keys, partial_keys)
            if info.audit_head is not None:
                anchor.stamp_file(partial_keys, key, anchor.Anchor(*info.audit_head))
            anchor.advance_at(src_keys, key, engine)  # and the live key file moves forward too
            os.replace(partial_keys, keys.keyfile_path(dest))
        os.replace(partial, dest)
        fsync_dir(dest.parent)
    except (OSError, sqlite3.OperationalError, sqlcipher3.dbapi2.OperationalError) as exc:
        remove_quietly(partial, partial_keys, partial.with_name(partial.name + "-journal"))
        raise disk_error(dest, exc) from exc
    except BaseException:
        remove_quietly(partial, partial_keys, partial.with_name(partial.name + "-journal"))
        raise
    log.info("backup written (%d bytes)", dest.stat().st_size)
    return dest


def remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def keyfile_of(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database:
        return None
    path = keys.keyfile_path(Path(database))
    return path if path.exists() else None


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """What a verified backup holds."""

    path: Path
    practice_id: str | None
    revision: str | None
    audit_head: tuple[int, str] | None  # (id, hash) of the newest audit event, None if there are none


def verify_backup_file(path: Path, key: bytes, *, name: str | None = None) -> BackupInfo:
    """Open ``path`` read-only with ``key`` and check every page, the schema and the practice id.

    Args:
        path: the backup file.
        key: its database key.
        name: the file name to use in messages (a restore verifies a temporary copy of the backup).

    Raises:
        StorageError: the backup is missing, damaged, made with another key, or not a practice backup.
        NewerVersionError: the backup was written by a newer Stagewise.
    """
    path = Path(path)
    shown = name or path.name
    if not path.is_file():
        raise StorageError(f"There is no backup file at {path}.")
    try:
        conn = connect_copy(path, key, readonly=True)
    except sqlcipher3.dbapi2.Error as exc:
        raise StorageError(f"The backup {shown} cannot be opened: {exc}.") from exc
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            cipher = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
            quick = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
            fks = conn.execute("PRAGMA foreign_key_check").fetchall()
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlcipher3.dbapi2.DatabaseError as exc:
            raise StorageError(
                f"The backup {shown} is damaged or was made with a different key: it does not open."
            ) from exc
        problems = cipher + [q for q in quick if q != "ok"]
        problems += [f"foreign key violation in {r[0]} row {r[1]}" for r in fks]
        if problems:
            raise StorageError(f"The backup {shown} is damaged: {problems[0]}.")
        if not {"alembic_version", "setting", "audit_event"} <= names:
            raise StorageError(f"The backup {shown} is not a Stagewise practice backup.")
        revision_row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        id_row = conn.execute("SELECT value FROM setting WHERE key = 'practice_id'").fetchone()
        head_row = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    revision = None if revision_row is None else str(revision_row[0])
    from stagewise.core.storage import migrate

    if revision is not None and not migrate.is_known_revision(revision):
        raise NewerVersionError(
            f"The backup {shown} was written by a newer version of Stagewise; install the latest "
            "Stagewise to use it."
        )
    practice_id = None
    if id_row is not None:
        import json

        practice_id = str(json.loads(id_row[0]))
    head = None if head_row is None else (int(head_row[0]), str(head_row[1]))
    return BackupInfo(path, practice_id, revision, head)
