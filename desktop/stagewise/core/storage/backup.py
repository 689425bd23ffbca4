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
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import (
    NotAPracticeFileError,
    StagewiseError,
    StorageError,
    WrongKeyError,
)
from stagewise.core.models import AuditEvent, MaintenanceLog, utcnow
from stagewise.core.storage import keys
from stagewise.core.storage.snapshot import (  # re-exported: callers know them from here
    BACKUP_SUFFIX as BACKUP_SUFFIX,
    BackupInfo as BackupInfo,
    copy_durably,
    disk_error,
    fsync_dir,
    put_back as put_back,
    remove_quietly,
    same_file,
    verify_backup_file as verify_backup_file,
    write_backup as write_backup,
)

if TYPE_CHECKING:
    from stagewise.core.storage.engine import Practice

log = logging.getLogger(__name__)


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
    if same_file(backup, target):
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
        copy_durably(backup, tmp)
        copy_durably(keys.keyfile_path(backup), tmp_keys)
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
            fsync_dir(target.parent)
        except BaseException:
            if replaced is not None:  # put the previous practice back where it was
                _move_back(replaced, target)
            else:
                remove_quietly(target, keys.keyfile_path(target))
            raise
    except OSError as exc:
        raise disk_error(target, exc, "restored") from exc
    finally:
        remove_quietly(tmp, tmp_keys)
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
