"""The practice key: how it is made, kept, wrapped, unwrapped and rotated.

Design (see docs/security.md):

* A random 256-bit **database key** opens the SQLCipher file as a raw key (``PRAGMA key = "x'…'"``), so
  no KDF runs on every open and the key is never pasted into SQL as text.
* The key is **wrapped** (AES-256-GCM) twice and stored in a small sidecar file beside the practice file
  (``practice.stagewise.keys``) that travels with the file and with every backup:

  - under a key derived from the **practice passphrase** with Argon2id;
  - under a key derived (HKDF-SHA256) from a random 160-bit **recovery key**, shown once at creation as
    eight groups of four characters for printing.

  The sidecar holds no secret in the clear: without the passphrase or the recovery key it is useless.
* For convenience the database key is also kept in the **OS keyring** under the practice id, so the file
  opens without typing the passphrase on the computer it was set up on.  Signing in to the app still
  needs the user's own password.

Each wrapped key is authenticated with the practice id and slot name as associated data, so a slot cannot
be moved to another practice or swapped with the other slot unnoticed.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stagewise.core.errors import (
    KeyringUnavailableError,
    NotAPracticeFileError,
    StorageError,
    WeakPassphraseError,
    WrongKeyError,
)
from stagewise.core.paths import shipped_dir
from stagewise.core.storage.rawdb import key_literal

log = logging.getLogger(__name__)

sqlcipher_key_literal = key_literal  # ``PRAGMA key`` literal x'…' (kept here for existing callers)

KEYFILE_SUFFIX = ".keys"
KEYFILE_FORMAT = "stagewise-keys"
KEYFILE_VERSION = 1
KEY_BYTES = 32
KEYRING_SERVICE = "Stagewise practice key"

# Argon2id parameters: 64 MiB, 3 passes, 2 lanes (~0.1 s on a 2-core laptop).  Stronger than OWASP's
# minimum (19 MiB, t=2); stored per slot so they can be raised later without breaking old files.
ARGON2_PARAMS: dict[str, int] = {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}
# Every parameter set Stagewise has ever written (add the old one here when ARGON2_PARAMS is raised): a
# slot with any other set was altered after it was written, and is reported as tampered, not as a wrong
# passphrase.  The salt, nonce and wrapped key have fixed lengths for the same reason.
KNOWN_ARGON2_PARAMS: tuple[dict[str, int], ...] = (ARGON2_PARAMS,)
_SALT_BYTES, _NONCE_BYTES, _WRAPPED_BYTES = 16, 12, KEY_BYTES + 16

MIN_PASSPHRASE_LENGTH = 12
# Slot names in the key file.  During a key rotation the new key is first stored under "next:" slots, so
# a crash between ``PRAGMA rekey`` and the final key-file write never leaves a file nobody can open.
PASSPHRASE_SLOT = "passphrase"
RECOVERY_SLOT = "recovery"
NEXT_PREFIX = "next:"

_RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32
_RECOVERY_BYTES = 20  # 160 bits -> 32 base32 characters -> 8 groups of 4


def keyfile_path(practice_path: Path) -> Path:
    """The sidecar that holds the wrapped keys of ``practice_path``."""
    return practice_path.with_name(practice_path.name + KEYFILE_SUFFIX)


def new_database_key() -> bytes:
    """A fresh random 256-bit database key."""
    return secrets.token_bytes(KEY_BYTES)


# --------------------------------------------------------------------------------------------------------
# Passphrase strength


def _common_passwords() -> frozenset[str]:
    path = shipped_dir("resources") / "security" / "common-passwords.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:  # a broken installation must not stop anyone working; the other rules still apply
        log.warning("common-passwords list is missing; passphrase checks use length and variety only")
        return frozenset()
    entries = (line.strip().casefold() for line in lines if not line.lstrip().startswith("#"))
    return frozenset(e for e in entries if e)


def passphrase_problem(passphrase: str, *, context: tuple[str, ...] = ()) -> str | None:
    """Why ``passphrase`` is too weak, or None if it is acceptable.

    Rules: at least 12 characters; at least 5 different characters; not a common password (a bundled
    list, compared case-insensitively, also with digits and symbols stripped from the ends); not built
    around a name in ``context`` (practice name, user name).
    """
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return f"it must be at least {MIN_PASSPHRASE_LENGTH} characters long"
    if len(set(passphrase)) < 5:
        return "it uses too few different characters"
    folded = passphrase.casefold()
    common = _common_passwords()
    stripped = folded.strip("0123456789!@#$%^&*()-_=+.,?~ ")
    if folded in common or stripped in common or folded.replace(" ", "") in common:
        return "it is on a list of commonly used passwords"
    for word in context:
        w = word.casefold().strip()
        if len(w) >= 4 and w in folded and len(folded) - len(w) < 8:
            return "it is too close to the practice or user name"
    return None


def check_passphrase(passphrase: str, *, context: tuple[str, ...] = ()) -> None:
    """Raise :class:`WeakPassphraseError` with the reason if ``passphrase`` is too weak."""
    problem = passphrase_problem(passphrase, context=context)
    if problem:
        raise WeakPassphraseError(f"That passphrase is too weak: {problem}.")


# --------------------------------------------------------------------------------------------------------
# Recovery key


def new_recovery_key() -> str:
    """A new printable recovery key: 8 groups of 4 base32 characters (160 random bits)."""
    raw = base64.b32encode(secrets.token_bytes(_RECOVERY_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_key(text: str) -> bytes:
    """Parse a typed recovery key (any case, spaces or dashes, 0/1/8 read as O/I/B) to its 20 bytes."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
    if len(cleaned) != 32 or any(ch not in _RECOVERY_ALPHABET for ch in cleaned):
        raise WrongKeyError(
            "That is not a recovery key: it has 32 letters and digits, printed as 8 groups of 4."
        )
    return base64.b32decode(cleaned)


# --------------------------------------------------------------------------------------------------------
# Wrapping


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """The database key encrypted under one key-encryption key."""

    kdf: str  # "argon2id" or "hkdf-sha256"
    salt: bytes
    params: dict[str, int]
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "kdf": self.kdf,
            "salt": _b64(self.salt),
            "params": dict(self.params),
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WrappedKey:
        return cls(
            kdf=str(data["kdf"]),
            salt=_unb64(data["salt"]),
            params={str(k): int(v) for k, v in dict(data.get("params", {})).items()},
            nonce=_unb64(data["nonce"]),
            ciphertext=_unb64(data["ciphertext"]),
        )


@dataclass(slots=True)
class KeyFile:
    """The sidecar: the practice id, its wrapped keys (``slots``: ``passphrase``, ``recovery``) and the
    audit chain's anchor (``anchor.py``: the newest event's id and hash, authenticated with the key)."""

    practice_id: str
    slots: dict[str, WrappedKey] = field(default_factory=dict)
    anchor: dict[str, Any] | None = None
    source: str = field(default="The key file", compare=False)  # its name, for messages

    def to_bytes(self) -> bytes:
        doc: dict[str, Any] = {
            "format": KEYFILE_FORMAT,
            "version": KEYFILE_VERSION,
            "practice_id": self.practice_id,
            "slots": {name: slot.to_json() for name, slot in sorted(self.slots.items())},
        }
        if self.anchor is not None:
            doc["anchor"] = dict(self.anchor)
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "key file") -> KeyFile:
        try:
            doc = json.loads(data.decode("utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != KEYFILE_FORMAT:
                raise ValueError("not a Stagewise key file")
            if int(doc.get("version", 0)) > KEYFILE_VERSION:
                raise StorageError(
                    f"{source} was written by a newer Stagewise; update Stagewise to open this practice."
                )
            slots = {str(k): WrappedKey.from_json(v) for k, v in dict(doc["slots"]).items()}
            anchor = doc.get("anchor")
            return cls(
                practice_id=str(doc["practice_id"]),
                slots=slots,
                anchor=dict(anchor) if isinstance(anchor, dict) else None,
                source=source,
            )
        except StorageError:
            raise
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise NotAPracticeFileError(f"{source} is damaged or not a Stagewise key file.") from exc

    def write(self, path: Path) -> None:
        """Write atomically: a temporary file, fsync, then rename over the old one."""
        atomic_write(path, self.to_bytes())

    @classmethod
    def read(cls, path: Path) -> KeyFile:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotAPracticeFileError(
                f"The key file {path.name} is missing; it must stay beside the practice file."
            ) from exc
        except IsADirectoryError as exc:
            raise NotAPracticeFileError(
                f"{path} is a folder, but it must be the practice's key file; move the folder away and put "
                "the .keys file saved with the practice there."
            ) from exc
        except OSError as exc:
            raise StorageError(
                f"The key file {path} cannot be read ({exc.strerror or exc}); check its permissions."
            ) from exc
        return cls.from_bytes(data, source=path.name)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk or an interruption leaves no half-written .tmp behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # Windows cannot open directories; the rename is durable enough there
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _aad(practice_id: str, slot: str) -> bytes:
    return f"stagewise:{practice_id}:{slot}".encode()


def _passphrase_kek(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _recovery_kek(recovery: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=b"stagewise recovery v1").derive(
        recovery
    )


def _wrap(kek: bytes, key: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = secrets.token_bytes(12)
    return nonce, AESGCM(kek).encrypt(nonce, key, aad)


def wrap_with_passphrase(
    practice_id: str, key: bytes, passphrase: str, *, slot: str = PASSPHRASE_SLOT
) -> WrappedKey:
    """Wrap ``key`` under Argon2id(``passphrase``) for the named slot of ``practice_id``'s key file."""
    salt = secrets.token_bytes(16)
    params = dict(ARGON2_PARAMS)
    nonce, ct = _wrap(_passphrase_kek(passphrase, salt, params), key, _aad(practice_id, slot))
    return WrappedKey("argon2id", salt, params, nonce, ct)


def wrap_with_recovery_key(
    practice_id: str, key: bytes, recovery_key: str, *, slot: str = RECOVERY_SLOT
) -> WrappedKey:
    """Wrap ``key`` under HKDF(``recovery_key``) for the named slot of ``practice_id``'s key file."""
    salt = secrets.token_bytes(16)
    kek = _recovery_kek(normalise_recovery_key(recovery_key), salt)
    nonce, ct = _wrap(kek, key, _aad(practice_id, slot))
    return WrappedKey("hkdf-sha256", salt, {}, nonce, ct)


# Argon2id settings no Stagewise slot can hold: asking for them would only cost memory and time.
_ARGON2_LIMITS = {"time_cost": 10, "memory_cost": 1 << 20, "parallelism": 16}


# The test suite writes key files at a cheaper Argon2 cost; its command-line subprocesses are told so here,
# to tell a wrong passphrase from an altered slot on those files as they would on a real one.
TEST_PARAMS_ENV = "STAGEWISE_TEST_ARGON2_PARAMS"


def _known_argon2() -> tuple[dict[str, int], ...]:
    known = (ARGON2_PARAMS, *KNOWN_ARGON2_PARAMS)
    extra = os.environ.get(TEST_PARAMS_ENV)
    if extra:
        with contextlib.suppress(ValueError, TypeError):
            known = (*known, {str(k): int(v) for k, v in dict(json.loads(extra)).items()})
    return known


def _tampered(keyfile: KeyFile, slot_name: str) -> NotAPracticeFileError:
    return NotAPracticeFileError(
        f"{keyfile.source} has been tampered with or damaged: its {slot_name} slot holds settings "
        "Stagewise never writes. Restore the key file from a backup (the .keys file beside it)."
    )


def _check_untampered(keyfile: KeyFile, slot_name: str, slot: WrappedKey) -> None:
    """Refuse a slot whose shape Stagewise never writes: it was altered (or damaged) on disk."""
    params = slot.params
    altered = (
        len(slot.salt) != _SALT_BYTES
        or len(slot.nonce) != _NONCE_BYTES
        or len(slot.ciphertext) != _WRAPPED_BYTES
        or (
            slot.kdf == "argon2id"
            and (
                set(params) != set(_ARGON2_LIMITS)
                or not all(isinstance(v, int) and 1 <= v <= _ARGON2_LIMITS[k] for k, v in params.items())
            )
        )
        or (slot.kdf == "hkdf-sha256" and slot.params)
    )
    if altered:
        raise _tampered(keyfile, slot_name)


def _unwrap(
    keyfile: KeyFile, slot_name: str, kdf: str, kek_for: Callable[[WrappedKey], bytes]
) -> bytes | None:
    slot = keyfile.slots.get(slot_name)
    if slot is None or slot.kdf != kdf:
        return None
    _check_untampered(keyfile, slot_name, slot)  # also keeps Argon2 from being asked for terabytes
    try:
        return AESGCM(kek_for(slot)).decrypt(
            slot.nonce, slot.ciphertext, _aad(keyfile.practice_id, slot_name)
        )
    except (InvalidTag, ValueError):
        # A slot that opens is genuine whatever its settings (the authenticated encryption proves it);
        # one that does not open and carries Argon2 settings Stagewise never wrote was altered.
        if slot.kdf == "argon2id" and slot.params not in _known_argon2():
            raise _tampered(keyfile, slot_name) from None
        return None


def passphrase_candidates(keyfile: KeyFile, passphrase: str) -> list[bytes]:
    """Every key the passphrase unwraps: the current one and, after an interrupted key rotation, the next.

    Raises:
        WrongKeyError: the passphrase unwraps nothing.
    """
    if PASSPHRASE_SLOT not in keyfile.slots:
        raise WrongKeyError("This practice has no passphrase set; use the recovery key.")
    found: list[bytes] = []
    for name in (PASSPHRASE_SLOT, NEXT_PREFIX + PASSPHRASE_SLOT):
        key = _unwrap(keyfile, name, "argon2id", lambda s: _passphrase_kek(passphrase, s.salt, s.params))
        if key is not None:
            found.append(key)
    if not found:
        raise WrongKeyError("The practice passphrase is not correct.")
    return found


def recovery_candidates(keyfile: KeyFile, recovery_key: str) -> list[bytes]:
    """Every key the recovery key unwraps (see :func:`passphrase_candidates`).

    Raises:
        WrongKeyError: the text is not a recovery key, or it unwraps nothing.
    """
    raw = normalise_recovery_key(recovery_key)
    if RECOVERY_SLOT not in keyfile.slots:
        raise WrongKeyError("This practice has no recovery key.")
    found: list[bytes] = []
    for name in (RECOVERY_SLOT, NEXT_PREFIX + RECOVERY_SLOT):
        key = _unwrap(keyfile, name, "hkdf-sha256", lambda s: _recovery_kek(raw, s.salt))
        if key is not None:
            found.append(key)
    if not found:
        raise WrongKeyError("The recovery key is not correct for this practice.")
    return found


def unwrap_with_passphrase(keyfile: KeyFile, passphrase: str) -> bytes:
    """The database key, or :class:`WrongKeyError` if the passphrase is wrong."""
    return passphrase_candidates(keyfile, passphrase)[0]


def unwrap_with_recovery_key(keyfile: KeyFile, recovery_key: str) -> bytes:
    """The database key, or :class:`WrongKeyError` if the recovery key is wrong."""
    return recovery_candidates(keyfile, recovery_key)[0]


def new_keyfile(practice_id: str, key: bytes, passphrase: str) -> tuple[KeyFile, str]:
    """A key file for a new practice and its recovery key (show it once, never store it)."""
    recovery = new_recovery_key()
    keyfile = KeyFile(
        practice_id,
        {
            PASSPHRASE_SLOT: wrap_with_passphrase(practice_id, key, passphrase),
            RECOVERY_SLOT: wrap_with_recovery_key(practice_id, key, recovery),
        },
    )
    return keyfile, recovery


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# --------------------------------------------------------------------------------------------------------
# OS keyring


def keyring_save(practice_id: str, key: bytes) -> None:
    """Keep the database key in the OS keyring.  Raises :class:`KeyringUnavailableError`."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, practice_id, key.hex())
    except (KeyringError, OSError, RuntimeError) as exc:
        raise KeyringUnavailableError(
            "The system keyring is not available; the practice passphrase will be asked for instead."
        ) from exc
    except Exception as exc:  # secretstorage/dbus raise their own families
        raise KeyringUnavailableError(
            "The system keyring is not available; the practice passphrase will be asked for instead."
        ) from exc


def keyring_load(practice_id: str) -> bytes | None:
    """The key kept in the keyring for ``practice_id``, None if none is kept.

    Raises :class:`KeyringUnavailableError` if the keyring cannot be reached.
    """
    import keyring

    try:
        value = keyring.get_password(KEYRING_SERVICE, practice_id)
    except Exception as exc:
        raise KeyringUnavailableError(
            "The system keyring is not available; the practice passphrase will be asked for instead."
        ) from exc
    if not value:
        return None
    try:
        key = bytes.fromhex(value)
    except ValueError:
        log.warning("keyring entry for practice %s is malformed; ignoring it", practice_id)
        return None
    return key if len(key) == KEY_BYTES else None


def keyring_delete(practice_id: str) -> None:
    """Forget the key in the keyring (missing entry or keyring is not an error)."""
    import keyring

    try:
        keyring.delete_password(KEYRING_SERVICE, practice_id)
    except Exception:
        log.info("no keyring entry removed for practice %s", practice_id)
