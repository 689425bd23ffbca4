"""``stagewise verify | backup | restore | drill | change-passphrase | rotate-key | new-recovery-key``.

Secrets come from this computer's keyring, a no-echo prompt, or — with ``--passphrase-stdin`` — one per
line from standard input (the keyring is then not used, so the order on stdin never depends on it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from stagewise.commands._common import add_practice_arguments, add_secret_arguments, cli_actor, secrets_from

if TYPE_CHECKING:
    from stagewise.core.storage.store import Practice

_STDIN_ONE = (
    "With --passphrase-stdin: one line, the practice passphrase (or the recovery key with --recovery-key)."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the practice-file safety commands."""
    p = subparsers.add_parser(
        "verify",
        help="check a practice file: pages, structure, triggers, audit and note chains, record digests",
        description="Check every page (cipher_integrity_check), the structure (quick_check), foreign keys, "
        "every protective trigger, the audit hash chain (against its anchor in the key file), the notes' "
        "hash chains and every final record against its digest in the audit log; each problem is "
        f"printed on its own line. Exit 0 if all is well, 2 with the first problem otherwise. {_STDIN_ONE}",
    )
    add_practice_arguments(p)
    p.set_defaults(func=_verify)

    p = subparsers.add_parser(
        "backup",
        help="write an encrypted, verified backup (file + .keys)",
        description="Write an encrypted backup, verified after writing, with its .keys file beside it. "
        "DEST a folder (or a new name without the .stagewise suffix): a timestamped file "
        "stagewise-backup-YYYYMMDDTHHMMSSZ.stagewise in it; with --rotate old backups there are "
        "thinned out (keep 7 daily, 4 weekly, 12 monthly). DEST a file name: exactly that file. "
        f"{_STDIN_ONE}",
    )
    add_practice_arguments(p)
    p.add_argument("dest", metavar="DEST", type=Path, help="backup folder or backup file name")
    p.add_argument("--rotate", action="store_true", help="apply the retention policy in the DEST folder")
    p.set_defaults(func=_backup)

    p = subparsers.add_parser(
        "restore",
        help="restore a backup as a practice file (verified before anything is replaced)",
        description="Copy BACKUP (and its .keys file) beside PATH, verify the copy, then move it into "
        "place. An existing PATH is replaced only with --force and is kept as PATH.replaced-<time>. "
        "The key is the backup's: the keyring, else the passphrase that was current when the backup "
        "was made (or the recovery key with --recovery-key). "
        "With --passphrase-stdin: one line, that passphrase (or recovery key).",
    )
    p.add_argument("backup", metavar="BACKUP", type=Path, help="the backup file")
    p.add_argument("path", metavar="PATH", type=Path, help="the practice file to restore into")
    p.add_argument("--force", action="store_true", help="replace an existing practice file (kept aside)")
    add_secret_arguments(p)
    p.set_defaults(func=_restore)

    p = subparsers.add_parser(
        "drill",
        help="test a backup: restore it to a temporary folder, open, verify and compare it",
        description="Restore BACKUP into a temporary folder, open it, verify it and compare its record "
        "counts and audit log with PATH; the result is recorded in PATH's maintenance log. "
        "Exit 0 if the drill passed, 2 otherwise. With --passphrase-stdin: the practice passphrase, "
        "then (only if the backup was made before a key rotation) the backup's passphrase.",
    )
    add_practice_arguments(p)
    p.add_argument("backup", metavar="BACKUP", type=Path, help="the backup file to test")
    p.set_defaults(func=_drill)

    p = subparsers.add_parser(
        "change-passphrase",
        help="set a new practice passphrase (the recovery key keeps working)",
        description="Re-wrap the practice key under a new passphrase. The keyring is never enough: the "
        "current passphrase (or, with --recovery-key, the recovery key) is always asked for. "
        "With --passphrase-stdin: two lines, the current passphrase (or the recovery key) and then "
        "the new passphrase. At a prompt the new passphrase is asked for twice.",
    )
    add_practice_arguments(p)
    p.set_defaults(func=_change_passphrase)

    p = subparsers.add_parser(
        "rotate-key",
        help="replace the database key (PRAGMA rekey), verify, and print a new recovery key",
        description="Re-encrypt the practice with a new random key, verify it by reopening, re-wrap it "
        "under the passphrase and print a NEW recovery key (the old one stops working). Backups made "
        "before keep their old key: open them with the passphrase that was current then. "
        "With --passphrase-stdin: one line, the practice passphrase.",
    )
    p.add_argument("path", metavar="PATH", type=Path, help="the practice file")
    p.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from stdin")
    p.set_defaults(func=_rotate_key)

    p = subparsers.add_parser(
        "new-recovery-key",
        help="replace the recovery key and print the new one (the old one stops working)",
        description=f"Print a new recovery key; the old one stops working. {_STDIN_ONE}",
    )
    add_practice_arguments(p)
    p.set_defaults(func=_new_recovery_key)


# --------------------------------------------------------------------------------------------------------
# Keys


def _note(message: str) -> None:
    print(f"stagewise: note: {message}", file=sys.stderr)


def _key(args: argparse.Namespace, path: Path, *, allow_keyring: bool = True) -> bytes:
    """The key for ``path``: keyring (unless told otherwise), else passphrase or recovery key."""
    from stagewise.core.storage import store

    use_keyring = allow_keyring and not (args.no_keyring or args.recovery_key or args.passphrase_stdin)
    if use_keyring:
        found = store.try_keyring(path)
        if found.key is not None:
            return found.key
        if found.error:
            _note(found.error)  # said once: this is the only place the CLI asks the keyring
    secrets = secrets_from(args)
    if args.recovery_key:
        return store.unlock_key(path, recovery_key=secrets.read("Recovery key: "), use_keyring=False).key
    return store.unlock_key(path, passphrase=secrets.read("Practice passphrase: "), use_keyring=False).key


def _open(
    args: argparse.Namespace, *, allow_keyring: bool = True, migrate: bool = False, verifying: bool = False
) -> Practice:
    from stagewise.core.storage import store

    key = _key(args, Path(args.path), allow_keyring=allow_keyring)
    # ``verify`` opens a file with missing protections to report each one by name.
    return store.open_practice(Path(args.path), key, migrate=migrate, allow_unprotected=verifying)


def _practice_name(practice: Practice) -> str:
    from stagewise.core.models import Setting

    with practice.session_factory() as s:
        row = s.get(Setting, "practice_name")
    return str(row.value) if row is not None else ""


# --------------------------------------------------------------------------------------------------------
# Handlers


def _verify(args: argparse.Namespace) -> int:
    from stagewise.core.errors import IntegrityError
    from stagewise.core.storage import verify

    with _open(args, verifying=True) as practice:
        report = verify.verify_practice(practice)
    for line in report.lines():  # every problem on its own line ("PROBLEM: …"), naming what it is about
        print(line)
    if not report.ok:
        raise IntegrityError(f"{Path(args.path).name} failed verification: {report.problems[0]}")
    print("Verification passed.")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from stagewise.core.errors import StagewiseError, UserInputError
    from stagewise.core.models import utcnow
    from stagewise.core.storage import backup, backup_schedule

    dest: Path = args.dest
    folder_mode = dest.is_dir() or (not dest.exists() and dest.suffix != backup.BACKUP_SUFFIX)
    if args.rotate and not folder_mode:
        raise UserInputError("--rotate needs DEST to be a folder (backups there are named by time)")
    with _open(args) as practice:
        now = utcnow()
        if folder_mode and args.rotate:
            (outcome,) = backup_schedule.run_scheduled_backup(practice, [dest], now, actor=cli_actor())
            if not outcome.ok:
                raise StagewiseError(outcome.message or "the backup failed")
            assert outcome.file is not None
            print(outcome.file)
            if outcome.deleted:
                print(f"Rotation removed {len(outcome.deleted)} old backup(s).")
            return 0
        target = dest / backup.timestamped_name(now) if folder_mode else dest
        try:
            backup.write_backup(practice.engine, target, practice.key)
        except StagewiseError as exc:
            with practice.session_factory.begin() as s:
                backup.record_backup(s, cli_actor(), target, ok=False, message=str(exc))
            raise
        with practice.session_factory.begin() as s:
            backup.record_backup(s, cli_actor(), target, ok=True)
    print(target)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from stagewise.core.storage import backup, store

    key = _key(args, args.backup)
    result = backup.restore(args.backup, args.path, key, force=args.force, actor=cli_actor())
    print(f"Restored {args.backup.name} as {result.path}.")
    if result.replaced is not None:
        print(f"The previous file was kept as {result.replaced.name}.")
    if not (args.no_keyring or args.passphrase_stdin):
        with store.open_practice(result.path, key, migrate=False) as practice:
            problem = store.remember_key(practice)
        if problem:
            _note(problem)
    return 0


def _drill(args: argparse.Namespace) -> int:
    from stagewise.core.errors import IntegrityError
    from stagewise.core.storage import backup, store

    with _open(args) as practice:
        key: bytes | None = None
        backup_path: Path = args.backup
        if backup_path.is_file() and not store.key_opens(backup_path, practice.key):
            # A backup made before a key rotation has its own key: its passphrase was current then.
            key = store.unlock_key(
                backup_path,
                passphrase=secrets_from(args).read("Passphrase of the backup: "),
                use_keyring=False,
            ).key
        report = backup.drill(practice, backup_path, key=key)
    if not report.ok:
        for problem in report.problems:  # each on its own line, naming the trigger, event or record
            print(f"PROBLEM: {problem}")
        raise IntegrityError(report.message)
    print(report.message)
    return 0


def _change_passphrase(args: argparse.Namespace) -> int:
    from stagewise.core.audit import trail as audit
    from stagewise.core.errors import UserInputError
    from stagewise.core.storage import store

    with _open(args, allow_keyring=False) as practice:
        secrets = secrets_from(args)
        new = secrets.read("New passphrase: ")
        if not args.passphrase_stdin and secrets.read("New passphrase again: ") != new:
            raise UserInputError("the two new passphrases differ; nothing was changed")
        name = _practice_name(practice)
        # One transaction: the audit event is written first and commits only once the key file changed
        # (a practice that cannot record the change is not changed).
        with practice.session_factory.begin() as s:
            audit.record(s, cli_actor(), "change_passphrase", "practice", practice.practice_id)
            s.flush()
            store.change_passphrase(practice.path, practice.key, new, context=(name,))
    print("Passphrase changed. The recovery key still works.")
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    from stagewise.core.storage import store

    args.no_keyring, args.recovery_key = True, False
    secrets = secrets_from(args)
    passphrase = secrets.read("Practice passphrase: ")
    key = store.unlock_key(args.path, passphrase=passphrase, use_keyring=False).key
    practice = store.open_practice(args.path, key, migrate=False)
    try:
        reopened, recovery = store.rotate_key(practice, passphrase, actor=cli_actor())
    finally:
        practice.close()  # already closed when the rotation got that far; harmless then
    reopened.close()
    print("The database key was replaced and verified. Your NEW recovery key (the old one no longer works):")
    print(recovery)
    return 0


def _new_recovery_key(args: argparse.Namespace) -> int:
    from stagewise.core.audit import trail as audit
    from stagewise.core.storage import store

    with _open(args, allow_keyring=False) as practice:
        with practice.session_factory.begin() as s:  # as in _change_passphrase
            audit.record(s, cli_actor(), "new_recovery_key", "practice", practice.practice_id)
            s.flush()
            recovery = store.new_recovery_key(practice.path, practice.key)
    print("Your NEW recovery key (the old one no longer works); print it and keep it safe:")
    print(recovery)
    return 0
