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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from stagewise import __version__
from stagewise.core.custodian.crypto import (  # the public names are re-exported: the package format
    _NONCE_PREFIX,
    _O_BINARY,
    CHUNK_SIZE,
    FHIR_MEMBER,
    FORMAT as FORMAT,
    MAGIC as MAGIC,
    PACKAGE_SUFFIX as PACKAGE_SUFFIX,
    PRACTICE_MEMBER,
    VERSION as VERSION,
    PackageHeader as PackageHeader,
    Progress as Progress,
    TamperedPackageError as TamperedPackageError,
    _b64,
    _header_bytes,
    _Opener,
    _Sealer,
    _unb64,
    _unwrap_archive_key,
    _wrap_archive_key,
    read_header as read_header,
)
from stagewise.core.custodian.instructions import write_instructions as write_instructions
from stagewise.core.errors import (
    DiskError,
    StagewiseError,
    StorageError,
    UserInputError,
    WrongKeyError,
)
from stagewise.core.models import Client, utcnow
from stagewise.core.storage import keys
from stagewise.core.text import clean_line

log = logging.getLogger(__name__)


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
