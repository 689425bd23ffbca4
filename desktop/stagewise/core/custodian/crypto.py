"""The custodian package's cryptography and container: the archive key wrapped under a key derived from the
database key, the chunked AES-GCM stream, and the package header.  :mod:`.package` writes and opens
packages with them.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stagewise.core.errors import (
    NotAPracticeFileError,
    StorageError,
)
from stagewise.core.storage import keys

log = logging.getLogger(__name__)

MAGIC = b"SWCUST\x00\x01"
FORMAT = "stagewise-custodian"
VERSION = 1
PACKAGE_SUFFIX = ".stagewise-custodian"
CHUNK_SIZE = 1024 * 1024  # 1 MiB of plaintext per sealed chunk
_MAX_HEADER = 1024 * 1024
_MAX_CHUNK = 64 * 1024 * 1024
_NONCE_PREFIX = 7
_TAG = 16
_HKDF_INFO = b"stagewise custodian archive key v1"
PRACTICE_MEMBER = "practice/practice.stagewise"
FHIR_MEMBER = "fhir/practice-bundle.json"

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation

Progress = Callable[[str, int, int], None]  # (step, done, total)


class TamperedPackageError(StorageError):
    """The package's authentication failed: it was changed, truncated or damaged after it was written."""


# --------------------------------------------------------------------------------------------------------
# Keys


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text).encode("ascii"), validate=True)


def _kek(database_key: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=keys.KEY_BYTES, salt=salt, info=_HKDF_INFO).derive(
        database_key
    )


def _key_aad(practice_id: str) -> bytes:
    return f"stagewise-custodian:{practice_id}:archive-key".encode()


def _wrap_archive_key(practice_id: str, database_key: bytes, archive_key: bytes) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    ct = AESGCM(_kek(database_key, salt)).encrypt(nonce, archive_key, _key_aad(practice_id))
    return {"kdf": "hkdf-sha256", "salt": _b64(salt), "nonce": _b64(nonce), "ciphertext": _b64(ct)}


def _unwrap_archive_key(practice_id: str, database_key: bytes, wrapped: dict[str, Any]) -> bytes | None:
    try:
        salt, nonce, ct = (_unb64(wrapped[k]) for k in ("salt", "nonce", "ciphertext"))
        return AESGCM(_kek(database_key, salt)).decrypt(nonce, ct, _key_aad(practice_id))
    except (InvalidTag, ValueError, KeyError):
        return None


# --------------------------------------------------------------------------------------------------------
# Chunked AES-GCM stream


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= 2**32:
        raise StorageError("The package is too large (more than 4 billion chunks).")
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class _Sealer(io.RawIOBase):
    """A write-only file object: buffers plaintext and writes sealed chunks to ``out``."""

    def __init__(self, out: IO[bytes], key: bytes, prefix: bytes, aad: bytes, chunk_size: int) -> None:
        super().__init__()
        self._out = out
        self._aead = AESGCM(key)
        self._prefix = prefix
        self._aad = aad
        self._chunk = chunk_size
        self._buf = bytearray()
        self._counter = 0
        self._finished = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buf += view
        # Keep at least one byte back so the final chunk (flagged "last") is never empty unless all is.
        while len(self._buf) > self._chunk:
            self._seal(bytes(self._buf[: self._chunk]), last=False)
            del self._buf[: self._chunk]
        return len(view)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), plain, self._aad)
        self._out.write(struct.pack(">I", len(sealed)))
        self._out.write(sealed)
        self._counter += 1

    def finish(self) -> None:
        if not self._finished:
            self._seal(bytes(self._buf), last=True)
            self._buf.clear()
            self._finished = True


class _Opener(io.RawIOBase):
    """A read-only file object: reads sealed chunks from ``src`` and yields checked plaintext."""

    def __init__(self, src: IO[bytes], key: bytes, prefix: bytes, aad: bytes) -> None:
        super().__init__()
        self._src = src
        self._aead = AESGCM(key)
        self._prefix = prefix
        self._aad = aad
        self._buf = b""
        self._pos = 0
        self._counter = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes | None:
        if self._done:
            return None
        head = self._src.read(4)
        if len(head) != 4:
            raise TamperedPackageError("The package is incomplete: it ends before its last part.")
        (length,) = struct.unpack(">I", head)
        if not _TAG <= length <= _MAX_CHUNK:
            raise TamperedPackageError("The package is damaged: a part has an impossible length.")
        sealed = self._src.read(length)
        if len(sealed) != length:
            raise TamperedPackageError("The package is incomplete: it ends in the middle of a part.")
        for last in (False, True):
            try:
                plain = self._aead.decrypt(_nonce(self._prefix, self._counter, last), sealed, self._aad)
            except InvalidTag:
                continue
            self._counter += 1
            if last:
                self._done = True
                if self._src.read(1):
                    raise TamperedPackageError("The package is damaged: data follows its last part.")
            return plain
        raise TamperedPackageError(
            "The package has been changed or damaged since it was written (its authentication check "
            "failed); nothing was unpacked. Use another copy of the package."
        )

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._pos >= len(self._buf):
            chunk = self._next_chunk()
            if chunk is None:
                return 0
            self._buf, self._pos = chunk, 0
        n = min(len(view), len(self._buf) - self._pos)
        view[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        return n

    def drain(self) -> None:
        """Read and check every remaining chunk (a tar reader may stop before the end)."""
        while self._next_chunk() is not None:
            pass


# --------------------------------------------------------------------------------------------------------
# Header


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class PackageHeader:
    """The clear-text header: practice id and name, when, and the wrapped keys (no secret in the clear)."""

    practice_id: str
    practice_name: str
    created: str
    custodian: str
    keyfile: keys.KeyFile
    archive_key: dict[str, Any]
    nonce_prefix: bytes
    chunk_size: int
    raw: bytes


def read_header(fh: IO[bytes], *, name: str = "package") -> PackageHeader:
    """Read and parse the header of a package file positioned at its start.

    Raises:
        NotAPracticeFileError: not a custodian package.
        StorageError: written by a newer Stagewise.
    """
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise NotAPracticeFileError(f"{name} is not a Stagewise custodian package.")
    head = fh.read(4)
    if len(head) != 4:
        raise NotAPracticeFileError(f"{name} is not a complete Stagewise custodian package.")
    (length,) = struct.unpack(">I", head)
    if not 2 <= length <= _MAX_HEADER:
        raise NotAPracticeFileError(f"{name} is damaged: its header has an impossible length.")
    raw = fh.read(length)
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("wrong format")
        if int(doc.get("version", 0)) > VERSION:
            raise StorageError(f"{name} was written by a newer Stagewise; install the latest Stagewise.")
        return PackageHeader(
            practice_id=str(doc["practice_id"]),
            practice_name=str(doc.get("practice_name", "")),
            created=str(doc.get("created", "")),
            custodian=str(doc.get("custodian", "")),
            keyfile=keys.KeyFile.from_bytes(json.dumps(doc["keyfile"]).encode("utf-8"), source=name),
            archive_key=dict(doc["archive_key"]),
            nonce_prefix=_unb64(doc["nonce_prefix"]),
            chunk_size=int(doc["chunk_size"]),
            raw=raw,
        )
    except StorageError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise NotAPracticeFileError(f"{name} is damaged: its header cannot be read.") from exc
