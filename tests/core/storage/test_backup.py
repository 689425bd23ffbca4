from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import func, select, text

from stagewise.core.audit import trail as audit
from stagewise.core.errors import (
    DiskError,
    NewerVersionError,
    NotAPracticeFileError,
    StorageError,
    WrongKeyError,
)
from stagewise.core.models import AuditEvent, MaintenanceLog, Setting
from stagewise.core.storage import anchor, backup, keys, snapshot, store, verify
from tests.conftest import PASSPHRASE, PracticeTemplate


def _add_rows(practice: store.Practice, start: int, n: int) -> None:
    for i in range(start, start + n):
        with practice.session_factory.begin() as s:
            s.add(Setting(key=f"test.row.{i}", value=i))
            audit.record(s, "alice", "update", "setting", f"test.row.{i}")


def _row_numbers(practice: store.Practice) -> list[int]:
    with practice.session_factory() as s:
        keys_ = s.execute(select(Setting.key).where(Setting.key.like("test.row.%"))).scalars()
        return sorted(int(k.rsplit(".", 1)[1]) for k in keys_)


def _flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    for i in range(mid, mid + 64):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or ".restoring" in p.name)


@pytest.fixture
def filled(practice: store.Practice) -> store.Practice:
    _add_rows(practice, 0, 5)
    return practice


def test_backup_is_verified_encrypted_and_carries_its_key_file(
    filled: store.Practice, tmp_path: Path
) -> None:
    dest = tmp_path / "backups" / "one.stagewise"
    assert backup.write_backup(filled.engine, dest, filled.key) == dest
    assert dest.read_bytes()[:16] != b"SQLite format 3\x00"
    copied, live = keys.KeyFile.read(keys.keyfile_path(dest)), keys.KeyFile.read(filled.keyfile_path)
    assert (copied.practice_id, copied.slots) == (live.practice_id, live.slots)
    info = backup.verify_backup_file(dest, filled.key)
    assert info.practice_id == filled.practice_id
    assert info.revision is not None
    with filled.session_factory() as s:
        assert info.audit_head == (audit.verify_chain(s).head_id, audit.verify_chain(s).head_hash)
    # The backup's key file anchors the backup's newest audit event, authenticated with the key.
    stamped = anchor.read(copied, filled.key)
    assert stamped is not None
    assert stamped.as_tuple() == info.audit_head
    assert _leftovers(dest.parent) == []
    # On "a new computer": no keyring entry, only the passphrase and the two files.
    unlocked = store.unlock_key(dest, passphrase=PASSPHRASE, use_keyring=False)
    with store.open_practice(dest, unlocked.key) as copy:
        assert _row_numbers(copy) == [0, 1, 2, 3, 4]
        assert verify.verify_practice(copy).ok


def test_backup_while_another_thread_writes_is_consistent(filled: store.Practice, tmp_path: Path) -> None:
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        i = 100
        try:
            while not stop.is_set():
                _add_rows(filled, i, 1)
                written.append(i)
                i += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = []
        for n in range(3):
            while len(written) < 5 * (n + 1):  # let the writer get going (no sleeps: wait on progress)
                if errors:
                    break
                threading.Event().wait(0.001)
            copies.append(backup.write_backup(filled.engine, tmp_path / f"b{n}.stagewise", filled.key))
    finally:
        stop.set()
        thread.join()
    assert not errors
    for copy_path in copies:
        with store.open_practice(copy_path, filled.key, migrate=False) as copy:
            rows = _row_numbers(copy)
            report = verify.verify_practice(copy)
            assert report.ok, report.problems
            # one consistent snapshot: a prefix of the committed transactions, each with its audit event
            assert rows == [0, 1, 2, 3, 4, *range(100, 100 + len(rows) - 5)]
            assert report.counts["audit_event"] == 1 + len(rows)


def test_backup_to_a_folder_or_below_a_file_is_a_disk_error(filled: store.Practice, tmp_path: Path) -> None:
    with pytest.raises(DiskError, match="is a folder"):
        backup.write_backup(filled.engine, tmp_path, filled.key)
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(DiskError, match="blocker: a file stands where a folder is needed"):
        backup.write_backup(filled.engine, blocker / "b.stagewise", filled.key)
    assert blocker.read_text() == "not a folder"


@contextlib.contextmanager
def _tiny_disk(folder: Path) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root?); the ENOSPC test below covers the mapping")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_full_disk_backup_is_a_disk_error_and_loses_nothing(filled: store.Practice, tmp_path: Path) -> None:
    before = _row_numbers(filled)
    with _tiny_disk(tmp_path / "small") as small:
        with pytest.raises(DiskError, match="could not be written"):
            backup.write_backup(filled.engine, small / "b.stagewise", filled.key)
        assert list(small.iterdir()) == []  # no partial file left to be mistaken for a backup
    assert _row_numbers(filled) == before
    assert verify.verify_practice(filled).ok


def test_enospc_while_copying_is_a_disk_error(
    filled: store.Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: Path, dst: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot, "copy_durably", full)
    with pytest.raises(DiskError, match="The disk is full: the backup could not be written"):
        backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    assert list(tmp_path.glob("b.stagewise*")) == []


def test_verify_backup_file_refuses_damage_wrong_key_and_missing(
    filled: store.Practice, tmp_path: Path
) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    with pytest.raises(StorageError, match="different key"):
        backup.verify_backup_file(dest, keys.new_database_key())
    with pytest.raises(StorageError, match="no backup file"):
        backup.verify_backup_file(tmp_path / "missing.stagewise", filled.key)
    assert not (tmp_path / "missing.stagewise").exists()
    _flip_middle(dest)
    with pytest.raises(StorageError, match=r"b\.stagewise is damaged"):
        backup.verify_backup_file(dest, filled.key)


# --------------------------------------------------------------------------------------------------------
# Restore


def test_restore_to_a_new_place_and_refusal_to_overwrite(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    target = tmp_path / "restored" / "practice.stagewise"
    result = backup.restore(dest, target, filled.key, actor="admin")
    assert (result.path, result.replaced, result.practice_id) == (target, None, filled.practice_id)
    with store.open_practice(target, filled.key) as p:
        assert _row_numbers(p) == [0, 1, 2, 3, 4]
        with p.session_factory() as s:
            newest = audit.recent(s, limit=1)[0]
            assert (newest.action, newest.username, newest.details["backup"]) == (
                "restore",
                "admin",
                "b.stagewise",
            )
    before = target.read_bytes()
    with pytest.raises(StorageError, match="already exists; use --force"):
        backup.restore(dest, target, filled.key)
    assert target.read_bytes() == before
    assert _leftovers(target.parent) == []


def test_forced_restore_keeps_the_replaced_file_with_its_wal(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    _add_rows(filled, 5, 3)  # committed after the backup, still in the live file's WAL (it is open)
    assert filled.path.with_name(filled.path.name + "-wal").stat().st_size > 0
    result = backup.restore(dest, filled.path, filled.key, force=True)
    filled.close()
    assert result.replaced is not None
    assert result.replaced.name.startswith("practice.stagewise.replaced-")
    with store.open_practice(filled.path, filled.key) as restored:
        assert _row_numbers(restored) == [0, 1, 2, 3, 4]
    with store.open_practice(result.replaced, filled.key) as old:
        assert _row_numbers(old) == [0, 1, 2, 3, 4, 5, 6, 7]  # nothing lost


def test_a_damaged_backup_replaces_nothing(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    _flip_middle(dest)
    filled.close()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    with pytest.raises(StorageError, match="damaged"):
        backup.restore(dest, filled.path, filled.key, force=True)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before


def test_restore_needs_the_backup_key_file(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    keys.keyfile_path(dest).unlink()
    with pytest.raises(NotAPracticeFileError, match=r"b\.stagewise\.keys is missing"):
        backup.restore(dest, tmp_path / "new.stagewise", filled.key)
    assert not (tmp_path / "new.stagewise").exists()


def test_restore_refuses_a_key_that_does_not_open_the_backup(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    with pytest.raises(WrongKeyError):
        backup.restore(dest, tmp_path / "new.stagewise", keys.new_database_key())
    assert not (tmp_path / "new.stagewise").exists()


def test_restore_refuses_a_backup_from_a_newer_stagewise(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    conn = sqlcipher3.dbapi2.connect(str(dest), isolation_level=None)
    conn.execute(f'PRAGMA key = "{keys.sqlcipher_key_literal(filled.key)}"')
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    filled.close()
    before = filled.path.read_bytes()
    with pytest.raises(NewerVersionError, match="newer version"):
        backup.restore(dest, filled.path, filled.key, force=True)
    assert filled.path.read_bytes() == before


def test_a_backup_made_before_key_rotation_restores_with_its_passphrase(
    filled: store.Practice, tmp_path: Path
) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    rotated, _ = store.rotate_key(filled, PASSPHRASE)
    rotated.close()
    assert store.try_keyring(dest).key is None  # the keyring now holds the new key: not this backup's
    old_key = store.unlock_key(dest, passphrase=PASSPHRASE).key
    result = backup.restore(dest, filled.path, old_key, force=True)
    assert result.replaced is not None
    with store.open_practice(filled.path, old_key) as p:
        assert _row_numbers(p) == [0, 1, 2, 3, 4]


# --------------------------------------------------------------------------------------------------------
# Drill


def _drills(practice: store.Practice) -> list[tuple[bool, str | None]]:
    with practice.session_factory() as s:
        rows = s.execute(select(MaintenanceLog).where(MaintenanceLog.kind == "drill")).scalars()
        return [(r.ok, r.message) for r in rows]


def test_drill_passes_on_a_good_backup(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    _add_rows(filled, 5, 2)
    report = backup.drill(filled, dest)
    assert report.ok, report.problems
    assert report.backup_counts["setting"] == report.live_counts["setting"] - 2
    assert report.message.startswith("Restore drill passed")
    assert _drills(filled) == [(True, None)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("b.")) == [
        "b.stagewise",
        "b.stagewise.keys",
    ]


def test_drill_fails_clearly_on_a_corrupted_backup(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    _flip_middle(dest)
    report = backup.drill(filled, dest)
    assert not report.ok
    assert "b.stagewise is damaged" in report.message
    assert _drills(filled) == [(False, report.problems[0])]
    with filled.session_factory() as s:
        assert audit.recent(s, limit=1)[0].details == {"file": "b.stagewise", "ok": False}


def test_drill_notices_audit_events_removed_after_the_backup(filled: store.Practice, tmp_path: Path) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    with filled.session_factory.begin() as s:
        s.execute(text("DROP TRIGGER audit_no_delete"))
        last = s.execute(select(func.max(AuditEvent.id))).scalar_one()
        s.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": last})
    report = backup.drill(filled, dest)
    assert not report.ok
    assert any("live audit log differs" in p or "more audit_event rows" in p for p in report.problems)


def test_drill_of_a_missing_backup_fails_with_a_message(filled: store.Practice, tmp_path: Path) -> None:
    report = backup.drill(filled, tmp_path / "nothing.stagewise")
    assert not report.ok
    assert "no practice file" in report.message or "no backup" in report.message
    assert not os.path.exists(tmp_path / "nothing.stagewise")


def test_backup_over_the_live_file_and_restore_over_itself_are_refused(
    filled: store.Practice, tmp_path: Path
) -> None:
    before = _row_numbers(filled)
    with pytest.raises(StorageError, match="over the practice file itself"):
        backup.write_backup(filled.engine, filled.path, filled.key)
    assert _row_numbers(filled) == before
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    with pytest.raises(StorageError, match="over itself"):
        backup.restore(dest, dest, filled.key, force=True)
    assert backup.verify_backup_file(dest, filled.key).practice_id == filled.practice_id


def test_a_backup_that_fails_verification_leaves_the_previous_one(
    filled: store.Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = backup.write_backup(filled.engine, tmp_path / "b.stagewise", filled.key)
    previous = dest.read_bytes()
    _add_rows(filled, 5, 1)

    def damaged(path: Path, key: bytes, *, name: str | None = None) -> backup.BackupInfo:
        raise StorageError(f"The backup {name or path.name} is damaged: simulated.")

    monkeypatch.setattr(snapshot, "verify_backup_file", damaged)
    with pytest.raises(StorageError, match="simulated"):
        backup.write_backup(filled.engine, dest, filled.key)
    assert dest.read_bytes() == previous
    assert _leftovers(tmp_path) == []


def test_a_backup_opens_elsewhere_with_the_recovery_key(
    practice_path: Path, tmp_path: Path, practice_template: PracticeTemplate
) -> None:
    created = practice_template.created_copy(practice_path)
    with created.practice as p:
        dest = backup.write_backup(p.engine, tmp_path / "usb" / "b.stagewise", p.key)
    new_computer = tmp_path / "new-computer" / "practice.stagewise"
    new_computer.parent.mkdir()
    for src in (dest, keys.keyfile_path(dest)):
        (new_computer.parent / src.name).write_bytes(src.read_bytes())
    moved = new_computer.parent / dest.name
    unlocked = store.unlock_key(moved, recovery_key=created.recovery_key, use_keyring=False)
    backup.restore(moved, new_computer, unlocked.key)
    with store.open_practice(new_computer, unlocked.key, check_integrity=True) as p:
        assert p.practice_id == created.practice.practice_id
