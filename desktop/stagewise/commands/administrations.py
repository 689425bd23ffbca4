"""``stagewise administer``, ``rescore``, ``due`` and ``fhir-export`` (docs/administrations.md).

Headless access for scripts and tests: give an instrument from a JSON file of answers, re-score after a
scoring change, list who is due for reassessment, write a FHIR R4 Bundle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from stagewise.commands._common import (
    add_export_arguments,
    add_practice_arguments,
    cli_actor,
    opened,
    print_json,
    refuse_existing,
    warn_unencrypted,
)
from stagewise.core.errors import shorten


def register(subparsers: Any) -> None:
    """Add ``administer``, ``rescore``, ``due`` and ``fhir-export`` to the CLI."""
    adm = subparsers.add_parser(
        "administer",
        help="give an instrument to a client from a JSON file of answers",
        description=(
            "Start an administration for a client and save the answers from FILE (a JSON object mapping "
            'printed item numbers to values, e.g. {"1": 2, "2": 5}). Every answer is checked first; '
            "nothing is saved if one is wrong. With --complete the result is printed as JSON."
        ),
    )
    add_practice_arguments(adm)
    adm.add_argument("--client", metavar="CHART_NO", required=True, help="the client's chart number")
    adm.add_argument("--form", metavar="ID", required=True, help="the instrument id, e.g. urica-32")
    adm.add_argument("--focus", metavar="KEY", help="the client's focus the answers refer to, e.g. alcohol")
    adm.add_argument("--mode", choices=("clinician", "client"), default="clinician", help="who answered")
    adm.add_argument("--answers", metavar="FILE", type=Path, required=True, help="JSON object of answers")
    adm.add_argument("--by", metavar="USER", help="the clinician's user name")
    adm.add_argument("--complete", action="store_true", help="score and complete the administration")
    adm.set_defaults(func=_administer)

    res = subparsers.add_parser(
        "rescore",
        help="score a client's completed administrations again (keeps the old results)",
        description="Re-score completed administrations after a scoring-rule or practice-option change.",
    )
    add_practice_arguments(res)
    res.add_argument("--client", metavar="CHART_NO", required=True, help="the client's chart number")
    res.add_argument("--form", metavar="ID", help="only this instrument")
    res.set_defaults(func=_rescore)

    due = subparsers.add_parser(
        "due",
        help="list clients due or overdue for reassessment",
        description="Focuses due for reassessment within DAYS (overdue ones included), most overdue first.",
    )
    add_practice_arguments(due)
    due.add_argument("--within", metavar="DAYS", type=int, default=7, help="days ahead (default 7)")
    due.add_argument("--today", metavar="YYYY-MM-DD", help="count from this date instead of today")
    due.add_argument("--clinician", metavar="USER", help="only this clinician's clients")
    due.add_argument("--json", action="store_true", help="print JSON")
    due.set_defaults(func=_due)

    fhir = subparsers.add_parser(
        "fhir-export",
        help="write a FHIR R4 Bundle of completed administrations (unencrypted)",
        description=(
            "Write Patients, Questionnaires, QuestionnaireResponses and score Observations as a FHIR R4 "
            "Bundle. The file is NOT encrypted."
        ),
    )
    add_practice_arguments(fhir)
    add_export_arguments(fhir)
    fhir.set_defaults(func=_fhir_export)


def _read_answers(path: Path) -> dict[str, Any]:
    from stagewise.core import jsoninput
    from stagewise.core.errors import UserInputError

    try:
        data = jsoninput.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserInputError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserInputError(f"{path.name} is not an acceptable JSON file ({exc}).") from None
    if not isinstance(data, dict):
        raise UserInputError(f'{path.name} must hold a JSON object such as {{"1": 2, "2": 5}}.')
    return data


def _client_id(session: Any, chart_number: str) -> int:
    from stagewise.core.clients.records import get_by_chart_number
    from stagewise.core.errors import NotFoundError

    client = get_by_chart_number(session, chart_number)
    if client is None:
        raise NotFoundError(f"No client has chart number {chart_number.strip()}.")
    return client.id


def _user_id(session: Any, username: str) -> int:
    from sqlalchemy import select

    from stagewise.core.errors import NotFoundError
    from stagewise.core.models import User

    found = session.execute(select(User.id).where(User.username == username.strip())).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"There is no user {shorten(username.strip())}.")
    return int(found)


def _administer(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from stagewise.core.administrations import lifecycle as administrations
    from stagewise.core.errors import NotFoundError
    from stagewise.core.instruments.loader import load_library
    from stagewise.core.instruments.scoring import validate_answers
    from stagewise.core.models import AdministrationMode, Focus

    raw = _read_answers(args.answers)
    library = load_library()
    form = library.get(args.form)
    answers = validate_answers(form, raw)  # every answer checked before anything is written
    actor = cli_actor()
    with opened(args) as practice, practice.session_factory.begin() as s:
        client_id = _client_id(s, args.client)
        focus_id = None
        if args.focus:
            focus_id = s.execute(
                select(Focus.id).where(Focus.client_id == client_id, Focus.key == args.focus.strip())
            ).scalar_one_or_none()
            if focus_id is None:
                raise NotFoundError(f"Client {args.client} has no focus {shorten(args.focus)}.")
        by = _user_id(s, args.by) if args.by else None
        info = administrations.start(
            s, client_id=client_id, focus_id=focus_id, form_id=form.id, mode=AdministrationMode(args.mode),
            by_user_id=by, actor=actor, library=library,
        )  # fmt: skip
        for item in form.items:
            if item.id in answers:
                saved = administrations.answer(s, info.id, item.id, answers[item.id], actor=actor)
                for prompt in saved.risk:
                    print(f"stagewise: RISK: {prompt.message}\n{prompt.safety_text}", file=sys.stderr)
        if args.complete:
            info = administrations.complete(s, info.id, actor=actor)
        else:
            info = administrations.get(s, info.id)
    if info.result is not None:
        print_json({"administration": info.id, "result": info.result.to_json()})
    else:
        print_json(
            {
                "administration": info.id,
                "status": info.status.value,
                "answered": len(info.answers),
                "resume_at": administrations.resume_point(info),
            }
        )
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from stagewise.core.administrations import lifecycle as administrations

    actor = cli_actor()
    changed = 0
    with opened(args) as practice, practice.session_factory.begin() as s:
        client_id = _client_id(s, args.client)
        done = administrations.history(s, client_id=client_id, form_id=args.form)
        for info in done:
            outcome = administrations.rescore(s, info.id, actor=actor)
            if outcome.changed:
                changed += 1
                print(f"administration {info.id} ({info.form_id}):")
                for line in outcome.differences:
                    print(f"  {line}")
    print(f"Re-scored {len(done)} administration(s); {changed} changed.")
    return 0


def _due(args: argparse.Namespace) -> int:
    from stagewise.core.administrations import due as registry
    from stagewise.core.errors import UserInputError

    if args.within < 0:
        raise UserInputError("--within must be 0 or more days.")
    try:
        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    except ValueError:
        raise UserInputError(
            f"--today must be a date written YYYY-MM-DD, not {shorten(args.today)}."
        ) from None
    with opened(args) as practice, practice.session_factory.begin() as s:
        clinician = _user_id(s, args.clinician) if args.clinician else None
        entries = registry.due_list(s, today=today, within_days=args.within, clinician_id=clinician)
    if args.json:
        print_json(
            [
                {
                    "chart_number": e.chart_number,
                    "focus": e.focus_key,
                    "last_assessed": None if e.last_assessed is None else e.last_assessed.isoformat(),
                    "due_on": e.due_on.isoformat(),
                    "overdue_days": e.overdue_days,
                }
                for e in entries
            ]
        )
        return 0
    if not entries:
        print(f"Nobody is due for reassessment within {args.within} day(s).")
        return 0
    for e in entries:
        when = (
            f"overdue by {e.overdue_days} day(s)"
            if e.overdue
            else "due today"
            if e.overdue_days == 0
            else f"due in {-e.overdue_days} day(s)"
        )
        last = "never assessed" if e.last_assessed is None else f"last {e.last_assessed.isoformat()}"
        print(f"{e.chart_number}\t{e.focus_key}\t{e.due_on.isoformat()}\t{when}\t{last}")
    return 0


def _fhir_export(args: argparse.Namespace) -> int:
    from stagewise.core.interchange import fhir_bundle

    out: Path = args.out
    refuse_existing(out, force=args.force)
    with opened(args) as practice:
        summary = fhir_bundle.write_fhir_bundle(
            practice, out, client_chart=args.client, actor=cli_actor(), overwrite=args.force
        )
    warn_unencrypted(out)
    print(
        f"Wrote a FHIR R4 Bundle: {summary.patients} patient(s), {summary.questionnaires} questionnaire(s), "
        f"{summary.responses} response(s), {summary.observations} observation(s)."
    )
    return 0
