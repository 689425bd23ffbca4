from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import keyring
import pytest
import sqlcipher3
from keyring.backends import fail
from sqlalchemy import select, text

from stagewise.core.audit import trail as audit
from stagewise.core.errors import (
    DiskError,
    NotAPracticeFileError,
    StorageError,
    WeakPassphraseError,
    WrongKeyError,
)
from stagewise.core.models import AuditEvent, Setting
from stagewise.core.storage import keys, store
from tests.conftest import PASSPHRASE, TEST_ARGON2

NEW_PASSPHRASE = "Copper-Meadow-Falcon-81"


def _created(path: Path) -> store.CreatedPractice:
    created = store.create_practice(path, PASSPHRASE, name="Harbour Counselling")
    created.practice.close()
    return created


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_create_then_open_with_passphrase_and_recovery_key(practice_path: Path) -> None:
    created = _created(practice_path)
    by_pass = store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    by_recovery = store.unlock_key(
        practice_path, recovery_key=created.recovery_key.lower(), use_keyring=False
    )
    assert (by_pass.source, by_recovery.source) == ("passphrase", "recovery")
    assert by_pass.key == by_recovery.key == created.practice.key
    with store.open_practice(practice_path, by_recovery.key, check_integrity=True) as p:
        with p.session_factory() as s:
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            # creating the practice is itself an audited event
            assert [e.action for e in audit.recent(s)] == ["create"]


def test_keyring_opens_without_passphrase(practice_path: Path) -> None:
    created = _created(practice_path)
    assert created.keyring_saved
    unlocked = store.unlock_key(practice_path)
    assert unlocked.source == "keyring"
    assert unlocked.keyring_error is None
    assert unlocked.key == created.practice.key


def test_wrong_passphrase_is_refused_and_file_unchanged(practice_path: Path) -> None:
    _created(practice_path)
    before = _files(practice_path.parent)
    with pytest.raises(WrongKeyError, match="passphrase is not correct"):
        store.unlock_key(practice_path, passphrase="Not-The-Right-One-99", use_keyring=False)
    with pytest.raises(WrongKeyError, match="recovery key is not correct"):
        store.unlock_key(practice_path, recovery_key=keys.new_recovery_key(), use_keyring=False)
    with pytest.raises(WrongKeyError, match="not a recovery key"):
        store.unlock_key(practice_path, recovery_key="hello", use_keyring=False)
    with pytest.raises(WrongKeyError):
        store.open_practice(practice_path, keys.new_database_key())
    after = _files(practice_path.parent)
    assert after == before  # no byte of any file changed, and no -wal/-shm was left behind


def test_plain_sqlite_file_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("create table t(x)").connection.commit()
    with pytest.raises(NotAPracticeFileError, match="unencrypted SQLite"):
        store.unlock_key(foreign, passphrase=PASSPHRASE)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "too small"), (b"hello", "too small"), (None, "is a folder"), ("missing", "no practice file")],
)
def test_things_that_are_not_practice_files_are_refused(
    tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    target = tmp_path / "thing.stagewise"
    if content is None:
        target.mkdir()
    elif isinstance(content, bytes):
        target.write_bytes(content)
    with pytest.raises(StorageError, match=message):
        store.unlock_key(target, passphrase=PASSPHRASE)


def test_random_bytes_with_a_key_file_are_refused_as_mismatched(practice_path: Path, tmp_path: Path) -> None:
    _created(practice_path)
    fake = tmp_path / "random.stagewise"
    fake.write_bytes(os.urandom(64 * 1024))
    keys.keyfile_path(practice_path).replace(keys.keyfile_path(fake))
    with pytest.raises(WrongKeyError, match=r"does not match random\.stagewise"):
        store.unlock_key(fake, passphrase=PASSPHRASE)
    assert len(fake.read_bytes()) == 64 * 1024


def test_missing_key_file_says_so(practice_path: Path) -> None:
    _created(practice_path)
    keys.keyfile_path(practice_path).unlink()
    with pytest.raises(NotAPracticeFileError, match=r"key file practice\.stagewise\.keys is missing"):
        store.unlock_key(practice_path, passphrase=PASSPHRASE)


def test_key_file_of_another_practice_is_detected(practice_path: Path, tmp_path: Path) -> None:
    created = _created(practice_path)
    other = tmp_path / "other" / "practice.stagewise"
    _created(other)
    keys.keyfile_path(practice_path).write_bytes(keys.keyfile_path(other).read_bytes())
    with pytest.raises(WrongKeyError, match=r"does not match practice\.stagewise"):
        store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    # Even the file's own key (from the keyring) is refused: the ids of file and key file disagree.
    with pytest.raises(NotAPracticeFileError, match="belong to different practices"):
        store.open_practice(practice_path, created.practice.key)


def test_damaged_key_file_is_refused(practice_path: Path) -> None:
    _created(practice_path)
    keys.keyfile_path(practice_path).write_text("{not json")
    with pytest.raises(NotAPracticeFileError, match="damaged or not a Stagewise key file"):
        store.unlock_key(practice_path, passphrase=PASSPHRASE)


def test_keyring_unavailable_falls_back_to_passphrase_and_says_so(practice_path: Path) -> None:
    created = _created(practice_path)
    keyring.set_keyring(fail.Keyring())
    unlocked = store.unlock_key(practice_path, passphrase=PASSPHRASE)
    assert unlocked.source == "passphrase"
    assert unlocked.key == created.practice.key
    assert unlocked.keyring_error is not None
    assert "keyring is not available" in unlocked.keyring_error
    with pytest.raises(WrongKeyError, match="keyring is not available; enter the practice passphrase"):
        store.unlock_key(practice_path)


def test_create_without_keyring_reports_it(practice_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    created = store.create_practice(practice_path, PASSPHRASE)
    created.practice.close()
    assert not created.keyring_saved
    assert store.unlock_key(practice_path, passphrase=PASSPHRASE).key == created.practice.key


def test_stale_keyring_key_is_ignored(practice_path: Path) -> None:
    created = _created(practice_path)
    keys.keyring_save(created.practice.practice_id, keys.new_database_key())
    assert store.try_keyring(practice_path).key is None
    with pytest.raises(WrongKeyError, match="not in this computer's keyring"):
        store.unlock_key(practice_path)


@pytest.mark.parametrize("weak", ["short", "password1234", "Password 1234!", "aaaaaaaaaaaaaaaa"])
def test_weak_passphrases_are_refused_with_a_reason(practice_path: Path, weak: str) -> None:
    with pytest.raises(WeakPassphraseError, match="too weak: "):
        store.create_practice(practice_path, weak)
    assert not practice_path.exists()
    assert not keys.keyfile_path(practice_path).exists()


def test_create_refuses_to_overwrite(practice_path: Path) -> None:
    _created(practice_path)
    before = _files(practice_path.parent)
    with pytest.raises(StorageError, match="already exists"):
        store.create_practice(practice_path, PASSPHRASE)
    assert _files(practice_path.parent) == before


def test_create_where_a_file_blocks_the_folder_is_a_disk_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DiskError):
        store.create_practice(blocker / "practice.stagewise", PASSPHRASE)
    assert blocker.read_text() == "x"


def test_recovery_key_opens_after_passphrase_forgotten_and_sets_new_one(practice_path: Path) -> None:
    """(f) The passphrase is forgotten: the recovery key opens the practice and sets a new passphrase."""
    created = _created(practice_path)
    keyring.get_keyring().delete_password(keys.KEYRING_SERVICE, created.practice.practice_id)
    with pytest.raises(WrongKeyError):
        store.unlock_key(practice_path)
    unlocked = store.unlock_key(practice_path, recovery_key=created.recovery_key.replace("-", " "))
    with store.open_practice(practice_path, unlocked.key) as p, p.session_factory() as s:
        assert s.get(Setting, "practice_name") is not None
    store.change_passphrase(practice_path, unlocked.key, NEW_PASSPHRASE)
    assert store.unlock_key(practice_path, passphrase=NEW_PASSPHRASE).key == created.practice.key
    with pytest.raises(WrongKeyError):
        store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    # the recovery key keeps working after the change
    assert store.unlock_key(practice_path, recovery_key=created.recovery_key).key == created.practice.key


def test_change_passphrase_refuses_weak_and_wrong_key_changing_nothing(practice_path: Path) -> None:
    created = _created(practice_path)
    kfile = keys.keyfile_path(practice_path)
    before = kfile.read_bytes()
    with pytest.raises(WeakPassphraseError, match="close to the practice"):
        store.change_passphrase(
            practice_path, created.practice.key, "Harbour Counselling1", context=("Harbour Counselling",)
        )
    with pytest.raises(WrongKeyError):
        store.change_passphrase(practice_path, keys.new_database_key(), NEW_PASSPHRASE)
    assert kfile.read_bytes() == before


def test_new_recovery_key_replaces_the_old_one(practice_path: Path) -> None:
    created = _created(practice_path)
    fresh = store.new_recovery_key(practice_path, created.practice.key)
    assert store.unlock_key(practice_path, recovery_key=fresh).key == created.practice.key
    with pytest.raises(WrongKeyError):
        store.unlock_key(practice_path, recovery_key=created.recovery_key)


def test_rotate_key_rekeys_verifies_and_renews_recovery(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE)
    old_key = created.practice.key
    reopened, recovery = store.rotate_key(created.practice, PASSPHRASE, actor="admin")
    with reopened:
        assert reopened.key != old_key
        assert store.integrity_problems(reopened.engine) == []
        with reopened.session_factory() as s:
            assert s.execute(select(AuditEvent.action).order_by(AuditEvent.id.desc())).scalar() == "rekey"
            assert audit.verify_chain(s).ok
    assert not store.key_opens(practice_path, old_key)
    assert store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False).key == reopened.key
    assert store.unlock_key(practice_path, recovery_key=recovery).key == reopened.key
    assert store.unlock_key(practice_path).source == "keyring"  # the keyring holds the new key
    with pytest.raises(WrongKeyError):
        store.unlock_key(practice_path, recovery_key=created.recovery_key, use_keyring=False)
    kf = keys.KeyFile.read(keys.keyfile_path(practice_path))
    assert set(kf.slots) == {"passphrase", "recovery"}
    assert not practice_path.with_name("practice.stagewise.pre-rekey").exists()


def test_rotate_key_with_wrong_passphrase_changes_nothing(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE)
    with created.practice as p:
        with pytest.raises(WrongKeyError):
            store.rotate_key(p, NEW_PASSPHRASE)
    assert store.key_opens(practice_path, created.practice.key)


def test_interrupted_rotation_still_opens_with_the_passphrase(practice_path: Path) -> None:
    """A crash after ``PRAGMA rekey`` but before the final key-file write: the next: slot opens it."""
    created = store.create_practice(practice_path, PASSPHRASE)
    created.practice.close()
    new_key = keys.new_database_key()
    kpath = keys.keyfile_path(practice_path)
    kf = keys.KeyFile.read(kpath)
    kf.slots["next:passphrase"] = keys.wrap_with_passphrase(
        kf.practice_id, new_key, PASSPHRASE, slot="next:passphrase"
    )
    kf.write(kpath)
    raw = sqlcipher3.dbapi2.connect(str(practice_path), isolation_level=None)
    raw.execute(f'PRAGMA key = "{keys.sqlcipher_key_literal(created.practice.key)}"')
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute(f'PRAGMA rekey = "{keys.sqlcipher_key_literal(new_key)}"')
    raw.close()
    unlocked = store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    assert unlocked.key == new_key
    with store.open_practice(practice_path, unlocked.key, check_integrity=True):
        pass


def test_integrity_problems_is_empty_for_a_sound_file(practice: store.Practice) -> None:
    assert store.integrity_problems(practice.engine) == []


def test_file_size_and_remove(practice_path: Path) -> None:
    _created(practice_path)
    assert store.file_size(practice_path) >= practice_path.stat().st_size > 0
    store.remove_practice_files(practice_path)
    assert not practice_path.exists()
    assert not keys.keyfile_path(practice_path).exists()


def test_a_rotation_that_cannot_be_verified_puts_the_file_back(
    practice_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = store.create_practice(practice_path, PASSPHRASE)
    with created.practice.session_factory.begin() as s:
        s.add(Setting(key="test.marker", value=1))
    real_open = store.open_practice

    def reopen_fails(path: Path, key: bytes, **kwargs: bool) -> store.Practice:
        raise StorageError("simulated: the rekeyed file did not verify")

    monkeypatch.setattr(store, "open_practice", reopen_fails)
    with pytest.raises(StorageError, match="put back as it was"):
        store.rotate_key(created.practice, PASSPHRASE)
    monkeypatch.setattr(store, "open_practice", real_open)
    kf = keys.KeyFile.read(keys.keyfile_path(practice_path))
    assert set(kf.slots) == {"passphrase", "recovery"}
    unlocked = store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    assert unlocked.key == created.practice.key
    with (
        store.open_practice(practice_path, unlocked.key, check_integrity=True) as p,
        p.session_factory() as s,
    ):
        assert s.get(Setting, "test.marker") is not None


@pytest.mark.production_argon2
def test_a_new_key_file_wraps_the_key_at_the_production_argon2_cost(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE, save_to_keyring=False)
    created.practice.close()
    slot = keys.KeyFile.read(keys.keyfile_path(practice_path)).slots[keys.PASSPHRASE_SLOT]
    assert slot.kdf == "argon2id"
    # 64 MiB, 3 passes, 2 lanes (docs/security.md); the rest of the test process runs a cheaper cost.
    assert slot.params == {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}
    unlocked = store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    assert unlocked.key == created.practice.key


def test_the_test_process_runs_argon2_cheaper_but_through_the_same_code(practice_path: Path) -> None:
    # tests/conftest.py lowers the cost parameters only; a key file made here records and uses them.
    assert keys.ARGON2_PARAMS == TEST_ARGON2
    created = store.create_practice(practice_path, PASSPHRASE, save_to_keyring=False)
    created.practice.close()
    slot = keys.KeyFile.read(keys.keyfile_path(practice_path)).slots[keys.PASSPHRASE_SLOT]
    assert slot.params == TEST_ARGON2
    with pytest.raises(WrongKeyError):
        store.unlock_key(practice_path, passphrase=NEW_PASSPHRASE, use_keyring=False)
