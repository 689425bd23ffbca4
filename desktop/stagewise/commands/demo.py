"""``stagewise demo PATH --size small|medium|large [--seed N] [--passphrase-stdin]``: a synthetic practice.

Demo data only: the practice is named "DEMO …", marked with the setting ``demo = true``, and unless
``--passphrase-stdin`` is given its passphrase is the documented demo passphrase, printed with the demo
users' password (every demo user has the same documented password).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stagewise.commands._common import secrets_from


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    from stagewise.core.demo.sizes import DEMO_PASSPHRASE, DEMO_PASSWORD

    p = subparsers.add_parser(
        "demo",
        help="create a demo practice full of synthetic (invented) clients, questionnaires and notes",
        description="Create an encrypted demo practice of invented records: small ≈ 60 clients (seconds), "
        "medium ≈ 500, large = 5,000 clients, 100,000 questionnaires and 250,000 notes over ten years "
        f"(a few minutes). The passphrase is {DEMO_PASSPHRASE!r} unless --passphrase-stdin gives one "
        f"(one line); every demo user (demo.admin and the clinicians listed) signs in with "
        f"{DEMO_PASSWORD!r}. The same --seed gives the same records on the same day.",
    )
    p.add_argument("path", metavar="PATH", type=Path, help="the new practice file")
    p.add_argument("--size", choices=("small", "medium", "large"), default="small")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--passphrase-stdin", action="store_true", help="read the practice passphrase from standard input"
    )
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from stagewise.core.demo import generate_demo

    passphrase = None
    if args.passphrase_stdin:
        passphrase = secrets_from(args).read("Practice passphrase: ")
    summary = generate_demo(args.path, args.size, args.seed, passphrase)
    print(f"Demo practice ({summary.size}, seed {summary.seed}) written to {summary.path}")
    print(f"  built in {summary.seconds:.1f} s")
    print("  " + ", ".join(f"{name} {n}" for name, n in summary.counts.items()))
    if passphrase is None:
        print(f"  passphrase: {summary.passphrase}")
    print(f"  users: {', '.join(summary.usernames)} (password: {summary.password})")
    print(f"  heaviest chart: {summary.heaviest_chart_number}")
    return 0
