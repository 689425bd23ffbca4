"""Where a practice's database key comes from: the OS keyring, the passphrase or the recovery key.

Free of SQLAlchemy on purpose: the app unlocks the practice while Qt is still starting, before the ORM is
imported.  :mod:`stagewise.core.storage.store` re-exports every public name here (``store.unlock_key`` …).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path

from stagewise.core.errors import KeyringUnavailableError, NotAPracticeFileError, StorageError, WrongKeyError
from stagewise.core.storage import keys, rawdb

log = logging.getLogger("stagewise.core.storage.store")

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"

# SQLCipher 4 defaults (Stagewise never changes them): 4096-byte pages, each ending in a 16-byte IV and a
# 64-byte HMAC-SHA512 over the page's ciphertext, IV and page number (little-endian); the first 16 bytes
# of the file are the salt from which the HMAC key is derived (PBKDF2-HMAC-SHA512, 2 rounds, salt XOR
# 0x3a).  Zetetic, "SQLCipher Design", https://www.zetetic.net/sqlcipher/design/ (page format, HMAC).
PAGE_SIZE = 4096
_IV, _MAC, _SALT = 16, 64, 16
_PAGES_EXAMINED = 16
_BTREE_PAGE_TYPES = frozenset({0x02, 0x05, 0x0A, 0x0D})


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


def is_wrong_key(exc: BaseException) -> bool:
    # SQLCipher reports a wrong key (or a file that is not a database) as SQLITE_NOTADB.
    return "not a database" in str(exc).lower() or "encrypted" in str(exc).lower()


def key_opens(path: Path, key: bytes) -> bool:
    """Whether ``key`` decrypts the practice file at ``path`` (a cheap read of the first page).

    Nothing is written.  Used to prove a key from the keyring or a key file before trusting it.
    """
    conn = rawdb.connect(path, key)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except rawdb.DatabaseError as exc:
        if is_wrong_key(exc):
            return False
        from stagewise.core.errors import environment_error

        raise environment_error(exc, path) or StorageError(f"{path.name} cannot be read: {exc}.") from exc
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class Unlocked:
    """A database key that has been proved to open the practice file, and where it came from."""

    key: bytes = field(repr=False)
    source: str  # "keyring", "passphrase" or "recovery"
    keyring_error: str | None = None  # set when the keyring could not be reached (say so once)


@dataclass(frozen=True, slots=True)
class KeyringResult:
    """What the OS keyring holds for a practice: a proved key, nothing, or why it could not be asked."""

    key: bytes | None = field(repr=False)
    error: str | None = None  # a sentence for the user when the keyring is unavailable


def try_keyring(path: Path) -> KeyringResult:
    """The key kept in this computer's keyring for the practice at ``path``, if it opens the file.

    A key that no longer opens the file (the file was restored from a backup made before a key rotation,
    or replaced by another copy) is ignored, so the caller falls back to the passphrase.

    Raises:
        NotAPracticeFileError, StorageError: ``path`` or its key file cannot be read.
    """
    path = Path(path)
    sniff(path)
    keyfile = keys.KeyFile.read(keys.keyfile_path(path))
    try:
        stored = keys.keyring_load(keyfile.practice_id)
    except KeyringUnavailableError as exc:
        log.info("keyring unavailable for practice %s", keyfile.practice_id)
        return KeyringResult(None, str(exc))
    if stored is not None and not key_opens(path, stored):
        log.info("keyring key for practice %s does not open the file; ignoring it", keyfile.practice_id)
        stored = None
    return KeyringResult(stored)


def _page_mac_ok(page: bytes, pgno: int, mac_key: bytes) -> bool:
    start = _SALT if pgno == 1 else 0
    body, mac = page[start : PAGE_SIZE - _MAC], page[PAGE_SIZE - _MAC :]
    expected = hmac.new(mac_key, body + struct.pack("<I", pgno), hashlib.sha512).digest()
    return hmac.compare_digest(expected, mac)


def _page_plausible(page: bytes, key: bytes) -> bool:
    """Whether ``page`` (not the first) decrypts under ``key`` to something shaped like a b-tree page."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = page[PAGE_SIZE - _MAC - _IV : PAGE_SIZE - _MAC]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(page[:16]) + decryptor.finalize()
    cells, content = int.from_bytes(plain[3:5], "big"), int.from_bytes(plain[5:7], "big")
    return plain[0] in _BTREE_PAGE_TYPES and cells < 1000 and 0 < content <= PAGE_SIZE - _MAC - _IV


def matches_apart_from_header(path: Path, key: bytes) -> bool:
    """Whether ``key`` fits the pages of ``path`` after the first although the file does not open.

    True means the key file is the right one and the start of the practice file (its salt or first
    page) is damaged; False that the key is another practice's, or the file is not a practice file.
    """
    with open(path, "rb") as fh:
        data = fh.read(PAGE_SIZE * _PAGES_EXAMINED)
    pages = [data[i : i + PAGE_SIZE] for i in range(0, len(data) - PAGE_SIZE + 1, PAGE_SIZE)]
    if len(pages) < 2:
        return False
    mac_key = hashlib.pbkdf2_hmac("sha512", key, bytes(b ^ 0x3A for b in pages[0][:_SALT]), 2, 32)
    if any(_page_mac_ok(page, n, mac_key) for n, page in enumerate(pages[1:], start=2)):
        return True  # the salt is intact, page 1 is not
    return sum(_page_plausible(page, key) for page in pages[1:]) >= min(2, len(pages) - 1)


def _first_that_opens(path: Path, candidates: list[bytes]) -> bytes:
    for key in candidates:
        if key_opens(path, key):
            return key
    size = path.stat().st_size
    if size % PAGE_SIZE:
        raise NotAPracticeFileError(
            f"{path.name} is not a Stagewise practice file, or it is damaged (its length is not a whole "
            "number of pages). Restore the latest backup (stagewise restore)."
        )
    if any(matches_apart_from_header(path, key) for key in candidates):
        raise NotAPracticeFileError(
            f"{path.name} is damaged at its start (the header): the rest of the file matches its key "
            "file, but it cannot be opened. Restore the latest backup (stagewise restore)."
        )
    raise WrongKeyError(
        f"The key file {keys.keyfile_path(path).name} does not match {path.name}: the passphrase or recovery "
        "key is right for the key file, but the key it holds does not open the practice file. Either the "
        "key file belongs to another practice (or another copy of it), or the file is not a Stagewise "
        "practice file. Keep each practice file (and each backup) with the .keys file saved beside it."
    )


def unlock_key(
    path: Path,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    use_keyring: bool = True,
) -> Unlocked:
    """Find the database key for ``path`` and prove it opens the file.

    Order: the keyring (only when neither secret is given), then the passphrase, then the recovery key.
    After an interrupted key rotation the key file holds both the old and the new key; whichever opens
    the file is returned.

    Raises:
        WrongKeyError: nothing given opens it (the message says what to supply), or the key file beside
            the practice belongs to another practice or another copy of it.
        NotAPracticeFileError: the file or its key file is not a Stagewise practice.
    """
    path = Path(path)
    sniff(path)
    keyfile = keys.KeyFile.read(keys.keyfile_path(path))
    keyring_error: str | None = None
    if use_keyring:
        found = try_keyring(path)
        keyring_error = found.error
        if found.key is not None and passphrase is None and recovery_key is None:
            return Unlocked(found.key, "keyring")
    if passphrase is not None:
        candidates = keys.passphrase_candidates(keyfile, passphrase)
        return Unlocked(_first_that_opens(path, candidates), "passphrase", keyring_error)
    if recovery_key is not None:
        candidates = keys.recovery_candidates(keyfile, recovery_key)
        return Unlocked(_first_that_opens(path, candidates), "recovery", keyring_error)
    if keyring_error:
        raise WrongKeyError("The system keyring is not available; enter the practice passphrase.")
    raise WrongKeyError("The practice key is not in this computer's keyring; enter the practice passphrase.")
