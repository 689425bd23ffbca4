"""``stagewise stage`` (record a stage headlessly), ``stagewise interventions`` and ``stagewise metrics``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from stagewise.commands._common import add_practice_arguments, cli_actor, opened, print_json
from stagewise.core.errors import NotFoundError, UserInputError, shorten
from stagewise.core.stages import metric_records

STAGE_NAMES = ("precontemplation", "contemplation", "preparation", "action", "maintenance")
MODEL_NAMES = ("ttm", "mi", "smart", "recovery_capital")


def register(subparsers: Any) -> None:
    """Add ``stage``, ``interventions`` and ``metrics`` to the CLI."""
    stage = subparsers.add_parser(
        "stage",
        help="record a client's stage for one focus",
        description=(
            "Record the clinician's stage for a client's focus. Use --stage none to mark the focus as not "
            "staged for now (a reason is required). With --proposed, a different --stage needs a --reason. "
            "Moving back a stage is ordinary and is recorded like any other stage."
        ),
    )
    add_practice_arguments(stage)
    stage.add_argument("--client", metavar="CHART_NO", required=True, help="the client's chart number")
    stage.add_argument("--focus", metavar="KEY", required=True, help="the focus id (e.g. alcohol)")
    stage.add_argument(
        "--stage",
        dest="stage_value",
        metavar="STAGE",
        required=True,
        choices=(*STAGE_NAMES, "none"),
        help="the clinician's stage, or 'none' for not staged for now",
    )
    stage.add_argument("--proposed", metavar="STAGE", choices=STAGE_NAMES, help="the instrument's stage")
    stage.add_argument("--reason", metavar="TEXT", help="why (required for an override or 'none')")
    stage.add_argument("--effective", metavar="DATE", help="the date the stage applies from (default today)")
    stage.add_argument("--by", metavar="USER", help="the clinician's user name")
    stage.add_argument("--json", action="store_true", help="print the record as JSON")
    stage.set_defaults(func=_stage)

    interventions = subparsers.add_parser(
        "interventions",
        help="list the stage-matched intervention library",
        description=(
            "List the intervention library (shipped entries plus this computer's practice folder "
            "<data>/forms/interventions), optionally only the entries matched to a stage and/or model."
        ),
    )
    interventions.add_argument("--stage", metavar="STAGE", choices=STAGE_NAMES, help="matched to STAGE")
    interventions.add_argument(
        "--model",
        metavar="MODEL",
        action="append",
        choices=MODEL_NAMES,
        help="only this model: ttm, mi, smart or recovery_capital (repeatable)",
    )
    interventions.add_argument(
        "--recycling", action="store_true", help="with --stage: also the entries for after a move back"
    )
    interventions.add_argument("--json", action="store_true", help="print JSON")
    interventions.set_defaults(func=_interventions)

    metrics = subparsers.add_parser(
        "metrics",
        help="practice dashboard figures from stage records",
        description=(
            "Distribution of active clients by current stage, time in stage, advancement rate, recycling "
            "share, stalled clients and fidelity, for a period (both dates inclusive; default: every "
            "record up to today). Definitions: docs/metrics.md."
        ),
    )
    add_practice_arguments(metrics)
    metrics.add_argument("--from", dest="date_from", metavar="DATE", help="first day of the period")
    metrics.add_argument(
        "--to", dest="date_to", metavar="DATE", help="last day of the period (default today)"
    )
    metrics.add_argument("--focus", metavar="ID", help="only this focus id (e.g. alcohol)")
    metrics.add_argument("--stalled-days", type=int, metavar="N", help="stall threshold (default: practice)")
    metrics.add_argument("--json", action="store_true", help="print JSON")
    metrics.add_argument("--csv", metavar="FILE", type=Path, help="also write the figures as CSV to FILE")
    metrics.set_defaults(func=_metrics)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserInputError(f"{option} {shorten(value)} is not a date; write it as YYYY-MM-DD.") from None


def _stage(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from stagewise.core.models import Client, Focus, Stage, User
    from stagewise.core.stages import records as stages

    effective = _date(args.effective, "--effective")
    with opened(args) as practice, practice.session_factory.begin() as s:
        client_id = s.execute(select(Client.id).where(Client.chart_number == args.client.strip())).scalar()
        if client_id is None:
            raise NotFoundError(f"There is no client with chart number {args.client}.")
        focus_id = s.execute(
            select(Focus.id).where(Focus.client_id == client_id, Focus.key == args.focus)
        ).scalar()
        if focus_id is None:
            raise NotFoundError(f"Client {args.client} has no focus {shorten(args.focus)}.")
        user_id = None
        if args.by is not None:
            user_id = s.execute(select(User.id).where(User.username == args.by)).scalar()
            if user_id is None:
                raise NotFoundError(f"There is no user {shorten(args.by)} in this practice.")
        info = stages.record_stage(
            s,
            focus_id=focus_id,
            stage=None if args.stage_value == "none" else Stage(args.stage_value),
            proposed=None if args.proposed is None else Stage(args.proposed),
            reason=args.reason,
            effective=effective,
            by_user_id=user_id,
            actor=args.by or cli_actor(),
        )
    if args.json:
        print_json(
            {
                "id": info.id,
                "focus": info.focus_key,
                "effective": info.effective.isoformat(),
                "proposed": None if info.proposed is None else info.proposed.value,
                "stage": None if info.stage is None else info.stage.value,
                "basis": info.basis.value,
                "direction": info.direction,
            }
        )
    else:
        from stagewise.core.stages.labels import NOT_STAGED_WORDING

        what = NOT_STAGED_WORDING.lower() if info.stage is None else info.stage.value
        moved = " (a move back a stage: recycling)" if info.is_recycling else ""
        print(f"Recorded {what} for focus {info.focus_key} from {info.effective.isoformat()}{moved}.")
    return 0


def _interventions(args: argparse.Namespace) -> int:
    from stagewise.core.models import Stage
    from stagewise.core.paths import AppPaths
    from stagewise.core.stages.interventions import (
        InterventionModel,
        load_interventions,
        practice_interventions_dir,
    )

    library = load_interventions([practice_interventions_dir(AppPaths.resolve(args.data_dir))])
    models = None if not args.model else [InterventionModel(m) for m in args.model]
    if args.stage is None:
        entries = library.filter(models=models)
    else:
        entries = library.suggest(Stage(args.stage), models=models, recycling=args.recycling)
    if args.json:
        print_json([e.to_json() for e in entries])
        return 0
    for e in entries:
        stages_text = ", ".join(s.value for s in e.stages) or "not stage-specific"
        flag = "" if e.verified else "  [stage fit or detail unverified]"
        print(f"{e.id}  —  {e.title} ({e.model.label}; {stages_text}){flag}")
        print(f"    {e.summary}")
        print(f"    Why: {e.rationale}")
        print(f"    Source: {e.source}")
        if e.notice:
            print(f"    {e.notice}")
    if not entries:
        print("No entries match.", file=sys.stderr)
    return 0


def _metrics(args: argparse.Namespace) -> int:
    from stagewise.core.settings import load_settings
    from stagewise.core.stages import metrics

    start = _date(args.date_from, "--from")
    end = _date(args.date_to, "--to") or dt.date.today()
    if start is not None and start > end:
        raise UserInputError(f"--from {start.isoformat()} is after --to {end.isoformat()}.")
    with opened(args) as practice:
        with practice.session_factory() as s:
            settings = load_settings(s)
            records = metric_records.load_metric_records(s, focus=args.focus, until=end)
        result = metrics.compute_metrics(
            records,
            period_start=start,
            period_end=end,
            focus=args.focus,
            stalled_days=settings.stalled_days if args.stalled_days is None else args.stalled_days,
            reassessment_days=settings.reassessment_days,
        )
        if args.csv is not None:
            with practice.session_factory.begin() as s:
                metrics.export_metrics_csv(s, result, args.csv, actor=cli_actor())
    if args.json:
        print_json(result.to_json())
    else:
        _print_table(result)
    return 0


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print_table(m: Any) -> None:
    from stagewise.core.models import Stage
    from stagewise.core.stages.labels import clinician_label

    period = (
        f"{'start' if m.period_start is None else m.period_start.isoformat()} – {m.period_end.isoformat()}"
    )
    print(f"Period: {period}   Focus: {m.focus or 'all (client-focus pairs)'}")
    print(f"{'Stage':<18}{'Active':>8}{'Median days':>14}{'Mean days':>12}")
    for s in Stage:
        t = m.time_in_stage[s]
        print(f"{clinician_label(s):<18}{m.distribution[s]:>8}{_fmt(t.median):>14}{_fmt(t.mean):>12}")
    print(f"{clinician_label(None):<18}{m.paused:>8}")
    rate = m.advancement_rate
    share = m.recycling_share
    print(f"Advancement rate: {_fmt(None if rate is None else rate * 100)}% of {m.moves} stage change(s)")
    print(f"Recycling share: {_fmt(None if share is None else share * 100)}% of {m.courses_with_pairs}")
    print(f"Stalled (current stage older than {m.stalled_days} days): {m.stalled}")
    print(f"Slowest stage: {'—' if m.slowest_stage is None else clinician_label(m.slowest_stage)}")
    on_time = m.fidelity.on_time_share
    print(
        f"Reassessments on time: {_fmt(None if on_time is None else on_time * 100)}% "
        f"of {m.fidelity.reassessments_due} due"
    )
    for name, r in sorted(m.fidelity.overrides.items()):
        print(
            f"Override rate, {name}: {_fmt(None if r.rate is None else r.rate * 100)}% of {r.with_proposal}"
        )
