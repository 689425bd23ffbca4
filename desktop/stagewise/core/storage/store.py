"""Create and open the encrypted practice file (SQLCipher 4 through SQLAlchemy's ``pysqlcipher`` dialect).

Opening a practice:

1. refuses a missing file, a plain SQLite file or anything else that is not a practice file, with a
   sentence that says so;
2. keys the connection with the raw 256-bit key and proves the key by reading the schema;
3. sets WAL, foreign keys, synchronous=FULL and a busy timeout on every connection; every transaction
   takes the write lock at its start (``BEGIN IMMEDIATE``, waiting its turn: :mod:`.rawdb`), except
   those of :attr:`Practice.read_factory`, which only read and never wait for writers;
4. checks the practice id against the key file, refuses a file from a newer Stagewise, and applies any
   pending Alembic migration after an automatic encrypted backup (restored if the migration fails).

``cipher_integrity_check`` reads every page, so it is a separate call (:func:`integrity_problems`): the
``stagewise verify`` runs it (with the audit and note chains: ``verify.verify_practice``); the app runs it
off the UI thread.

Sessions: this module makes the session factory.  Creating, opening and re-keying a practice own their
short sessions (the first settings, the key check); nothing else here opens one.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from stagewise.core.audit import seals
from stagewise.core.errors import (
    KeyringUnavailableError,
    NewerVersionError,
    NotAPracticeFileError,
    ProtectionMissingError,
    StorageError,
    WrongKeyError,
)
from stagewise.core.models import MaintenanceLog, Setting
from stagewise.core.storage import anchor, keys, protections, rawdb
from stagewise.core.storage.engine import (  # re-exported: the engine-level names callers know from here
    PRACTICE_SUFFIX as PRACTICE_SUFFIX,
    READ_ONLY as READ_ONLY,
    CreatedPractice as CreatedPractice,
    Practice as Practice,
    checkpoint as checkpoint,
    disk_errors as _disk_errors,
    file_size as file_size,
    integrity_problems as integrity_problems,
    make_engine as make_engine,
    prove_key as _prove_key,
    reading as reading,
    remove_practice_files as remove_practice_files,
    session_factory_for as _session_factory,
    wal_files as _wal_files,
)
from stagewise.core.storage.unlock import (  # re-exported: unlocking needs no SQLAlchemy (see unlock.py)
    SQLITE_PLAIN_HEADER as SQLITE_PLAIN_HEADER,
    KeyringResult as KeyringResult,
    Unlocked as Unlocked,
    key_opens as key_opens,
    sniff as sniff,
    try_keyring as try_keyring,
    unlock_key as unlock_key,
)

log = logging.getLogger(__name__)

seals.install()  # every session writes the digests of the final records it changes (seals.py)


# --------------------------------------------------------------------------------------------------------
# Create and open


def create_practice(
    path: Path,
    passphrase: str,
    *,
    name: str = "My practice",
    save_to_keyring: bool = True,
) -> CreatedPractice:
    """Create a new, empty, encrypted practice file and its key file.

    Args:
        path: where the practice file goes (must not exist).
        passphrase: the practice passphrase; checked for strength.
        name: the practice's display name (printed on reports).
        save_to_keyring: also keep the key in the OS keyring; failure is reported, not fatal.

    Returns:
        The open practice, the recovery key (to show once) and whether the keyring took the key.
    """
    path = Path(path)
    kpath = keys.keyfile_path(path)
    if path.exists() or kpath.exists():
        raise StorageError(f"{path.name} already exists; choose another file name.")
    keys.check_passphrase(passphrase, context=(name,))
    practice_id = uuid.uuid4().hex
    key = keys.new_database_key()
    keyfile, recovery = keys.new_keyfile(practice_id, key, passphrase)
    engine: Engine | None = None
    with _disk_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            keyfile.write(kpath)
            engine = make_engine(path, key)
            from stagewise.core.audit import trail as audit
            from stagewise.core.storage.migrate import upgrade_to_head

            upgrade_to_head(engine)
            with _session_factory(engine).begin() as s:
                s.add(Setting(key="practice_id", value=practice_id))
                s.add(Setting(key="practice_name", value=name))
                audit.record(s, None, "create", "practice", practice_id)
        except BaseException:
            if engine is not None:
                engine.dispose()
            for leftover in (path, kpath, *_wal_files(path)):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise
    saved = False
    if save_to_keyring:
        try:
            keys.keyring_save(practice_id, key)
            saved = True
        except KeyringUnavailableError:
            log.info("keyring unavailable at creation of practice %s", practice_id)
    practice = Practice(path, practice_id, engine, _session_factory(engine), key)
    log.info("created practice %s", practice_id)
    return CreatedPractice(practice, recovery, saved)


def read_practice_id(path: Path) -> str:
    """The practice id from the key file beside ``path``."""
    return keys.KeyFile.read(keys.keyfile_path(path)).practice_id


def _check_protections(engine: Engine, path: Path) -> None:
    """Refuse a file whose protective triggers are missing or changed (compared with ``ddl``'s text)."""
    with engine.connect() as conn:
        found = protections.problems(conn)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ProtectionMissingError(
            f"{path.name} will not be opened for writing: {found[0]}{more}, so it was changed outside "
            "Stagewise. Run 'stagewise verify' on it and restore the latest good backup (stagewise restore)."
        )


def open_practice(
    path: Path,
    key: bytes,
    *,
    migrate: bool = True,
    check_integrity: bool = False,
    allow_unprotected: bool = False,
) -> Practice:
    """Open an existing practice file with its database key.

    Args:
        path: the practice file.
        key: the 32-byte database key (from the keyring, passphrase or recovery key: see :func:`unlock_key`).
        migrate: apply pending schema migrations (after an automatic backup).
        check_integrity: run the full page check now (slow on large files).
        allow_unprotected: open even when a protective trigger is missing or changed (``verify`` and the
            restore drill, which report each one); otherwise that raises :class:`ProtectionMissingError`.

    Raises:
        NotAPracticeFileError, WrongKeyError, NewerVersionError, MigrationError, ProtectionMissingError,
        StorageError.
    """
    path = Path(path)
    sniff(path)
    keyfile = keys.KeyFile.read(keys.keyfile_path(path))
    engine = make_engine(path, key)
    _prove_key(engine, path)
    from stagewise.core.storage import migrate as migrations, upgrade

    try:
        state = migrations.state(reading(engine))
        if state.newer:
            raise NewerVersionError(
                f"{path.name} was written by a newer version of Stagewise; "
                "install the latest Stagewise to open it. Nothing was changed."
            )
        if not state.has_schema:
            raise NotAPracticeFileError(f"{path.name} is an encrypted database but not a Stagewise practice.")
        try:
            with _session_factory(reading(engine))() as s:
                stored_id = s.get(Setting, "practice_id")
        except DatabaseError as exc:
            raise NotAPracticeFileError(
                f"{path.name} is an encrypted database but not a readable Stagewise practice."
            ) from exc
        if stored_id is None or stored_id.value != keyfile.practice_id:
            raise NotAPracticeFileError(
                f"{path.name} and its key file belong to different practices; keep each practice file "
                "with its own .keys file."
            )
        if check_integrity:
            problems = integrity_problems(engine)
            if problems:
                raise StorageError(
                    f"{path.name} is damaged ({problems[0]}); restore the latest backup (stagewise restore)."
                )
        if state.pending and migrate:
            engine = upgrade.upgrade_with_backup(engine, path, key)
        if not allow_unprotected:
            _check_protections(engine, path)
    except BaseException:
        engine.dispose()
        raise
    log.info("opened practice %s", keyfile.practice_id)
    practice = Practice(path, keyfile.practice_id, engine, _session_factory(engine), key)
    anchor.advance(practice)  # the audit chain's head, written down outside the file (anchor.py)
    return practice


# --------------------------------------------------------------------------------------------------------
# Unlocking: where the key comes from


def remember_key(practice: Practice) -> str | None:
    """Keep the practice key in this computer's keyring; returns the reason if the keyring refused."""
    try:
        keys.keyring_save(practice.practice_id, practice.key)
    except KeyringUnavailableError as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------------------------------------
# Key and passphrase changes (they change the key file, not the database: the caller records the audit
# event, e.g. ``audit.record(s, user, "change_passphrase", "practice", practice_id)``)


def change_passphrase(path: Path, key: bytes, new_passphrase: str, *, context: tuple[str, ...] = ()) -> None:
    """Re-wrap the database key under a new passphrase.  The recovery key keeps working.

    Args:
        path: the practice file (its key file is rewritten atomically).
        key: the database key, proved by the caller (from the current passphrase or the recovery key).
        new_passphrase: checked for strength first.
        context: names the passphrase must not be built around (practice name, user name).

    Raises:
        WeakPassphraseError: with the reason; nothing was changed.
        WrongKeyError: ``key`` does not open the practice file.
    """
    path = Path(path)
    keys.check_passphrase(new_passphrase, context=context)
    if not key_opens(path, key):
        raise WrongKeyError(f"That key does not open {path.name}; nothing was changed.")
    kpath = keys.keyfile_path(path)
    keyfile = keys.KeyFile.read(kpath)
    keyfile.slots[keys.PASSPHRASE_SLOT] = keys.wrap_with_passphrase(keyfile.practice_id, key, new_passphrase)
    keyfile.slots.pop(keys.NEXT_PREFIX + keys.PASSPHRASE_SLOT, None)
    with _disk_errors(kpath):
        keyfile.write(kpath)
    log.info("passphrase changed for practice %s", keyfile.practice_id)


def new_recovery_key(path: Path, key: bytes) -> str:
    """Replace the recovery key (the old one stops working); returns the new one to print once."""
    path = Path(path)
    if not key_opens(path, key):
        raise WrongKeyError(f"That key does not open {path.name}; nothing was changed.")
    kpath = keys.keyfile_path(path)
    keyfile = keys.KeyFile.read(kpath)
    recovery = keys.new_recovery_key()
    keyfile.slots[keys.RECOVERY_SLOT] = keys.wrap_with_recovery_key(keyfile.practice_id, key, recovery)
    keyfile.slots.pop(keys.NEXT_PREFIX + keys.RECOVERY_SLOT, None)
    with _disk_errors(kpath):
        keyfile.write(kpath)
    log.info("recovery key replaced for practice %s", keyfile.practice_id)
    return recovery


def rotate_key(practice: Practice, passphrase: str, *, actor: str | None = None) -> tuple[Practice, str]:
    """Replace the database key (``PRAGMA rekey``), verify by reopening, re-wrap, and renew the recovery key.

    Crash safety: the new key is first added to the key file under ``next:`` slots, and a backup of the
    file (with the old key file) is written beside it.  Whatever moment the process dies, the passphrase
    opens the file afterwards (:func:`unlock_key` tries both keys).  The old recovery key cannot open the
    rotated file: a new one is returned for printing.

    Args:
        practice: the open practice; it is closed and a reopened one is returned.
        passphrase: the current passphrase (both slots must be rewritten).
        actor: who asked, for the audit event.

    Returns:
        The reopened practice and the new recovery key.

    Raises:
        WrongKeyError: the passphrase is wrong (nothing changed).
        StorageError: the rotation could not be verified (the file was put back as it was).
    """
    path = practice.path
    kpath = practice.keyfile_path
    keyfile = keys.KeyFile.read(kpath)
    if practice.key not in keys.passphrase_candidates(keyfile, passphrase):
        raise WrongKeyError("The practice passphrase is not correct.")
    new_key = keys.new_database_key()
    recovery = keys.new_recovery_key()
    pid = keyfile.practice_id
    backup_copy = path.with_name(path.name + ".pre-rekey")
    staged = (keys.NEXT_PREFIX + keys.PASSPHRASE_SLOT, keys.NEXT_PREFIX + keys.RECOVERY_SLOT)
    from stagewise.core.storage.snapshot import put_back, write_backup

    # The audit anchor is authenticated with the database key: it leaves the key file while the key may
    # change (a file re-keyed by an interrupted rotation must not carry an anchor made with the old key),
    # and comes back if the old key stays; the new key's anchor is written once the rotation is verified.
    old_anchor = keyfile.anchor

    def unstage() -> None:
        """Drop the ``next:`` slots and the ``.pre-rekey`` copy: the file still has its old key."""
        keyfile.anchor = old_anchor
        for name in staged:
            keyfile.slots.pop(name, None)
        try:
            keyfile.write(kpath)
        except OSError:  # harmless: an unused next: slot never opens the file
            log.warning("rotate-key: the next: slots could not be removed from the key file")
        for leftover in (backup_copy, keys.keyfile_path(backup_copy)):
            leftover.unlink(missing_ok=True)

    try:
        with _disk_errors(path):
            write_backup(practice.engine, backup_copy, practice.key)
            keyfile.slots[staged[0]] = keys.wrap_with_passphrase(pid, new_key, passphrase, slot=staged[0])
            keyfile.slots[staged[1]] = keys.wrap_with_recovery_key(pid, new_key, recovery, slot=staged[1])
            keyfile.anchor = None
            keyfile.write(kpath)
            checkpoint(practice.engine)
            practice.close()
            _rekey(path, practice.key, new_key)
    except BaseException:
        # The rekey is one transaction: the file has either its old key (undo everything) or its new
        # one (keep the next: slots, which the passphrase and the new recovery key open).
        try:
            rekeyed = key_opens(path, new_key) and not key_opens(path, practice.key)
        except StorageError:
            rekeyed = False
        if not rekeyed:
            unstage()
        raise
    try:
        reopened = open_practice(path, new_key, migrate=False, check_integrity=True)
    except BaseException as exc:  # not verified (or interrupted): the file goes back as it was
        put_back(backup_copy, path)
        unstage()
        if not isinstance(exc, Exception):
            raise
        raise StorageError(
            "Key rotation could not be verified; the practice file was put back as it was."
        ) from exc
    # Verified: the .pre-rekey copy goes whatever happens next (if the final key-file write fails, the
    # next: slots written above still open the file with the passphrase and the new recovery key).
    try:
        # Re-wrap under the final slot names (the associated data names the slot), dropping the old key;
        # the anchor was authenticated with the old key, so it is written again below with the new one.
        keyfile.anchor = None
        keyfile.slots = {
            keys.PASSPHRASE_SLOT: keys.wrap_with_passphrase(pid, new_key, passphrase),
            keys.RECOVERY_SLOT: keys.wrap_with_recovery_key(pid, new_key, recovery),
        }
        with _disk_errors(kpath):
            keyfile.write(kpath)
        with contextlib.suppress(KeyringUnavailableError):
            keys.keyring_save(pid, new_key)
        from stagewise.core.audit import trail as audit

        with _disk_errors(path), reopened.session_factory.begin() as s:
            audit.record(s, actor, "rekey", "practice", pid)
        with _disk_errors(kpath):
            anchor.advance(reopened)
    except BaseException:
        reopened.close()
        raise
    finally:
        backup_copy.unlink(missing_ok=True)
        keys.keyfile_path(backup_copy).unlink(missing_ok=True)
    log.info("database key rotated for practice %s", pid)
    return reopened, recovery


def _rekey(path: Path, old_key: bytes, new_key: bytes) -> None:
    """``PRAGMA rekey`` on the closed practice file, once no other window or command has it open."""
    raw = rawdb.connect(path, old_key)
    try:
        with rawdb.short_busy_timeout(raw):
            # rekey rewrites every page; it runs outside WAL, which needs every other connection closed.
            rawdb.wait_for_lock(lambda: _journal_mode(raw, "DELETE"), path.name)
        # Hex raw keys only: no secret text is ever pasted into SQL.
        raw.execute(f'PRAGMA rekey = "{keys.sqlcipher_key_literal(new_key)}"')
        raw.execute("PRAGMA journal_mode = WAL")
    finally:
        raw.close()


def _journal_mode(raw: Any, mode: str) -> None:
    got = raw.execute(f"PRAGMA journal_mode = {mode}").fetchone()
    if got is None or str(got[0]).upper() != mode:
        raise rawdb.OperationalError("database is locked")


def record_maintenance(
    session: Session, kind: str, ok: bool, target: str | None, message: str | None
) -> None:
    """Note a backup, drill, migration or custodian package in the practice's maintenance log."""
    session.add(MaintenanceLog(kind=kind, ok=ok, target=target, message=message))
