"""Second loading pass: check what a schema-valid file *means* and build the frozen Form.

Checks: unique item ids, scale references, score keys (existing, scored items; reverse keys inside the
key), expressions, named rules, band and norm coverage of each score's whole range without gaps or
overlaps, stage rules, LOINC references, UNVERIFIED marking, trend charts (:mod:`.presentation`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path

from stagewise.core.instruments import model as m, scoring_rules
from stagewise.core.instruments.expressions import ExpressionError, compile_expression
from stagewise.core.instruments.presentation import build_charts
from stagewise.core.instruments.schema import BandRangeModel, FormModel, NormRowModel
from stagewise.core.models import Stage
from stagewise.core.text import short_citation

Problems = list[tuple[str, str]]


def _is_whole(value: float) -> bool:
    return float(value).is_integer()


def _check_cover(
    where: str,
    rows: Sequence[BandRangeModel | NormRowModel],
    lo: float,
    hi: float,
    integer: bool,
    problems: Problems,
) -> None:
    """Rows (sorted by min) must run from ``lo`` to ``hi`` with no gap and no overlap."""
    ordered = sorted(rows, key=lambda r: r.min)
    if list(rows) != ordered:
        problems.append((where, "ranges must be listed from the lowest to the highest"))
        return
    for row in ordered:
        if row.min > row.max:
            problems.append((where, f"range {row.min}–{row.max} has min above max"))
            return
    if ordered[0].min != lo or ordered[-1].max != hi:
        problems.append(
            (where, f"ranges cover {ordered[0].min}–{ordered[-1].max} but the score runs {lo:g}–{hi:g}")
        )
    step = 1 if integer else 0  # whole-number scores: 0–4 then 5–9; fractional: [min, next min)
    for before, after in itertools.pairwise(ordered):
        if after.min != before.max + step:
            gap = "overlap" if after.min < before.max + step else "gap"
            problems.append((where, f"{gap} between {before.max} and {after.min}"))


def build_form(fm: FormModel, *, source_text: str, sha256: str, path: Path) -> tuple[m.Form | None, Problems]:
    """Build a Form from a schema-valid model, or return the problems that prevent it."""
    problems: Problems = []
    scales = {s.id: s for s in fm.scales}
    if len(scales) != len(fm.scales):
        problems.append(("scales", "two scales share an id"))
    built_scales: list[m.Scale] = []
    for i, s in enumerate(fm.scales, 1):
        option_values = [o.value for o in s.options]
        if len(set(option_values)) != len(option_values):
            problems.append((f"scales[{i}].options", "two options share a value"))
        built_scales.append(
            m.Scale(
                s.id, tuple(m.ResponseOption(o.value, o.label, o.loinc) for o in s.options), s.orientation
            )
        )

    items: list[m.Item] = []
    allowed: dict[str, frozenset[m.Number]] = {}
    for i, it in enumerate(fm.items, 1):
        where = f"items[{i}]"
        if it.id in allowed:
            problems.append((f"{where}.id", f"item id {it.id!r} is used twice"))
            continue
        if it.scale not in scales:
            problems.append((f"{where}.scale", f"no scale {it.scale!r}; scales are {', '.join(scales)}"))
            continue
        values = frozenset(o.value for o in scales[it.scale].options)
        allowed[it.id] = values
        flag = None
        if it.flag is not None:
            if not min(values) < it.flag.at_least <= max(values):
                problems.append(
                    (f"{where}.flag.at_least", "must lie above the lowest value of the item's scale")
                )
            flag = m.ItemFlag(it.flag.name, it.flag.at_least, it.flag.message)
        number = int(re.match(r"\d+", it.id).group())  # type: ignore[union-attr]  # pattern guarantees digits
        items.append(
            m.Item(it.id, number, it.text, it.scale, it.scored, it.optional, it.loinc, flag, it.note)
        )
    if problems:
        return None, problems
    by_id = {it.id: it for it in items}

    optional_ids = set(fm.optional_rules)
    ranges: dict[str, tuple[float, float]] = {}
    integer_valued: dict[str, bool] = {}
    scores: list[m.ScoreDef] = []
    used_items: set[str] = set()
    for i, sc in enumerate(fm.scores, 1):
        where = f"scores[{i}]"
        if sc.name in ranges:
            problems.append((f"{where}.name", f"score name {sc.name!r} is used twice"))
            continue
        bad = [x for x in sc.items if x not in by_id]
        if bad:
            problems.append((f"{where}.items", f"no item(s) {', '.join(bad)} in this form"))
            continue
        if len(set(sc.items)) != len(sc.items):
            problems.append((f"{where}.items", "an item is listed twice"))
        unscored = [x for x in sc.items if not by_id[x].scored]
        if unscored:
            problems.append((f"{where}.items", f"item(s) {', '.join(unscored)} are marked scored = false"))
        stray = [x for x in sc.reverse if x not in sc.items]
        if stray:
            problems.append((f"{where}.reverse", f"item(s) {', '.join(stray)} are not in this score's items"))
        missing = None
        if sc.missing is not None:
            if sc.missing.rule not in optional_ids:
                problems.append((f"{where}.missing.rule", "must also be listed in optional_rules"))
            if sc.missing.max_missing >= len(sc.items):
                problems.append((f"{where}.missing.max_missing", "must leave at least one item answered"))
            missing = m.MissingRule(sc.missing.rule, sc.missing.max_missing, sc.missing.description)
        used_items.update(sc.items)
        lows = [min(allowed[x]) for x in sc.items]
        highs = [max(allowed[x]) for x in sc.items]
        lo, hi = float(sum(lows)), float(sum(highs))
        whole = (
            sc.method == "sum" and missing is None and all(_is_whole(v) for x in sc.items for v in allowed[x])
        )
        if sc.method == "mean":
            lo, hi = lo / len(sc.items), hi / len(sc.items)
        ranges[sc.name], integer_valued[sc.name] = (lo, hi), whole
        scores.append(
            m.ScoreDef(
                sc.name, sc.label, tuple(sc.items), m.ScoreMethod(sc.method), frozenset(sc.reverse), missing
            )
        )
    for position, built_item in enumerate(items, 1):
        if built_item.scored and built_item.id not in used_items:
            problems.append((f"items[{position}].scored", f"item {built_item.id} is scored but in no score"))

    derived: list[m.Derived] = []
    for i, d in enumerate(fm.derived, 1):
        where = f"derived[{i}]"
        if d.name in ranges:
            problems.append((f"{where}.name", f"score name {d.name!r} is used twice"))
            continue
        try:
            expr = compile_expression(d.expression, frozenset(ranges))
            lo, hi = expr.interval(ranges)
        except ExpressionError as exc:
            problems.append((f"{where}.expression", str(exc)))
            continue
        if not (math.isfinite(lo) and math.isfinite(hi)):
            problems.append((f"{where}.expression", "the expression can divide by zero"))
            continue
        ranges[d.name], integer_valued[d.name] = (lo, hi), False
        derived.append(m.Derived(d.name, d.label, expr))

    norms: list[m.NormTable] = []
    for i, n in enumerate(fm.norms, 1):
        where = f"norms[{i}]"
        if n.score not in ranges:
            problems.append((f"{where}.score", f"no score {n.score!r}"))
            continue
        if n.output in ranges:
            problems.append((f"{where}.output", f"score name {n.output!r} is used twice"))
            continue
        _check_cover(f"{where}.rows", n.rows, *ranges[n.score], integer_valued[n.score], problems)
        rows = tuple(m.NormRow(r.min, r.max, r.value, r.label) for r in n.rows)
        ranges[n.output] = (float(min(r.value for r in rows)), float(max(r.value for r in rows)))
        integer_valued[n.output] = all(_is_whole(r.value) for r in rows)
        norms.append(m.NormTable(n.score, n.output, n.label, n.source, n.population, rows))

    bands: list[m.BandSet] = []
    seen_bands: set[tuple[str, str | None]] = set()
    for i, b in enumerate(fm.bands, 1):
        where = f"bands[{i}]"
        if b.score not in ranges:
            problems.append((f"{where}.score", f"no score {b.score!r}; scores are {', '.join(ranges)}"))
            continue
        if (b.score, b.variant) in seen_bands:
            problems.append((where, f"bands for {b.score!r} ({b.variant or 'all'}) are given twice"))
        seen_bands.add((b.score, b.variant))
        _check_cover(f"{where}.ranges", b.ranges, *ranges[b.score], integer_valued[b.score], problems)
        built = tuple(m.Band(r.min, r.max, r.label, r.flag, r.message) for r in b.ranges)
        bands.append(m.BandSet(b.score, b.variant, b.source, built, tuple(r.min for r in built)))
    for score, variant in seen_bands:
        if variant is not None and (score, "unspecified") not in seen_bands:
            problems.append(("bands", f"bands for {score!r} by sex need an 'unspecified' set too"))
        if variant is not None and (score, None) in seen_bands:
            problems.append(("bands", f"bands for {score!r} mix sex-specific and general sets"))

    stage = _build_stage(fm, ranges, problems)
    charts = build_charts(fm, ranges, integer_valued, bands, norms, problems)

    for i, rule in enumerate(fm.rules, 1):
        if rule not in scoring_rules.RULES:
            problems.append(
                (f"rules[{i}]", f"no scoring rule {rule!r}; known: {', '.join(scoring_rules.RULES)}")
            )
    declared_missing = {sc.missing.rule for sc in fm.scores if sc.missing}
    for i, rule in enumerate(fm.optional_rules, 1):
        if rule not in scoring_rules.RULES and rule not in declared_missing:
            problems.append((f"optional_rules[{i}]", f"no scoring rule or missing-item rule {rule!r}"))
    if fm.loinc.total_score is not None and fm.loinc.total_score not in ranges:
        problems.append(("loinc.total_score", f"no score {fm.loinc.total_score!r}"))
    if stage is not None and any(r.unverified for r in stage.rules) and not fm.unverified:
        problems.append(("unverified", "a stage rule is marked unverified, so say why in 'unverified'"))
    if fm.stage is None and fm.no_stage_note and "assigns no stage" not in fm.no_stage_note:
        problems.append(("no_stage_note", "must say 'assigns no stage' (the stage comparison looks for it)"))
    if fm.stage is not None and fm.no_stage_note:
        problems.append(("no_stage_note", "only for instruments without a [stage] section"))
    if fm.scoring_unverified and not fm.unverified:
        problems.append(
            ("unverified", "scoring_unverified is true, so say what is unverified in 'unverified'")
        )
    if problems:
        return None, problems

    loinc = m.LoincCodes(
        fm.loinc.panel, fm.loinc.total, fm.loinc.total_score, tuple(fm.loinc.third_party_only), fm.loinc.note
    )
    form = m.Form(
        id=fm.id, version=fm.version, scoring_version=fm.scoring_version, title=fm.title,
        short_title=fm.short_title, order=fm.order, citation=fm.citation,
        citation_short=fm.citation_short or short_citation(fm.citation),
        licence=m.Licence(
            m.LicenceStatus(fm.licence.status), fm.licence.commercial_use_allowed, fm.licence.attribution,
            fm.licence.source, fm.licence.note,
        ),
        language=fm.language, instructions=fm.instructions, client_instructions=fm.client_instructions,
        scales=tuple(built_scales), items=tuple(items), scores=tuple(scores), derived=tuple(derived),
        bands=tuple(bands), norms=tuple(norms), stage=stage, loinc=loinc, unverified=tuple(fm.unverified),
        scoring_unverified=fm.scoring_unverified,
        wording_notes=tuple(fm.wording_notes), rules=tuple(fm.rules), optional_rules=tuple(fm.optional_rules),
        behaviour_default=fm.behaviour_default, no_stage_note=fm.no_stage_note,
        result_notes=tuple(fm.result_notes), charts=charts, source_text=source_text,
        sha256=sha256, path=path, subject=fm.subject, _allowed=dict(allowed), _ranges=ranges,
        _flagged=tuple(it for it in items if it.flag is not None),
        _required=tuple(it.id for it in items if not it.optional),
        _flip={k: min(v) + max(v) for k, v in allowed.items()},
    )  # fmt: skip
    return form, []


def _build_stage(
    fm: FormModel, ranges: dict[str, tuple[float, float]], problems: Problems
) -> m.StageSpec | None:
    if fm.stage is None:
        return None
    rules: list[m.StageRule] = []
    for i, r in enumerate(fm.stage.rules, 1):
        where = f"stage.rules[{i}]"
        kind = m.StageRuleKind(r.kind)
        if kind is m.StageRuleKind.HIGHEST_SCALE:
            unknown = [s for s in r.scales if s not in ranges]
            if len(r.scales) < 2 or unknown:
                problems.append((f"{where}.scales", "needs two or more known scores mapped to stages"))
        elif r.score not in ranges:
            problems.append((f"{where}.score", f"no score {r.score!r}"))
        if kind is m.StageRuleKind.NEAREST_GROUP_MEAN and len(r.anchors) < 2:
            problems.append((f"{where}.anchors", "needs two or more stage group means"))
        if kind is m.StageRuleKind.THRESHOLDS:
            ats = [t.at_least for t in r.thresholds]
            if not ats or ats != sorted(ats) or len(set(ats)) != len(ats):
                problems.append((f"{where}.thresholds", "list thresholds from the lowest up, each once"))
            elif r.score in ranges and ats[0] > ranges[r.score][0]:
                problems.append(
                    (f"{where}.thresholds", "the first threshold must be at or below the lowest score")
                )
        rules.append(
            m.StageRule(
                r.id, kind, r.description, r.unverified, r.score,
                tuple((Stage(k), v) for k, v in r.anchors.items()),
                tuple(m.Threshold(t.at_least, Stage(t.stage)) for t in r.thresholds),
                tuple((k, Stage(v)) for k, v in r.scales.items()),
            )
        )  # fmt: skip
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        problems.append(("stage.rules", "two stage rules share an id"))
    if fm.stage.default not in ids:
        problems.append(("stage.default", f"no stage rule {fm.stage.default!r}; rules are {', '.join(ids)}"))
    return m.StageSpec(fm.stage.default, fm.stage.option, tuple(rules))
