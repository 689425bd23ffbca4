"""``stagewise report`` (client progress summary or practice report) and ``stagewise forms print``.

Every report written is recorded in the practice's audit log (action ``export``; ids and counts only).
The PDF is rendered in memory and written to a temporary file beside ``--out`` that replaces it only when
complete, inside the same transaction as the audit event: a failed write leaves neither a half-written
PDF nor an audit event claiming one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from stagewise.commands._common import (
    Secrets,
    add_practice_arguments,
    add_secret_arguments,
    cli_actor,
    opened,
    secrets_from,
)
from stagewise.core.errors import UserInputError, shorten


def register(subparsers: Any) -> None:
    """Add ``report`` to the CLI (``forms print`` is added by :func:`add_forms_print_parser`)."""
    p = subparsers.add_parser(
        "report",
        help="write a client progress summary or a practice report as PDF",
        description=(
            "Write a PDF report. With --client CHART_NO: the client's progress summary (clinician "
            "version, or --audience client for the plain-language version). With --practice: the practice "
            "report for a period, optionally --deidentify'd for funders. Dates are YYYY-MM-DD, inclusive."
        ),
    )
    add_practice_arguments(p)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--client", metavar="CHART_NO", help="the client's chart number")
    target.add_argument("--practice", action="store_true", help="the practice report")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="first day of the period")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day of the period (default today)")
    p.add_argument(
        "--focus", action="append", metavar="KEY", help="only this focus (repeatable; default: every focus)"
    )
    p.add_argument(
        "--audience",
        choices=("clinician", "client"),
        default="clinician",
        help="clinician (default) or client (plain language, no clinician-only content)",
    )
    p.add_argument(
        "--notes",
        action="store_true",
        help="include signed notes, a short excerpt of each, with their hashes in an appendix (clinician "
        "version)",
    )
    p.add_argument(
        "--note-text",
        choices=("excerpt", "full"),
        default=None,
        help="with --notes: a short excerpt of each note (default) or its full text",
    )
    p.add_argument("--deidentify", action="store_true", help="practice report without names or chart numbers")
    _output_arguments(p)
    p.set_defaults(func=_report)


def _output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--page-size", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="protect the PDF with a password read from standard input (after the passphrase, if that is "
        "read from standard input too)",
    )


def add_forms_print_parser(forms_subparsers: Any) -> None:
    """Add ``forms print ID --out FILE.pdf`` to the ``forms`` sub-command group.

    Args:
        forms_subparsers: the object ``forms.add_subparsers(...)`` returned (in ``commands/forms.py``).
    """
    p = forms_subparsers.add_parser(
        "print",
        help="print a blank instrument as a paper form (PDF)",
        description=(
            "Write a blank paper version of an instrument: instructions, every item, the response scale and "
            "the licence attribution. With --practice PATH the print is recorded in that practice's audit "
            "log and its name printed in the header."
        ),
    )
    p.add_argument("form_id", metavar="ID", help="instrument id (see `stagewise forms list`)")
    p.add_argument("--behaviour", metavar="TEXT", help='fill the behaviour placeholder (e.g. "my drinking")')
    p.add_argument("--practice", dest="path", type=Path, metavar="PATH", help="practice file to audit in")
    add_secret_arguments(p)
    _output_arguments(p)
    p.set_defaults(func=_forms_print)


def _date(text: str | None, what: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserInputError(f"{what} must be a date as YYYY-MM-DD, not {shorten(text)}.") from None


def _pdf_password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    # Same reader as the passphrase when both come from stdin, so the lines are taken in order.
    reader = secrets_from(args) if getattr(args, "passphrase_stdin", False) else Secrets(True)
    password = reader.read("PDF password: ")
    if not password:
        raise UserInputError("The PDF password read from standard input is empty.")
    return password


def _write_atomically(out: Path, data: bytes) -> None:
    out = out.expanduser()
    if out.is_dir():
        raise UserInputError(f"{out} is a folder; give a file name ending in .pdf.")
    if not out.parent.is_dir():
        raise UserInputError(f"The folder {out.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=".stagewise-report-", suffix=".pdf", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _report(args: argparse.Namespace) -> int:
    from stagewise.core.reports.layout import PageSizeName

    start = _date(args.date_from, "--from")
    end = _date(args.date_to, "--to")
    if start is not None and end is not None and start > end:
        raise UserInputError("--from is after --to.")
    if args.practice and (args.focus or args.notes or args.audience != "clinician"):
        raise UserInputError(
            "--focus, --notes and --audience apply to a client report (--client), not --practice."
        )
    if args.client and args.deidentify:
        raise UserInputError("--deidentify applies to the practice report (--practice).")
    if args.note_text is not None and not args.notes:
        raise UserInputError("--note-text applies with --notes.")
    if args.notes and args.audience == "client":
        raise UserInputError(
            "The client version never includes notes; leave out --notes or use --audience clinician."
        )
    page_size = PageSizeName(args.page_size)
    with opened(args) as practice:
        password = _pdf_password(args)
        buffer = io.BytesIO()
        with practice.session_factory.begin() as session:
            if args.practice:
                from stagewise.core.reports.practice_report import write_practice_report

                rendered = write_practice_report(
                    session,
                    buffer,
                    actor=cli_actor(),
                    start=start,
                    end=end,
                    deidentified=args.deidentify,
                    page_size=page_size,
                    password=password,
                )
            else:
                from stagewise.core.reports.client_summary import Audience, write_client_summary
                from stagewise.core.reports.data import find_client_id
                from stagewise.core.reports.note_summaries import NoteText

                rendered = write_client_summary(
                    session,
                    find_client_id(session, args.client),
                    buffer,
                    actor=cli_actor(),
                    audience=Audience(args.audience),
                    start=start,
                    end=end,
                    focus_keys=args.focus,
                    include_notes=args.notes,
                    note_text=NoteText(args.note_text or "excerpt"),
                    page_size=page_size,
                    password=password,
                )
            _write_atomically(args.out, buffer.getvalue())
    print(
        f"wrote {args.out} ({rendered.pages} page(s){', password-protected' if rendered.encrypted else ''})"
    )
    return 0


def _forms_print(args: argparse.Namespace) -> int:
    from stagewise.core.instruments import load_library
    from stagewise.core.reports.blank_form import render_blank_form, write_blank_form
    from stagewise.core.reports.data import practice_name
    from stagewise.core.reports.layout import PageSizeName

    form = load_library().get(args.form_id)
    page_size = PageSizeName(args.page_size)
    buffer = io.BytesIO()
    if args.path is None:
        password = _pdf_password(args)
        rendered = render_blank_form(
            form, buffer, behaviour=args.behaviour, page_size=page_size, password=password
        )
        _write_atomically(args.out, buffer.getvalue())
    else:
        with opened(args) as practice:
            password = _pdf_password(args)
            with practice.session_factory.begin() as session:
                rendered = write_blank_form(
                    session,
                    form,
                    buffer,
                    actor=cli_actor(),
                    behaviour=args.behaviour,
                    practice_name=practice_name(session),
                    page_size=page_size,
                    password=password,
                    action="export",
                )
                _write_atomically(args.out, buffer.getvalue())
    print(f"wrote {args.out} ({rendered.pages} page(s))", file=sys.stdout)
    return 0
