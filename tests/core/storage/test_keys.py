from __future__ import annotations

import json
from pathlib import Path

import pytest

from stagewise.core.errors import NotAPracticeFileError, StorageError, WeakPassphraseError, WrongKeyError
from stagewise.core.storage import keys

PASSPHRASE = "Tidal-Orchard-Violet-42"


def test_database_key_is_256_random_bits_and_a_hex_literal() -> None:
    a, b = keys.new_database_key(), keys.new_database_key()
    assert len(a) == 32
    assert a != b
    literal = keys.sqlcipher_key_literal(a)
    assert literal == f"x'{a.hex()}'"
    with pytest.raises(ValueError, match="32 bytes"):
        keys.sqlcipher_key_literal(b"short")


def test_keyfile_round_trip_and_no_secret_in_clear(tmp_path: Path) -> None:
    key = keys.new_database_key()
    kf, recovery = keys.new_keyfile("pid1", key, PASSPHRASE)
    path = tmp_path / "p.stagewise.keys"
    kf.write(path)
    data = path.read_bytes()
    for secret in (
        key.hex().encode(),
        PASSPHRASE.encode(),
        recovery.encode(),
        recovery.replace("-", "").encode(),
    ):
        assert secret not in data
    again = keys.KeyFile.read(path)
    assert keys.unwrap_with_passphrase(again, PASSPHRASE) == key
    assert keys.unwrap_with_recovery_key(again, recovery) == key


def test_slots_cannot_be_moved_between_practices_or_swapped() -> None:
    key = keys.new_database_key()
    kf, _ = keys.new_keyfile("pid1", key, PASSPHRASE)
    moved = keys.KeyFile("pid2", dict(kf.slots))  # same wrapped slot, another practice id
    with pytest.raises(WrongKeyError):
        keys.unwrap_with_passphrase(moved, PASSPHRASE)
    renamed = keys.KeyFile("pid1", {"passphrase": kf.slots["passphrase"], "recovery": kf.slots["passphrase"]})
    assert keys.unwrap_with_passphrase(renamed, PASSPHRASE) == key
    with pytest.raises(WrongKeyError):
        keys.passphrase_candidates(keys.KeyFile("pid1", {"passphrase": kf.slots["recovery"]}), PASSPHRASE)


def test_recovery_key_format_and_forgiving_parse() -> None:
    rk = keys.new_recovery_key()
    groups = rk.split("-")
    assert len(groups) == 8
    assert all(len(g) == 4 for g in groups)
    raw = keys.normalise_recovery_key(rk)
    assert len(raw) == 20
    assert keys.normalise_recovery_key(" " + rk.lower().replace("-", " ") + " ") == raw
    sloppy = rk.replace("O", "0").replace("I", "1").replace("B", "8")
    assert keys.normalise_recovery_key(sloppy) == raw
    with pytest.raises(WrongKeyError, match="8 groups of 4"):
        keys.normalise_recovery_key(rk[:-1])


def test_next_slots_give_both_candidates() -> None:
    old, new = keys.new_database_key(), keys.new_database_key()
    kf, _ = keys.new_keyfile("pid", old, PASSPHRASE)
    kf.slots["next:passphrase"] = keys.wrap_with_passphrase("pid", new, PASSPHRASE, slot="next:passphrase")
    assert keys.passphrase_candidates(kf, PASSPHRASE) == [old, new]


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe", b"[]", b'{"format": "other"}', b'{"format": "stagewise-keys", "version": 1}'],
)
def test_damaged_keyfiles_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.keys"
    path.write_bytes(content)
    with pytest.raises(NotAPracticeFileError, match=r"x\.keys is damaged"):
        keys.KeyFile.read(path)


def test_keyfile_from_newer_stagewise_is_refused(tmp_path: Path) -> None:
    kf, _ = keys.new_keyfile("pid", keys.new_database_key(), PASSPHRASE)
    doc = json.loads(kf.to_bytes())
    doc["version"] = keys.KEYFILE_VERSION + 1
    path = tmp_path / "x.keys"
    path.write_text(json.dumps(doc))
    with pytest.raises(StorageError, match="newer Stagewise"):
        keys.KeyFile.read(path)


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    keys.atomic_write(target, b"one")
    keys.atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("short", "at least 12"),
        ("abababababababab", "too few different"),
        ("iloveyou", "at least 12"),
        ("correcthorsebatterystaple", "commonly used"),
        ("Harbour Counselling 1", "close to the practice"),
    ],
)
def test_passphrase_rules(weak: str, reason: str) -> None:
    with pytest.raises(WeakPassphraseError, match=reason):
        keys.check_passphrase(weak, context=("Harbour Counselling",))


def test_comment_lines_of_the_list_are_not_passwords() -> None:
    common = keys._common_passwords()
    assert common, "the bundled list is missing"
    assert not any(entry.startswith("#") for entry in common)
    assert keys.passphrase_problem("Tidal-Orchard-Violet-42") is None
