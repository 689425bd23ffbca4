"""The custodian package ("professional will"): everything a named colleague needs to take over the records.

One action (:func:`write_package`) writes two files:

* ``FILE`` — an **encrypted archive** holding

  - ``practice/practice.stagewise`` (+ ``.keys``): a fresh backup, verified after writing (never the live
    file);
  - ``fhir/practice-bundle.json``: every client's completed questionnaires as a validated FHIR R4 Bundle;
  - ``summaries/<chart number>.pdf``: one clinician progress summary per client;
  - ``README.txt`` and ``manifest.json`` (file names, sizes and SHA-256 digests);

* ``<FILE stem>-instructions.pdf`` — a printable sheet with **no client data**: the practice, the
  custodian, the date, what the package holds and how to open it.

Archive format (version 1)::

    MAGIC (8 bytes) | header length (4 bytes, big-endian) | header (UTF-8 JSON) | chunk* (each: 4-byte
    ciphertext length | AES-256-GCM ciphertext + tag)

The tar stream is cut into chunks of ``chunk_size`` bytes, each sealed with AES-256-GCM under a random
**archive key**; the nonce is ``prefix(7) | counter(4) | last(1)`` (the STREAM construction), and every
chunk's associated data is the SHA-256 of the header, so chunks cannot be reordered, dropped, truncated or
moved to another package, and the header cannot be edited.  The archive key is wrapped (AES-256-GCM) under
a key derived with HKDF-SHA256 from the **practice database key**; the header carries the practice's key
file (wrapped keys only: useless without a secret), so the practice's **recovery key** unwraps the database
key and that unwraps the archive key.  One secret, the recovery key, therefore opens the package *and*
the practice backup inside it.  Nothing is ever decrypted to disk before its tag has been checked, and
an archive that fails to open leaves nothing behind.

Plaintext client data never touches the disk while writing: the PDFs and the FHIR JSON are built in
memory and streamed into the encryptor; only the (encrypted) backup is written to a temporary folder.

Sessions: a maintenance job.  It takes the practice, not a session, and owns short sessions of its own
(reads per section, one transaction for the audit record), so that a long export never holds one open.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import struct
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from stagewise import __version__
from stagewise.core.errors import (
    DiskError,
    NotAPracticeFileError,
    StagewiseError,
    StorageError,
    UserInputError,
    WrongKeyError,
)
from stagewise.core.models import Client, utcnow
from stagewise.core.storage import keys
from stagewise.core.text import clean_line

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


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """What :func:`write_package` wrote."""

    path: Path
    instructions: Path
    clients: int
    summaries: int
    bytes: int


@dataclass(frozen=True, slots=True)
class OpenedPackage:
    """What :func:`open_package` unpacked."""

    folder: Path
    practice_file: Path
    practice_id: str
    practice_name: str
    files: tuple[str, ...]


def instructions_path(package: Path) -> Path:
    """The printable sheet written beside ``package``: ``<stem>-instructions.pdf``."""
    package = Path(package)
    return package.with_name(package.stem + "-instructions.pdf")


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


# --------------------------------------------------------------------------------------------------------
# Writing


def _safe_name(chart: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", chart).strip("._") or "client"
    return cleaned[:80]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _readme(practice_name: str, custodian: str, created: str) -> str:
    return f"""Stagewise custodian package
===========================

Practice:   {practice_name}
Custodian:  {custodian}
Written:    {created}

What is here
------------
practice/practice.stagewise (+ .keys)  the complete practice file (a verified backup). It is encrypted:
                                       open it in Stagewise with the practice's recovery key.
fhir/practice-bundle.json              every client's completed questionnaires and scores as a FHIR R4
                                       Bundle (standard health-data format, plain text).
summaries/*.pdf                        one clinician progress summary per client (plain PDF).
manifest.json                          file sizes and SHA-256 digests.

The PDFs and the FHIR file are NOT encrypted: keep this folder on an encrypted disk, share it only with
people entitled to the records, and delete it securely when it is no longer needed.

To open the practice file
-------------------------
1. Install Stagewise (the same or a newer version).
2. Set a new practice passphrase (type the recovery key, then the new passphrase twice):
       stagewise change-passphrase practice/practice.stagewise --recovery-key
3. Give yourself an account (type the recovery key, then a password for the account twice):
       stagewise users add practice/practice.stagewise YOUR-NAME --role admin clinician --recovery-key
4. Open the practice in the desktop app and sign in with the new passphrase and your account:
       Stagewise practice/practice.stagewise
5. Print a new recovery key for your own safe keeping:
       stagewise new-recovery-key practice/practice.stagewise
"""


def write_package(
    practice: Any,
    out: Path,
    *,
    custodian: str,
    actor: str | None,
    overwrite: bool = False,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> PackageInfo:
    """Write the encrypted custodian package ``out`` and its printable instruction sheet.

    Args:
        practice: the open :class:`stagewise.core.storage.store.Practice`.
        out: the package file to write (``<stem>-instructions.pdf`` is written beside it).
        custodian: who holds the package ("Name, contact"); printed on the sheet.
        actor: who asked, for the audit log.
        overwrite: replace existing files.
        progress: called with (step, done, total) as the work advances (from the calling thread).
        now: the time printed on the sheet (default: now).

    Raises:
        UserInputError: no custodian named, or the files exist.
        DiskError / StorageError: the files could not be written (nothing is left behind).
    """
    from stagewise.core.audit import trail as audit
    from stagewise.core.interchange import fhir_bundle
    from stagewise.core.reports.client_summary import Audience, build_client_summary
    from stagewise.core.reports.data import gather_client_report
    from stagewise.core.storage import backup, store

    out = Path(out)
    sheet = instructions_path(out)
    custodian = clean_line(custodian or "")
    if not custodian:
        raise UserInputError("Name the custodian (name and how to reach them), e.g. --custodian 'Dr A. Lee'.")
    if len(custodian) > 300:
        raise UserInputError("The custodian's name and contact must have at most 300 characters.")
    if out.is_dir():
        raise UserInputError(f"{out} is a folder; name the package file to write.")
    for path in (out, sheet):
        if path.exists() and not overwrite:
            raise UserInputError(f"{path.name} already exists; use --force to replace it.")
    when = (now or utcnow()).astimezone(dt.UTC)
    created = when.strftime("%Y-%m-%d %H:%M UTC")
    step = progress or (lambda _s, _d, _t: None)

    with practice.session_factory() as s:
        from stagewise.core.settings import load_settings

        practice_name = load_settings(s).practice_name
        client_ids = [
            (int(r[0]), str(r[1]))
            for r in s.execute(select(Client.id, Client.chart_number).order_by(Client.chart_number))
        ]
    keyfile = keys.KeyFile.read(practice.keyfile_path)
    archive_key = secrets.token_bytes(keys.KEY_BYTES)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "app_version": __version__,
        "practice_id": practice.practice_id,
        "practice_name": practice_name,
        "created": when.isoformat(),
        "custodian": custodian,
        "keyfile": json.loads(keyfile.to_bytes()),
        "archive_key": _wrap_archive_key(practice.practice_id, practice.key, archive_key),
        "nonce_prefix": _b64(secrets.token_bytes(_NONCE_PREFIX)),
        "chunk_size": CHUNK_SIZE,
    }
    raw_header = _header_bytes(header)
    aad = hashlib.sha256(raw_header).digest()
    partial = out.with_name(out.name + ".partial")
    total_steps = len(client_ids) + 3
    manifest: list[dict[str, Any]] = []
    mtime = when.timestamp()
    try:
        with tempfile.TemporaryDirectory(prefix="stagewise-custodian-") as tmp:
            step("Writing a verified backup", 0, total_steps)
            snap = Path(tmp) / "practice.stagewise"
            backup.write_backup(practice.engine, snap, practice.key)
            out.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as fh:
                fh.write(MAGIC + struct.pack(">I", len(raw_header)) + raw_header)
                sealer = _Sealer(fh, archive_key, _unb64(header["nonce_prefix"]), aad, CHUNK_SIZE)
                with tarfile.open(fileobj=sealer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                    for src, name in (
                        (snap, PRACTICE_MEMBER),
                        (keys.keyfile_path(snap), PRACTICE_MEMBER + ".keys"),
                    ):
                        info = tar.gettarinfo(str(src), arcname=name)
                        info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                        with open(src, "rb") as stream:
                            tar.addfile(info, stream)
                        manifest.append({"file": name, "bytes": info.size, "sha256": _sha256_file(src)})
                    step("Writing the FHIR export", 1, total_steps)
                    with practice.session_factory() as s:
                        bundle = fhir_bundle.practice_bundle(s)
                    fhir_data = (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
                    del bundle
                    _add_bytes(tar, FHIR_MEMBER, fhir_data, mtime)
                    manifest.append(_entry(FHIR_MEMBER, fhir_data))
                    del fhir_data
                    used: set[str] = set()
                    for n, (client_id, chart) in enumerate(client_ids, start=1):
                        step("Writing progress summaries", 1 + n, total_steps)
                        base = _safe_name(chart)
                        name = base if base not in used else f"{base}-{client_id}"
                        used.add(name)
                        pdf = io.BytesIO()
                        with practice.session_factory() as s:
                            report = gather_client_report(s, client_id, include_notes=True)
                        build_client_summary(report, pdf, audience=Audience.CLINICIAN)
                        member = f"summaries/{name}.pdf"
                        _add_bytes(tar, member, pdf.getvalue(), mtime)
                        manifest.append(_entry(member, pdf.getvalue()))
                    readme = _readme(practice_name, custodian, created).encode("utf-8")
                    _add_bytes(tar, "README.txt", readme, mtime)
                    doc = {
                        "format": "stagewise-custodian-manifest",
                        "practice_id": practice.practice_id,
                        "created": when.isoformat(),
                        "clients": len(client_ids),
                        "files": manifest,
                    }
                    _add_bytes(tar, "manifest.json", (json.dumps(doc, indent=2) + "\n").encode(), mtime)
                sealer.finish()
                fh.flush()
                os.fsync(fh.fileno())
            step("Writing the instruction sheet", total_steps - 1, total_steps)
            sheet_partial = sheet.with_name(sheet.name + ".partial")
            write_instructions(
                sheet_partial,
                practice_name=practice_name,
                custodian=custodian,
                created=created,
                package_name=out.name,
                clients=len(client_ids),
            )
            _check_package(partial, practice.key)
            os.replace(sheet_partial, sheet)
            os.replace(partial, out)
    except OSError as exc:
        _cleanup(partial, sheet.with_name(sheet.name + ".partial"))
        _record(practice, actor, out, ok=False, message=f"could not write: {exc.strerror}")
        raise DiskError(
            f"The custodian package could not be written to {out.parent}: {exc.strerror}."
        ) from exc
    except StagewiseError as exc:
        _cleanup(partial, sheet.with_name(sheet.name + ".partial"))
        _record(practice, actor, out, ok=False, message=str(exc))
        raise
    except BaseException:
        _cleanup(partial, sheet.with_name(sheet.name + ".partial"))
        raise
    size = out.stat().st_size
    step("Done", total_steps, total_steps)
    with practice.session_factory.begin() as s:
        store.record_maintenance(s, "custodian", True, out.name, None)
        audit.record(
            s,
            actor,
            "custodian",
            "practice",
            practice.practice_id,
            {"file": out.name, "clients": len(client_ids), "bytes": size},
        )
    log.info("custodian package written (%d clients, %d bytes)", len(client_ids), size)
    return PackageInfo(out, sheet, len(client_ids), len(client_ids), size)


def _entry(name: str, data: bytes) -> dict[str, Any]:
    return {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _cleanup(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _record(practice: Any, actor: str | None, out: Path, *, ok: bool, message: str | None) -> None:
    from stagewise.core.audit import trail as audit
    from stagewise.core.storage import store

    try:
        with practice.session_factory.begin() as s:
            store.record_maintenance(s, "custodian", ok, out.name, message)
            audit.record(
                s, actor, "custodian", "practice", practice.practice_id, {"file": out.name, "ok": ok}
            )
    except Exception:  # the original failure matters more than its record
        log.exception("could not record the failed custodian package")


def _check_package(path: Path, database_key: bytes) -> None:
    """Read the package back with the database key: every tag checked, every tar member readable."""
    with open(path, "rb") as fh:
        header = read_header(fh, name=path.name)
        archive_key = _unwrap_archive_key(header.practice_id, database_key, header.archive_key)
        if archive_key is None:
            raise StorageError("The custodian package could not be read back; nothing was written.")
        opener = _Opener(fh, archive_key, header.nonce_prefix, hashlib.sha256(header.raw).digest())
        with tarfile.open(fileobj=opener, mode="r|") as tar:
            for member in tar:
                extracted = tar.extractfile(member)
                if extracted is not None:
                    while extracted.read(1024 * 1024):
                        pass
        opener.drain()


# --------------------------------------------------------------------------------------------------------
# Instruction sheet (no client data)


def write_instructions(
    out: Path | IO[bytes],
    *,
    practice_name: str,
    custodian: str,
    created: str,
    package_name: str,
    clients: int,
) -> None:
    """The printable sheet that goes with a package: who, what, and how to open it. No client data."""
    from reportlab.platypus import Spacer

    from stagewise.core.reports.layout import PageDecor, para, render, styles

    st = styles()
    story: list[Any] = [
        para("Custodian package: instructions", st.title),
        para(
            f"This sheet goes with the encrypted file {package_name}, written on {created} by Stagewise "
            f"for the practice {practice_name}. It names the person who will look after the practice's "
            'client records if the practitioner cannot (a "professional will"). Keep this sheet with '
            "the package; it holds no client information and no secret.",
        ),
        para("Custodian", st.h1),
        para(custodian),
        para("What the package holds", st.h1),
        para(
            f"The complete practice file ({clients} client record(s)) as a verified encrypted backup; a "
            "FHIR R4 export of every completed questionnaire and score (a standard format other systems "
            "can import); one progress summary PDF per client; a README and a list of the files with "
            "their checksums."
        ),
        para("What you need", st.h1),
        para(
            "The practice's RECOVERY KEY: 32 letters and digits printed as 8 groups of 4, kept on the "
            "recovery sheet Stagewise printed when the practice was set up (or when the key was last "
            "renewed). It opens both this package and the practice file inside it. It is not written "
            "here on purpose: keep this sheet and the recovery key in different places (for example the "
            "recovery key in a sealed envelope with the practitioner's solicitor or executor)."
        ),
        para("How to open the package", st.h1),
    ]
    steps = [
        "Install Stagewise (the same version or a newer one) from the practice's installer or the "
        "Stagewise website, on a computer with disk encryption switched on. The commands below are "
        "typed in a terminal; on Windows the command is stagewise-cli (in the Stagewise program folder, "
        "%LOCALAPPDATA%\\Programs\\Stagewise) and on a Mac Stagewise.app/Contents/MacOS/stagewise-cli.",
        f"In the folder holding the package, run:  stagewise custodian-open {package_name} --out Records",
        "Type the recovery key when asked. A wrong key is refused and nothing is unpacked; a package that "
        "was changed or damaged is refused too (use another copy).",
        "The folder Records now holds README.txt, the progress summaries (summaries/), the FHIR export "
        "(fhir/) and the practice file (practice/practice.stagewise with its .keys file). The PDFs and the "
        "FHIR file are not encrypted: keep the folder on an encrypted disk.",
        "Set a new practice passphrase: run  stagewise change-passphrase "
        "Records/practice/practice.stagewise --recovery-key  and type the recovery key, then a new "
        "passphrase of your own (twice).",
        "Give yourself an account: run  stagewise users add Records/practice/practice.stagewise YOUR-NAME "
        "--role admin clinician --recovery-key  and type the recovery key, then a password for the account.",
        "Open the practice in the desktop app:  Stagewise Records/practice/practice.stagewise  and sign in "
        "with the new passphrase and your account. Print a new recovery key for your own safe keeping "
        "(stagewise new-recovery-key Records/practice/practice.stagewise) and make a backup.",
    ]
    for n, text in enumerate(steps, start=1):
        story.append(para(f"{n}. {text}"))
    story += [
        Spacer(1, 8),
        para("If something goes wrong", st.h1),
        para(
            '"The recovery key is not correct": check each group of four; 0, 1 and 8 are read as O, I '
            "and B. If the practice renewed its recovery key after the date above, the key that was "
            'current on that date is the one that opens this package. "The package has been changed or '
            'damaged": use another copy of the package (keep at least two).'
        ),
    ]
    decor = PageDecor(
        practice_name=practice_name,
        title="Custodian package",
        identifiers=None,
        confidentiality="This sheet holds no client information. Keep it apart from the recovery key.",
        generated=f"Made with Stagewise on {created}",
    )
    render(story, out, decor, subject="Custodian package instructions")


# --------------------------------------------------------------------------------------------------------
# Opening


def package_header(path: Path) -> PackageHeader:
    """The clear-text header of the package at ``path`` (practice name, custodian, date)."""
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"There is no custodian package at {path}.")
    with open(path, "rb") as fh:
        return read_header(fh, name=path.name)


def _archive_key(header: PackageHeader, *, recovery_key: str | None, passphrase: str | None) -> bytes:
    if recovery_key is not None:
        try:
            candidates = keys.recovery_candidates(header.keyfile, recovery_key)
        except WrongKeyError as exc:
            if "not a recovery key" in str(exc):
                raise
            raise WrongKeyError(
                "The recovery key is not correct for this package; nothing was unpacked. Check each "
                "group of four, and use the key that was current when the package was written."
            ) from exc
    elif passphrase is not None:
        candidates = keys.passphrase_candidates(header.keyfile, passphrase)
    else:
        raise WrongKeyError("The recovery key is needed to open the package.")
    for key in candidates:
        found = _unwrap_archive_key(header.practice_id, key, header.archive_key)
        if found is not None:
            return found
    raise TamperedPackageError(
        "The package's key could not be unwrapped although the recovery key is right: the package was "
        "changed or damaged. Use another copy."
    )


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for member in tar:
        name = member.name
        parts = Path(name).parts
        if (
            not (member.isfile() or member.isdir())
            or name.startswith(("/", "\\"))
            or ".." in parts
            or (parts and ":" in parts[0])
        ):
            raise TamperedPackageError(f"The package holds an unsafe entry ({name!r}); nothing was unpacked.")
        yield member


def open_package(
    path: Path,
    out_dir: Path,
    *,
    recovery_key: str | None = None,
    passphrase: str | None = None,
) -> OpenedPackage:
    """Decrypt and unpack the package at ``path`` into the new folder ``out_dir``.

    Everything is unpacked into a hidden folder beside ``out_dir`` and renamed into place only after the
    last chunk's tag has been checked: a wrong key, a changed byte or a truncated file leaves nothing.

    Args:
        path: the package file.
        out_dir: a folder that does not exist yet (or is empty).
        recovery_key: the practice's recovery key (what a custodian has).
        passphrase: the practice passphrase current when the package was written (the practitioner).

    Raises:
        WrongKeyError: the key is wrong.
        TamperedPackageError: the package was changed, truncated or damaged.
        NotAPracticeFileError: not a custodian package.
        UserInputError: ``out_dir`` exists and is not empty.
    """
    path, out_dir = Path(path), Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserInputError(f"{out_dir} already exists and is not empty; name a new folder.")
    with open(path, "rb") as fh:
        header = read_header(fh, name=path.name)
        archive_key = _archive_key(header, recovery_key=recovery_key, passphrase=passphrase)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.opening-", dir=out_dir.parent))
        try:
            opener = _Opener(fh, archive_key, header.nonce_prefix, hashlib.sha256(header.raw).digest())
            files: list[str] = []
            try:
                with tarfile.open(fileobj=opener, mode="r|") as tar:
                    for member in _members(tar):
                        target = staging.joinpath(*Path(member.name).parts)
                        if member.isdir():
                            target.mkdir(mode=0o700, parents=True, exist_ok=True)
                            continue
                        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                        extracted = tar.extractfile(member)
                        assert extracted is not None
                        # Client data: readable by this account only (the folder is 0700 as well).
                        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
                        with os.fdopen(fd, "wb") as dst:
                            shutil.copyfileobj(extracted, dst, 1024 * 1024)
                        files.append(member.name)
                opener.drain()
            except tarfile.TarError as exc:
                raise TamperedPackageError("The package is damaged: its contents cannot be read.") from exc
            practice_file = staging / PRACTICE_MEMBER
            if not practice_file.is_file() or not keys.keyfile_path(practice_file).is_file():
                raise TamperedPackageError("The package does not hold a practice file; it is damaged.")
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    log.info("custodian package opened (%d files)", len(files))
    return OpenedPackage(
        out_dir, out_dir / PRACTICE_MEMBER, header.practice_id, header.practice_name, tuple(files)
    )


__all__ = [
    "PACKAGE_SUFFIX",
    "OpenedPackage",
    "PackageHeader",
    "PackageInfo",
    "TamperedPackageError",
    "instructions_path",
    "open_package",
    "package_header",
    "write_instructions",
    "write_package",
]
