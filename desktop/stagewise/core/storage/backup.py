"""Encrypted backups, verified restores and restore drills.

A backup is a SQLCipher file encrypted with the practice key, written with SQLite's online backup API
(one consistent snapshot, taken while other connections keep writing: in WAL mode readers never block
writers), plus a copy of the key file (``<backup>.keys``) so the backup opens with the passphrase or the
recovery key on another computer.

* :func:`write_backup` writes to ``<dest>.partial``, verifies every page, and only then renames into place:
  an interrupted or failed backup never leaves a file that looks complete.
* :func:`restore` copies the backup beside the target, verifies the copy, keeps any file it replaces as
  ``<target>.replaced-<timestamp>`` (with its WAL and key file), then renames the copy into place.
* :func:`drill` restores a backup into a temporary folder, opens and verifies it, and compares it with
  the live practice; the result goes into the maintenance log.

See docs/backups.md.

Sessions: a maintenance job.  It takes the practice and owns short sessions of its own (reading the
settings, checking a copy, recording the backup), never one across the copy itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stagewise.core.errors import (
    DiskError,
    NewerVersionError,
    NotAPracticeFileError,
    StagewiseError,
    StorageError,
    WrongKeyError,
)
from stagewise.core.models import AuditEvent, MaintenanceLog, utcnow
from stagewise.core.storage import anchor, keys, rawdb

if TYPE_CHECKING:
    from stagewise.core.storage.store import Practice

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".stagewise"


def _connect(path: Path, key: bytes, *, readonly: bool = False) -> sqlcipher3.dbapi2.Connection:
    conn: sqlcipher3.dbapi2.Connection = rawdb.connect(path, key, readonly=readonly)
    return conn


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its renames are durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_durably(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    _fsync_file(dst)


def put_back(copy: Path, path: Path) -> None:
    """Replace the (closed) practice file ``path`` by a copy of ``copy`` atomically.

    Used when an upgrade or key rotation fails: ``copy`` was taken just before, so ``path``'s WAL holds
    nothing that is not in it and is dropped.  The key file is left alone.
    """
    tmp = path.with_name(path.name + ".restoring")
    _copy_durably(copy, tmp)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _disk_error(dest: Path, exc: BaseException, what: str = "written") -> StagewiseError:
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
    if live and _same_file(Path(live), dest):
        raise StorageError("A backup cannot be written over the practice file itself; choose another name.")
    partial = dest.with_name(dest.name + ".partial")
    partial_keys = keys.keyfile_path(partial)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        target = _connect(partial, key)
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
        _fsync_file(partial)
        info = verify_backup_file(partial, key)
        src_keys = _keyfile_of(engine)
        if include_keyfile and src_keys is not None:
            # The key file goes first: a backup file never sits without the key file that opens it.  Its
            # anchor names the backup's newest audit event (anchor.py), authenticated with the key.
            _copy_durably(src_keys, partial_keys)
            if info.audit_head is not None:
                anchor.stamp_file(partial_keys, key, anchor.Anchor(*info.audit_head))
            anchor.advance_at(src_keys, key, engine)  # and the live key file moves forward too
            os.replace(partial_keys, keys.keyfile_path(dest))
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    except (OSError, sqlite3.OperationalError, sqlcipher3.dbapi2.OperationalError) as exc:
        _remove_quietly(partial, partial_keys, partial.with_name(partial.name + "-journal"))
        raise _disk_error(dest, exc) from exc
    except BaseException:
        _remove_quietly(partial, partial_keys, partial.with_name(partial.name + "-journal"))
        raise
    log.info("backup written (%d bytes)", dest.stat().st_size)
    return dest


def _remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _keyfile_of(engine: Engine) -> Path | None:
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
        conn = _connect(path, key, readonly=True)
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


def timestamped_name(now: dt.datetime) -> str:
    """``stagewise-backup-20260105T093000Z.stagewise`` for ``now`` (UTC)."""
    return f"stagewise-backup-{now.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}{BACKUP_SUFFIX}"


def record_backup(
    session: Session, actor: str | None, target: Path, *, ok: bool, message: str | None = None
) -> None:
    """Write the maintenance-log row and the audit event for one backup attempt, in ``session``."""
    from stagewise.core.audit import trail as audit

    session.add(MaintenanceLog(kind="backup", ok=ok, target=str(target), message=message))
    audit.record(session, actor, "backup", "practice", None, {"file": target.name, "ok": ok})


# --------------------------------------------------------------------------------------------------------
# Restoring


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """Where the restored practice is and what it replaced."""

    path: Path
    practice_id: str
    replaced: Path | None  # the previous file, kept as ``<path>.replaced-<timestamp>``


def _stamp() -> str:
    now = utcnow()
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def _companions(path: Path) -> list[Path]:
    """``path`` with its WAL, shared memory and key file, the database itself last."""
    wal = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    return [*wal, keys.keyfile_path(path), path]


def _move_all(src: Path, dst: Path) -> None:
    """Rename ``src`` and its companions to ``dst``'s; if one rename fails, the done ones are undone."""
    done: list[tuple[Path, Path]] = []
    try:
        for a, b in zip(_companions(src), _companions(dst), strict=True):
            if a.exists():
                os.replace(a, b)
                done.append((a, b))
    except BaseException:
        for a, b in reversed(done):
            with contextlib.suppress(OSError):
                os.replace(b, a)
        raise


def _move_back(replaced: Path, target: Path) -> None:
    """Undo :func:`_move_aside` after a failed restore (the restored copy never took the place)."""
    _move_all(replaced, target)


def _move_aside(target: Path) -> Path:
    """Rename ``target`` with its WAL, shared memory and key file to ``<target>.replaced-<timestamp>``.

    The WAL goes with its database: it may hold committed transactions not yet checkpointed.
    """
    replaced = target.with_name(f"{target.name}.replaced-{_stamp()}")
    _move_all(target, replaced)
    return replaced


def restore(
    backup: Path,
    target: Path,
    key: bytes,
    *,
    force: bool = False,
    actor: str | None = None,
    record: bool = True,
) -> RestoreResult:
    """Restore ``backup`` (with its key file) as the practice file ``target``.

    The backup is copied to a temporary file beside ``target`` and verified there; only then is any
    existing ``target`` moved aside (kept as ``<target>.replaced-<timestamp>``, with its WAL and key
    file) and the copy renamed into place.  At no moment is data only in memory.

    Args:
        backup: the backup file; its ``.keys`` file must be beside it.
        target: the practice file to create or replace.
        key: the backup's database key (``store.unlock_key(backup, …)``).
        force: replace an existing practice file.
        actor: who asked, for the audit event written into the restored file.
        record: write the ``restore`` audit event (a drill restores without recording).

    Raises:
        StorageError: the backup is missing, damaged or lacks its key file; ``target`` exists and
            ``force`` is False; the key does not open the backup.
        DiskError: the target folder is full or read-only (nothing was changed).
    """
    from stagewise.core.storage import store

    backup, target = Path(backup), Path(target)
    store.sniff(backup)
    keyfile = keys.KeyFile.read(keys.keyfile_path(backup))
    if target.is_dir():
        raise StorageError(f"{target} is a folder; name the practice file to restore into.")
    if _same_file(backup, target):
        raise StorageError("A backup cannot be restored over itself; name the practice file to restore into.")
    exists = target.exists() or keys.keyfile_path(target).exists()
    if exists and not force:
        raise StorageError(
            f"{target.name} already exists; use --force to replace it (the current file is kept as "
            f"{target.name}.replaced-<time>)."
        )
    if not store.key_opens(backup, key):
        raise WrongKeyError(f"That key does not open the backup {backup.name}.")
    tmp = target.with_name(f".{target.name}.restoring-{secrets.token_hex(4)}")
    tmp_keys = keys.keyfile_path(tmp)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_durably(backup, tmp)
        _copy_durably(keys.keyfile_path(backup), tmp_keys)
        info = verify_backup_file(tmp, key, name=backup.name)
        if info.practice_id != keyfile.practice_id:
            raise NotAPracticeFileError(
                f"The backup {backup.name} and its key file belong to different practices; nothing was "
                "restored."
            )
        replaced = _move_aside(target) if exists else None
        try:
            os.replace(tmp_keys, keys.keyfile_path(target))
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except BaseException:
            if replaced is not None:  # put the previous practice back where it was
                _move_back(replaced, target)
            else:
                _remove_quietly(target, keys.keyfile_path(target))
            raise
    except OSError as exc:
        raise _disk_error(target, exc, "restored") from exc
    finally:
        _remove_quietly(tmp, tmp_keys)
    log.info("practice %s restored from a backup", keyfile.practice_id)
    if record:
        from stagewise.core.audit import trail as audit

        with store.open_practice(target, key) as practice, practice.session_factory.begin() as s:
            details = {"backup": backup.name, "replaced": None if replaced is None else replaced.name}
            audit.record(s, actor, "restore", "practice", practice.practice_id, details)
    return RestoreResult(target, keyfile.practice_id, replaced)


# --------------------------------------------------------------------------------------------------------
# Restore drill


@dataclass(frozen=True, slots=True)
class DrillReport:
    """The outcome of a restore drill: could the backup be restored, opened and verified?"""

    backup: Path
    ok: bool
    problems: tuple[str, ...]
    backup_counts: dict[str, int] = field(default_factory=dict)
    live_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def message(self) -> str:
        """One line for people."""
        if self.ok:
            rows = sum(self.backup_counts.values())
            return f"Restore drill passed: {self.backup.name} restored, opened and verified ({rows} rows)."
        return f"Restore drill failed for {self.backup.name}: {self.problems[0]}"


def drill(practice: Practice, backup_path: Path, *, key: bytes | None = None) -> DrillReport:
    """Restore ``backup_path`` into a temporary folder, open it, verify it, compare it with the live file.

    The result (pass or fail) is recorded in the maintenance log (kind ``drill``) and the audit log of the
    live practice.  The temporary copy is deleted afterwards.

    Args:
        practice: the open live practice.
        backup_path: the backup to test (its ``.keys`` file beside it).
        key: the backup's key if it differs from the live key (a backup made before a key rotation).
    """
    from stagewise.core.audit import trail as audit
    from stagewise.core.storage import store, verify

    started = time.monotonic()
    backup_path = Path(backup_path)
    problems: list[str] = []
    backup_counts: dict[str, int] = {}
    live_counts: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="stagewise-drill-") as tmp:
            restored = Path(tmp) / "drill.stagewise"
            result = restore(backup_path, restored, key or practice.key, record=False)
            if result.practice_id != practice.practice_id:
                problems.append("the backup belongs to a different practice")
            with store.open_practice(restored, key or practice.key, allow_unprotected=True) as copy:
                report = verify.verify_practice(copy)
                problems += report.problems
                backup_counts = dict(report.counts)
                with copy.read_factory() as s:
                    head = s.execute(
                        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
                    ).first()
            with practice.read_factory() as s:
                live_counts = verify.table_counts(s)
                if head is not None:
                    live_hash = s.execute(select(AuditEvent.hash).where(AuditEvent.id == head[0])).scalar()
                    if live_hash != head[1]:
                        problems.append(
                            f"the live audit log differs from the backup's at event {head[0]} "
                            "(events were changed or removed after the backup)"
                        )
            for table, n in backup_counts.items():
                if table in live_counts and n > live_counts[table] and table in verify.APPEND_ONLY:
                    problems.append(
                        f"the backup has more {table} rows than the live file ({n} > {live_counts[table]})"
                    )
    except StagewiseError as exc:
        problems.append(str(exc))
    report_ = DrillReport(
        backup_path, not problems, tuple(problems), backup_counts, live_counts, time.monotonic() - started
    )
    with practice.session_factory.begin() as s:
        s.add(
            MaintenanceLog(
                kind="drill",
                ok=report_.ok,
                target=str(backup_path),
                message=None if report_.ok else problems[0],
            )
        )
        audit.record(
            s, None, "drill", "practice", practice.practice_id, {"file": backup_path.name, "ok": report_.ok}
        )
    log.info("restore drill %s", "passed" if report_.ok else "failed")
    return report_
