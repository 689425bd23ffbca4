from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from stagewise.core import keys, store
from stagewise.core.errors import NotAPracticeFileError, WeakPassphraseError, WrongKeyError
from tests.conftest import PASSPHRASE


def test_create_then_open_with_passphrase_and_recovery_key(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE, name="Harbour Counselling")
    created.practice.close()
    by_pass = store.unlock_key(practice_path, passphrase=PASSPHRASE, use_keyring=False)
    by_recovery = store.unlock_key(
        practice_path, recovery_key=created.recovery_key.lower(), use_keyring=False
    )
    assert by_pass.key == by_recovery.key == created.practice.key
    with store.open_practice(practice_path, by_recovery.key, check_integrity=True) as p:
        with p.session_factory() as s:
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_keyring_opens_without_passphrase(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE)
    created.practice.close()
    assert created.keyring_saved
    unlocked = store.unlock_key(practice_path)
    assert unlocked.source == "keyring"
    assert unlocked.key == created.practice.key


def test_wrong_passphrase_is_refused_and_file_unchanged(practice_path: Path) -> None:
    store.create_practice(practice_path, PASSPHRASE).practice.close()
    before = practice_path.read_bytes()
    with pytest.raises(WrongKeyError, match="passphrase is not correct"):
        store.unlock_key(practice_path, passphrase="Not-The-Right-One-99", use_keyring=False)
    with pytest.raises(WrongKeyError):
        store.open_practice(practice_path, keys.new_database_key())
    assert practice_path.read_bytes() == before


def test_plain_sqlite_file_is_refused(tmp_path: Path) -> None:
    import sqlite3

    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("create table t(x)").connection.commit()
    with pytest.raises(NotAPracticeFileError, match="unencrypted SQLite"):
        store.sniff(foreign)


@pytest.mark.parametrize("weak", ["short", "password1234", "Password 1234!", "aaaaaaaaaaaaaaaa"])
def test_weak_passphrases_are_refused_with_a_reason(practice_path: Path, weak: str) -> None:
    with pytest.raises(WeakPassphraseError, match="too weak: "):
        store.create_practice(practice_path, weak)
    assert not practice_path.exists()
