"""``stagewise forms list|check|show|fhir`` and ``stagewise score``: the instrument library from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stagewise.commands._common import print_json

if TYPE_CHECKING:
    from stagewise.core.instruments import Form, Library
    from stagewise.core.instruments.scoring import Result


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``forms`` (list, check, show, fhir) and the top-level ``score`` command."""
    forms = subparsers.add_parser("forms", help="the validated questionnaires: list, check, show, FHIR")
    sub = forms.add_subparsers(dest="forms_command", metavar="ACTION", parser_class=type(forms))

    def _usage(args: argparse.Namespace) -> int:
        forms.print_help(sys.stderr)
        return 2

    forms.set_defaults(func=_usage)

    p = sub.add_parser("list", help="every instrument with its version and licence")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = sub.add_parser("check", help="validate instrument files (default: every shipped and practice file)")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE")
    p.set_defaults(func=_check)

    p = sub.add_parser("show", help="one instrument: items, scoring key, bands, licence, unverified notes")
    p.add_argument("form_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--behaviour", metavar="TEXT", help="fill the behaviour placeholder in item wording")
    p.set_defaults(func=_show)

    p = sub.add_parser("fhir", help="the instrument as a FHIR R4 Questionnaire (JSON)")
    p.add_argument("form_id", metavar="ID")
    p.add_argument("--behaviour", metavar="TEXT", help="fill the behaviour placeholder in item wording")
    p.set_defaults(func=_fhir)

    # ---- ``forms print ID --out FILE.pdf`` (blank paper form) belongs to the reports area.
    from stagewise.commands.reports import add_forms_print_parser

    add_forms_print_parser(sub)

    p = subparsers.add_parser("score", help="score a JSON file of answers against an instrument")
    p.add_argument("form_id", metavar="FORM_ID")
    p.add_argument("--answers", required=True, type=Path, metavar="FILE.json", help='{"1": 3, "2": 4, ...}')
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--behaviour", metavar="TEXT", help="the focus behaviour the answers refer to")
    p.add_argument("--sex", choices=("male", "female"), help="selects AUDIT-C thresholds")
    p.add_argument("--urica-stage-rule", metavar="RULE", default="nearest_group_mean")
    p.add_argument(
        "--enable-rule", action="append", default=[], metavar="RULE", help="switch on an optional rule"
    )
    p.set_defaults(func=_score)


def _library(args: argparse.Namespace) -> Library:
    from stagewise.core.instruments import load_library, practice_forms_dir
    from stagewise.core.paths import AppPaths

    practice = practice_forms_dir(AppPaths.resolve(getattr(args, "data_dir", None)))
    library = load_library([practice] if practice.is_dir() else [])
    for problem in library.skipped:  # reported, and the other instruments still work
        print(f"stagewise: note: skipped {problem} (stagewise forms check)", file=sys.stderr)
    return library


def _commercial(form: Form) -> str:
    allowed = form.licence.commercial_use_allowed
    return "allowed" if allowed else ("NOT for commercial use" if allowed is False else "ask the authors")


def _list(args: argparse.Namespace) -> int:
    library = _library(args)
    rows: list[dict[str, Any]] = [
        {
            "id": f.id,
            "version": f.version,
            "title": f.title,
            "licence": f.licence.status.value,
            "commercial_use_allowed": f.licence.commercial_use_allowed,
            "commercial_use": _commercial(f),
            "unverified": f.is_unverified,
            "scoring_unverified": f.scoring_unverified,
        }
        for f in library.forms
    ]
    if args.json:
        print_json(rows)
        return 0
    print(f"{'ID':<24}{'VERSION':<9}{'LICENCE':<23}{'COMMERCIAL USE':<24}TITLE")
    for r in rows:
        mark = " *" if r["unverified"] else ""
        licence = str(r["licence"]).replace("_", " ")
        print(f"{r['id'] + mark:<24}{r['version']:<9}{licence:<23}{r['commercial_use']:<24}{r['title']}")
    if any(r["unverified"] for r in rows):
        print("* has UNVERIFIED keys, rules or wording: see `stagewise forms show ID`")
    return 0


def _check(args: argparse.Namespace) -> int:
    from stagewise.core.errors import FormError
    from stagewise.core.instruments import (
        FormFileError,
        instrument_files,
        load_form,
        practice_forms_dir as practice_dir,
        shipped_instruments_dir,
    )
    from stagewise.core.paths import AppPaths

    files = list(args.files) or instrument_files(
        [shipped_instruments_dir(), practice_dir(AppPaths.resolve(args.data_dir))]
    )
    bad = 0
    seen: dict[tuple[str, str], Path] = {}
    for path in files:
        try:
            form = load_form(path)
            key = (form.id, form.version)
            if key in seen:
                raise FormError(f"{path.name}: $: {form.id} {form.version} is also defined in {seen[key]}")
            seen[key] = path
        except FormFileError as exc:
            bad += 1
            print(exc.details(), file=sys.stderr)
            continue
        except FormError as exc:
            bad += 1
            print(str(exc), file=sys.stderr)
            continue
        print(f"ok  {path}  ({form.id} {form.version})")
    if bad:
        print(f"stagewise: {bad} of {len(files)} instrument file(s) are invalid", file=sys.stderr)
        return 2
    print(f"{len(files)} instrument file(s) valid")
    return 0


def describe(form: Form, behaviour: str | None = None) -> dict[str, Any]:
    """Everything about a form that a clinician or an auditor may want to read, as JSON types."""
    default_rule = form.stage.default if form.stage else None
    return {
        "id": form.id,
        "version": form.version,
        "scoring_version": form.scoring_version,
        "title": form.title,
        "citation": form.citation,
        "citation_short": form.citation_short,
        "licence": {
            "status": form.licence.status.value,
            "commercial_use_allowed": form.licence.commercial_use_allowed,
            "attribution": form.licence.attribution,
            "source": form.licence.source,
            "note": form.licence.note,
        },
        "instructions": form.instructions,
        "client_instructions": form.fill(form.client_instructions, behaviour),
        "items": [
            {
                "id": it.id,
                "text": form.item_text(it.id, behaviour),
                "allowed_values": list(form.allowed_values(it.id)),
                "scored": it.scored,
                "optional": it.optional,
                **({"flag": it.flag.name} if it.flag else {}),
                **({"loinc": it.loinc} if it.loinc else {}),
            }
            for it in form.items
        ],
        "scores": [
            {
                "name": s.name,
                "method": s.method.value,
                "items": list(s.items),
                "reverse": sorted(s.reverse, key=int),
                "range": list(form.score_range(s.name)),
            }
            for s in form.scores
        ]
        + [
            {"name": d.name, "expression": d.expression.text, "range": list(form.score_range(d.name))}
            for d in form.derived
        ]
        + [{"name": n.output, "norms_of": n.score, "population": n.population} for n in form.norms],
        "bands": [
            {
                "score": b.score,
                "variant": b.variant,
                "source": b.source,
                "ranges": [[x.min, x.max, x.label] for x in b.bands],
            }
            for b in form.bands
        ],
        "stage_rules": [
            {
                "id": r.id,
                "default": r.id == default_rule,
                "description": r.description,
                "unverified": r.unverified,
            }
            for r in (form.stage.rules if form.stage else ())
        ],
        "no_stage_note": form.no_stage_note,
        "loinc": {
            "panel": form.loinc.panel,
            "total": form.loinc.total,
            "third_party_only": list(form.loinc.third_party_only),
        },
        "unverified": list(form.unverified),
        "scoring_unverified": form.scoring_unverified,
        "wording_notes": list(form.wording_notes),
        "optional_rules": list(form.optional_rules),
        "sha256": form.sha256,
        "path": str(form.path),
    }


def _show(args: argparse.Namespace) -> int:
    form = _library(args).get(args.form_id)
    info = describe(form, args.behaviour)
    if args.json:
        print_json(info)
        return 0
    lic = info["licence"]
    print(f"{form.title}\n{form.id} version {form.version}, scoring version {form.scoring_version}")
    print(f"Citation: {form.citation}")
    print(f"Licence: {lic['status'].replace('_', ' ')}; commercial use: {_commercial(form)}")
    print(f"  {lic['attribution']}")
    print(f"\nInstructions (clinician): {form.instructions}")
    print(f"Instructions (client): {info['client_instructions']}\n")
    for it in info["items"]:
        extra = "" if it["scored"] else " [not scored]"
        extra += " [optional]" if it["optional"] else ""
        values = ", ".join(f"{v:g}" for v in it["allowed_values"])
        print(f"{it['id']:>3}. {it['text']}  ({values}){extra}")
    print("\nScores:")
    for s in info["scores"]:
        how = s.get("expression") or (
            f"{s['method']} of items {', '.join(s['items'])}" if "items" in s else ""
        )
        how = how or f"norms of {s['norms_of']} ({s['population']})"
        if s.get("reverse"):
            how += f"; reverse-keyed {', '.join(s['reverse'])}"
        rng = f" range {s['range'][0]:g}–{s['range'][1]:g}" if "range" in s else ""
        print(f"  {s['name']}: {how}{rng}")
    for b in info["bands"]:
        variant = f" ({b['variant']})" if b["variant"] else ""
        print(
            f"Bands for {b['score']}{variant}: "
            + "; ".join(f"{lo:g}–{hi:g} {label}" for lo, hi, label in b["ranges"])
        )
    for r in info["stage_rules"]:
        print(f"Stage rule {r['id']}{' (default)' if r['default'] else ''}: {r['description']}")
    if info["no_stage_note"]:
        print(info["no_stage_note"])
    for note in form.unverified:
        print(f"UNVERIFIED: {note}")
    for note in form.wording_notes:
        print(f"Wording: {note}")
    print(f"sha256 {form.sha256}  {form.path}")
    return 0


def _fhir(args: argparse.Namespace) -> int:
    from stagewise.core.instruments.fhir import questionnaire

    print_json(questionnaire(_library(args).get(args.form_id), args.behaviour))
    return 0


def read_answers(path: Path) -> dict[str, Any]:
    """Answers from a JSON file: ``{"1": 3, ...}`` or ``{"answers": {...}}``.  Raises UserInputError."""
    from stagewise.core.errors import UserInputError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(f"answers file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"answers file {path} cannot be read: {exc}") from None
    from stagewise.core import jsoninput

    try:
        data = jsoninput.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(
            f"answers file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except jsoninput.JSONInputError as exc:
        raise UserInputError(f"answers file {path} is not acceptable: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        data = data["answers"]
    if not isinstance(data, dict):
        raise UserInputError(f'answers file {path} must hold a JSON object such as {{"1": 3, "2": 4}}')
    return data


def _score(args: argparse.Namespace) -> int:
    from stagewise.core.instruments.scoring import ScoringOptions, score

    form = _library(args).get(args.form_id)
    answers = read_answers(args.answers)
    options = ScoringOptions(
        urica_stage_rule=args.urica_stage_rule, sex=args.sex, enabled_rules=frozenset(args.enable_rule)
    )
    result = score(form, answers, options)
    if args.json:
        print_json(result.to_json())
        return 0
    print(render_result(form, result, args.behaviour))
    return 0


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def render_result(form: Form, result: Result, behaviour: str | None = None) -> str:
    """A readable table of a result."""
    state = "complete" if result.complete else "INCOMPLETE"
    lines = [f"{form.title} ({form.id} {result.form_version}, scoring {result.scoring_version}): {state}"]
    if behaviour:
        lines.append(f"Focus: {behaviour}")
    width = max(len(n) for n in result.scores) + 2 if result.scores else 8
    lines.append(f"{'SCORE':<{width}}{'VALUE':>8}  BAND")
    for name, value in result.scores.items():
        lines.append(f"{name:<{width}}{_fmt(value):>8}  {result.bands.get(name, '')}".rstrip())
    lines.append(f"Stage: {result.stage.value if result.stage else 'none'} — {result.stage_rule}")
    if result.flags:
        lines.append(f"Flags: {', '.join(result.flags)}")
    if result.missing:
        lines.append(f"Missing items: {', '.join(result.missing)}")
    lines.extend(f"Note: {m}" for m in result.messages)
    return "\n".join(lines)
