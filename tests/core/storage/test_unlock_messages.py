"""Unlocking says what happened: a damaged or foreign practice file, the wrong key file, the wrong
passphrase and a tampered key file each get their own message."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from stagewise.core.errors import NotAPracticeFileError, WrongKeyError
from stagewise.core.storage import keys, store
from stagewise.core.storage.unlock import PAGE_SIZE
from tests.conftest import PASSPHRASE


@pytest.fixture
def closed(practice_path: Path) -> Path:
    store.create_practice(practice_path, PASSPHRASE, save_to_keyring=False).practice.close()
    return practice_path


def _overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def _unlock(path: Path, passphrase: str = PASSPHRASE) -> None:
    store.unlock_key(path, passphrase=passphrase, use_keyring=False)


def test_the_right_passphrase_still_unlocks(closed: Path) -> None:
    _unlock(closed)


@pytest.mark.parametrize(("offset", "length"), [(0, 100), (0, 16), (200, 300)])
def test_a_damaged_header_is_reported_as_damage(closed: Path, offset: int, length: int) -> None:
    _overwrite(closed, offset, os.urandom(length))
    with pytest.raises(NotAPracticeFileError, match=r"damaged at its start \(the header\).*restore"):
        _unlock(closed)


def test_random_bytes_are_not_a_practice_file(closed: Path) -> None:
    closed.write_bytes(os.urandom(5000))
    with pytest.raises(NotAPracticeFileError, match="not a Stagewise practice file, or it is damaged"):
        _unlock(closed)
    closed.write_bytes(os.urandom(4 * PAGE_SIZE))  # page-sized noise looks like another practice's file
    with pytest.raises(WrongKeyError, match="or the file is not a Stagewise practice file"):
        _unlock(closed)


def test_another_practices_key_file_is_the_wrong_key_file(closed: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.stagewise"
    store.create_practice(other, PASSPHRASE, save_to_keyring=False).practice.close()
    shutil.copy(keys.keyfile_path(other), keys.keyfile_path(closed))
    with pytest.raises(WrongKeyError, match=r"does not match practice\.stagewise.*another practice"):
        _unlock(closed)


def test_a_wrong_passphrase_is_a_wrong_passphrase(closed: Path) -> None:
    with pytest.raises(WrongKeyError, match="passphrase is not correct"):
        _unlock(closed, "Wrong-Passphrase-Entirely-9")


@pytest.mark.parametrize(
    ("field", "value"),
    [("memory_cost", 65537), ("memory_cost", 1 << 40), ("time_cost", 7), ("parallelism", 0)],
)
def test_tampered_argon2_settings_are_reported_as_tampering(closed: Path, field: str, value: int) -> None:
    kpath = keys.keyfile_path(closed)
    doc = json.loads(kpath.read_text(encoding="utf-8"))
    doc["slots"]["passphrase"]["params"][field] = value
    kpath.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(NotAPracticeFileError, match="tampered with or damaged: its passphrase slot"):
        _unlock(closed)


def test_a_folder_in_place_of_the_key_file_is_named(closed: Path) -> None:
    kpath = keys.keyfile_path(closed)
    kpath.unlink()
    kpath.mkdir()
    with pytest.raises(NotAPracticeFileError, match=r"is a folder, but it must be the practice's key file"):
        _unlock(closed)
