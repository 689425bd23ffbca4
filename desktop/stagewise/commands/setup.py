"""``stagewise init`` (a new practice and its first administrator) and ``stagewise users``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stagewise.commands._common import (
    Secrets,
    add_practice_arguments,
    cli_actor,
    opened,
    print_json,
    secrets_from,
    unlock,
)
from stagewise.core.errors import UserInputError

ROLE_NAMES = ("admin", "clinician", "supervisor")


def register(subparsers: Any) -> None:
    """Add ``init`` and ``users`` to the CLI."""
    init = subparsers.add_parser(
        "init",
        help="create a new encrypted practice file and its first administrator",
        description=(
            "Create a new encrypted practice file with its first account (administrator and clinician). "
            "The recovery key is printed once. With --passphrase-stdin, standard input gives the practice "
            "passphrase on line 1 and the administrator's password on line 2."
        ),
    )
    init.add_argument("path", metavar="PATH", type=Path, help="the new practice file (must not exist)")
    init.add_argument("--admin", metavar="USER", required=True, help="user name of the first account")
    init.add_argument("--name", metavar="PRACTICE_NAME", default="My practice", help="the practice's name")
    init.add_argument("--display-name", metavar="NAME", help="the administrator's name (default: USER)")
    init.add_argument("--no-keyring", action="store_true", help="do not keep the key in the OS keyring")
    init.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read passphrase and password from stdin, one per line",
    )
    init.set_defaults(func=_init)

    users = subparsers.add_parser("users", help="list or add practice accounts")
    users.set_defaults(func=_users_usage)
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    users_list = users_sub.add_parser("list", help="list the practice's accounts")
    add_practice_arguments(users_list)
    users_list.add_argument("--json", action="store_true", help="print JSON")
    users_list.set_defaults(func=_users_list)

    users_add = users_sub.add_parser(
        "add",
        help="add an account",
        description=(
            "Add an account. With --passphrase-stdin, standard input gives the practice passphrase on "
            "line 1 and the new account's password on line 2; otherwise the key comes from the keyring "
            "(or a passphrase prompt) and the password is typed twice."
        ),
    )
    add_practice_arguments(users_add)
    users_add.add_argument("username", metavar="USER", help="the new user name")
    users_add.add_argument(
        "--role",
        dest="roles",
        action="extend",
        nargs="+",
        choices=ROLE_NAMES,
        required=True,
        metavar="ROLE",
        help="admin, clinician and/or supervisor (repeatable)",
    )
    users_add.add_argument("--display-name", metavar="NAME", help="the person's name (default: USER)")
    users_add.set_defaults(func=_users_add)


def _new_secret(secrets: Secrets, what: str) -> str:
    """A new secret: one line from stdin, or typed twice at a prompt."""
    first = secrets.read(f"{what}: ")
    if not secrets.from_stdin:
        again = secrets.read(f"{what} again: ")
        if again != first:
            raise UserInputError(f"The two {what.lower()} entries differ; nothing was created.")
    return first


def _init(args: argparse.Namespace) -> int:
    from stagewise.core import users
    from stagewise.core.storage import keys, store

    path: Path = args.path
    if path.exists() or keys.keyfile_path(path).exists():
        raise UserInputError(f"{path} already exists; choose another file name. Nothing was changed.")
    users.check_username(args.admin)
    display_name = args.display_name or args.admin
    secrets = secrets_from(args)
    passphrase = _new_secret(secrets, "Practice passphrase")
    keys.check_passphrase(passphrase, context=(args.name,))
    password = _new_secret(secrets, f"Password for {args.admin}")
    problem = keys.passphrase_problem(password, context=(args.admin, display_name))
    if problem:
        raise UserInputError(f"That password is too weak: {problem}. Nothing was created.")
    if password == passphrase:
        raise UserInputError("Use a password different from the practice passphrase. Nothing was created.")
    created = store.create_practice(path, passphrase, name=args.name, save_to_keyring=not args.no_keyring)
    practice = created.practice
    try:
        actor = cli_actor()
        with practice.session_factory.begin() as s:
            users.create_user(
                s,
                username=args.admin,
                display_name=display_name,
                password=password,
                roles=("admin", "clinician"),
                actor=actor,
            )
    except BaseException:
        practice.close()
        store.remove_practice_files(path)
        if created.keyring_saved:
            keys.keyring_delete(practice.practice_id)
        raise
    practice.close()
    out = sys.stdout
    out.write(f"Created the practice file {path}\n")
    out.write(f"  with its key file {keys.keyfile_path(path).name} (keep the two together).\n")
    out.write(f"Administrator account: {args.admin} (admin, clinician).\n\n")
    out.write(f"RECOVERY KEY: {created.recovery_key}\n\n")
    out.write(
        "Print this recovery key or write it down now, and keep it somewhere safe away from this "
        "computer.\nIt is shown only this once. With it the practice can be opened if the passphrase is "
        "forgotten.\n\n"
    )
    if created.keyring_saved:
        out.write(
            "The practice key is kept in this computer's keyring: the file opens here without the "
            "passphrase.\n"
        )
    else:
        out.write(
            "The practice key is NOT kept in a keyring: the practice passphrase is needed every time.\n"
        )
    return 0


def _users_usage(args: argparse.Namespace) -> int:
    raise UserInputError("Say what to do with accounts: stagewise users list PATH, or users add PATH USER.")


def _users_list(args: argparse.Namespace) -> int:
    from stagewise.core import users

    with opened(args) as practice, practice.session_factory() as s:
        accounts = users.list_users(s)
    if args.json:
        print_json(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "roles": sorted(r.value for r in u.roles),
                    "active": u.active,
                    "requires_cosign": u.requires_cosign,
                }
                for u in accounts
            ]
        )
        return 0
    for u in accounts:
        flags = [] if u.active else ["inactive"]
        if u.requires_cosign:
            flags.append("needs co-signature")
        roles = ",".join(sorted(r.value for r in u.roles))
        extra = f"  ({', '.join(flags)})" if flags else ""
        print(f"{u.username:<20} {roles:<30} {u.display_name}{extra}")
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from stagewise.core import users
    from stagewise.core.storage import store

    users.check_username(args.username)
    key = unlock(args)
    password = _new_secret(secrets_from(args), f"Password for {args.username}")
    with store.open_practice(Path(args.path), key) as practice:
        with practice.session_factory.begin() as s:
            info = users.create_user(
                s,
                username=args.username,
                display_name=args.display_name or args.username,
                password=password,
                roles=args.roles,
                actor=cli_actor(),
            )
    print(f"Added {info.username} ({', '.join(sorted(r.value for r in info.roles))}).")
    return 0
