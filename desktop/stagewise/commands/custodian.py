"""``stagewise custodian`` (write the custodian package) and ``stagewise custodian-open`` (unpack it).

See docs/custodian.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stagewise.commands._common import add_practice_arguments, cli_actor, opened, secrets_from


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``custodian`` and ``custodian-open``."""
    p = subparsers.add_parser(
        "custodian",
        help='write the custodian package ("professional will") and its instruction sheet',
        description="Write FILE: an encrypted archive with a fresh verified backup of the practice, a FHIR "
        "R4 export, and one clinician progress summary PDF per client; and FILE's stem + "
        "'-instructions.pdf': a printable sheet (no client data) naming the custodian and saying how to "
        "open the package with the practice's RECOVERY KEY (stagewise custodian-open). "
        "With --passphrase-stdin: one line, the practice passphrase (or the recovery key with "
        "--recovery-key).",
    )
    add_practice_arguments(p)
    p.add_argument("--out", metavar="FILE", type=Path, required=True, help="the package file to write")
    p.add_argument(
        "--custodian",
        metavar="'NAME, CONTACT'",
        required=True,
        help="who holds the package and how to reach them (printed on the sheet)",
    )
    p.add_argument("--force", action="store_true", help="replace FILE and its sheet if they exist")
    p.set_defaults(func=_custodian)

    p = subparsers.add_parser(
        "custodian-open",
        help="decrypt and unpack a custodian package with the practice's recovery key",
        description="Check and unpack FILE into the new folder DIR: the practice file (open it with the "
        "recovery key and set a new passphrase), the FHIR export and the progress summaries. A wrong "
        "key, or a package changed or damaged since it was written, is refused and nothing is "
        "unpacked. With --passphrase-stdin: one line, the recovery key (or, with --passphrase, the "
        "practice passphrase that was current when the package was written).",
    )
    p.add_argument("file", metavar="FILE", type=Path, help="the custodian package")
    p.add_argument("--out", metavar="DIR", type=Path, required=True, help="a new (or empty) folder")
    p.add_argument(
        "--passphrase-stdin", action="store_true", help="read the recovery key from standard input"
    )
    p.add_argument(
        "--passphrase",
        action="store_true",
        help="use the practice passphrase instead of the recovery key (for the practitioner)",
    )
    p.set_defaults(func=_custodian_open)


def _custodian(args: argparse.Namespace) -> int:
    from stagewise.core.custodian import package as custodian

    def progress(step: str, done: int, total: int) -> None:
        if getattr(args, "verbose", False):
            print(f"  {step} ({done}/{total})", file=sys.stderr)

    with opened(args) as practice:
        info = custodian.write_package(
            practice,
            args.out,
            custodian=args.custodian,
            actor=cli_actor(),
            overwrite=args.force,
            progress=progress,
        )
    print(f"Wrote the custodian package {info.path} ({info.clients} client(s), {info.bytes:,} bytes)")
    print(f"and its printable instruction sheet {info.instructions}.")
    print(
        "Give both to the custodian. The package opens only with the practice's RECOVERY KEY: make sure "
        "the custodian (or the practitioner's executor) will be able to get it, kept apart from the package."
    )
    return 0


def _custodian_open(args: argparse.Namespace) -> int:
    from stagewise.core.custodian import package as custodian

    header = custodian.package_header(args.file)
    if not args.passphrase_stdin:
        print(
            f"Custodian package of {header.practice_name or 'a Stagewise practice'}, written "
            f"{header.created[:10]} for {header.custodian}.",
            file=sys.stderr,
        )
    secrets = secrets_from(args)
    if args.passphrase:
        result = custodian.open_package(args.file, args.out, passphrase=secrets.read("Practice passphrase: "))
    else:
        result = custodian.open_package(args.file, args.out, recovery_key=secrets.read("Recovery key: "))
    print(f"Unpacked {len(result.files)} files into {result.folder}.")
    print(f"The practice file is {result.practice_file}. Next (README.txt has the details):")
    print(f"  stagewise change-passphrase {result.practice_file} --recovery-key   (set a new passphrase)")
    print(
        f"  stagewise users add {result.practice_file} YOUR-NAME --role admin clinician --recovery-key"
        "   (your account)"
    )
    print(f"  Stagewise {result.practice_file}   (open it in the desktop app)")
    print("The summaries and the FHIR export are NOT encrypted: keep the folder on an encrypted disk.")
    return 0
