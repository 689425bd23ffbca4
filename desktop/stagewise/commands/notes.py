"""``stagewise search``: full-text search over the practice's notes."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from stagewise.commands._common import add_practice_arguments, cli_actor, opened, print_json
from stagewise.core.errors import UserInputError, shorten


def register(subparsers: Any) -> None:
    """Add ``search`` to the CLI."""
    p = subparsers.add_parser(
        "search",
        help="search the notes",
        description=(
            "Full-text search over note text and addenda, newest first. Every word must match; the last "
            "word also matches as a prefix. Punctuation and search operators are treated as plain text."
        ),
    )
    add_practice_arguments(p)
    p.add_argument("query", metavar="QUERY", help="the words to find")
    p.add_argument("--client", metavar="CHART_NO", help="only this client's notes (chart number)")
    p.add_argument("--author", metavar="USER", help="only notes written by this user name")
    p.add_argument(
        "--from", dest="since", metavar="DATE", type=_date, help="written on or after (YYYY-MM-DD)"
    )
    p.add_argument("--to", dest="until", metavar="DATE", type=_date, help="written on or before (YYYY-MM-DD)")
    p.add_argument("--template", metavar="ID", help="only notes from this template (e.g. soap)")
    p.add_argument("--limit", metavar="N", type=_limit, default=50, help="at most N hits (default 50)")
    p.add_argument("--json", action="store_true", help="print the hits as JSON")
    p.set_defaults(func=run_search)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shorten(value)} is not a date; use YYYY-MM-DD") from None


def _limit(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError(f"{shorten(value)}: give a whole number from 1 to 1000")
    return n


def run_search(args: argparse.Namespace) -> int:
    """Print the hits (JSON with ``--json``); exit 0 even when nothing matches."""
    from sqlalchemy import select

    from stagewise.core.audit import trail as audit
    from stagewise.core.errors import NotFoundError
    from stagewise.core.models import Client, User, iso_utc
    from stagewise.core.notes.search import search_notes

    if args.since and args.until and args.since > args.until:
        raise UserInputError("--from is after --to; nothing can match.")
    with opened(args) as practice, practice.session_factory.begin() as s:
        client_id = author_id = None
        if args.client is not None:
            client_id = s.execute(select(Client.id).where(Client.chart_number == args.client)).scalar()
            if client_id is None:
                raise NotFoundError(f"There is no client with chart number {args.client}.")
        if args.author is not None:
            author_id = s.execute(select(User.id).where(User.username == args.author)).scalar()
            if author_id is None:
                raise NotFoundError(f"There is no user {args.author}.")
        hits = search_notes(
            s,
            args.query,
            client_id=client_id,
            author_id=author_id,
            template_id=args.template,
            since=args.since,
            until=args.until,
            limit=args.limit,
        )
        # Searching reads client records: audited with counts only (never the query, which may hold names).
        audit.record(s, cli_actor(), "view", "note_search", None, {"client_id": client_id, "hits": len(hits)})
    if args.json:
        print_json(
            [
                {
                    "chart_number": h.chart_number,
                    "note_id": h.note_id,
                    "date": iso_utc(h.written_at),
                    "template": h.template_id,
                    "status": h.status.value,
                    "snippet": h.bracketed(),
                }
                for h in hits
            ]
        )
        return 0
    if not hits:
        print("No notes match.")
        return 0
    for h in hits:
        day = h.written_at.astimezone().date().isoformat()  # the local day, as the clinician knows it
        print(f"{h.chart_number}  note {h.note_id}  {day}  {h.template_id}  {h.status.value}")
        print(f"    {h.bracketed()}")
    return 0
