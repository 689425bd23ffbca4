"""Score answers against a loaded instrument: pure functions, no database, no Qt.

Answers are keyed by the printed item number as a string (``"1"`` … ``"32"``) and hold the printed
response value.  A missing key (or JSON ``null``) means "not answered".  Partial answer sets are valid:
the result is then marked incomplete, the unanswered items are listed, and every score that needs them
is ``None`` — never a silently prorated number (no manual's prorating rule could be verified).  A
practice may switch on a documented missing-item rule through :class:`ScoringOptions`; the result then
says so in its messages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stagewise.core.errors import ScoringError, shorten
from stagewise.core.instruments.model import Form, ScoreMethod
from stagewise.core.instruments.scoring_rules import RULES, SEXES, RuleContext, ScoringOptions, assign_stage
from stagewise.core.models import Stage

__all__ = [
    "Result",
    "ResultDiff",
    "ScoringOptions",
    "diff_results",
    "score",
    "validate_answer",
    "validate_answers",
]

Number = int | float
UNVERIFIED_MESSAGE = "scoring rule not verified against the manual"
_DEFAULT = ScoringOptions()


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of scoring one administration (the scoring contract, issue 3)."""

    form_id: str
    form_version: str
    scoring_version: str
    complete: bool
    scores: dict[str, Number | None]
    bands: dict[str, str]
    stage: Stage | None
    stage_rule: str
    flags: tuple[str, ...]
    missing: tuple[str, ...]
    messages: tuple[str, ...]
    unverified: bool = False

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON types, with the contract's keys."""
        return {
            "form": self.form_id,
            "form_version": self.form_version,
            "scoring_version": self.scoring_version,
            "complete": self.complete,
            "scores": dict(self.scores),
            "bands": dict(self.bands),
            "stage": None if self.stage is None else self.stage.value,
            "stage_rule": self.stage_rule,
            "flags": list(self.flags),
            "missing": list(self.missing),
            "messages": list(self.messages),
            "unverified": self.unverified,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """Inverse of :meth:`to_json` (e.g. for a result stored in the practice file)."""
        try:
            stage = data.get("stage")
            return cls(
                form_id=str(data["form"]),
                form_version=str(data["form_version"]),
                scoring_version=str(data["scoring_version"]),
                complete=bool(data["complete"]),
                scores={str(k): v for k, v in dict(data["scores"]).items()},
                bands={str(k): str(v) for k, v in dict(data.get("bands") or {}).items()},
                stage=None if stage is None else Stage(stage),
                stage_rule=str(data.get("stage_rule") or ""),
                flags=tuple(data.get("flags") or ()),
                missing=tuple(data.get("missing") or ()),
                messages=tuple(data.get("messages") or ()),
                unverified=bool(data.get("unverified", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ScoringError(f"stored result is not in the expected shape ({exc})") from None


def _describe_allowed(values: tuple[Number, ...]) -> str:
    ordered = sorted(values)
    consecutive = all(isinstance(v, int) for v in ordered) and ordered == list(
        range(int(ordered[0]), int(ordered[-1]) + 1)
    )
    if consecutive and len(ordered) > 6:
        return f"whole numbers from {ordered[0]} to {ordered[-1]}"
    return ", ".join(f"{v:g}" for v in ordered)


def validate_answer(form: Form, item_id: str, value: object) -> Number:
    """Check one answer and return it as a number (``2.0`` on an integer scale becomes ``2``).

    Raises:
        ScoringError: unknown item, a non-number (booleans and text included), or a value not on the
            item's scale; the message names the item and the allowed values.
    """
    allowed = form._allowed.get(item_id) if isinstance(item_id, str) else None
    if allowed is None:
        ids = [it.id for it in form.items]
        raise ScoringError(f"{form.id} has no item {shorten(item_id)}; its items are {ids[0]}–{ids[-1]}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = shorten(value) if isinstance(value, str) else type(value).__name__
        raise ScoringError(
            f"item {item_id} of {form.id}: {shown} is not a number; allowed values are "
            f"{_describe_allowed(form.allowed_values(item_id))}"
        )
    if value in allowed and not (isinstance(value, float) and math.isnan(value)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    raise ScoringError(
        f"item {item_id} of {form.id}: {value:g} is not allowed; allowed values are "
        f"{_describe_allowed(form.allowed_values(item_id))}"
    )


def validate_answers(form: Form, answers: Mapping[str, object]) -> dict[str, Number]:
    """Check every answer; ``None`` values are dropped (not answered).  Raises ScoringError."""
    if not isinstance(answers, Mapping):
        raise ScoringError("answers must be an object mapping item numbers to values")
    allowed_by_item = form._allowed
    out: dict[str, Number] = {}
    for key, value in answers.items():
        if value is None:
            continue
        allowed = allowed_by_item.get(key)
        # Fast path for the common case (a plain int on the scale); everything else is checked in full.
        if allowed is not None and type(value) is int and value in allowed:
            out[key] = value
        else:
            out[key] = validate_answer(form, key, value)
    return out


def score(form: Form, answers: Mapping[str, object], options: ScoringOptions | None = None) -> Result:
    """Score ``answers`` (printed item number → printed value) on ``form``.

    Args:
        form: a loaded instrument.
        answers: possibly partial; unanswered items may be absent or ``None``.
        options: practice choices (URICA stage rule, sex for AUDIT-C, optional rules).

    Returns:
        The Result; ``complete`` is False and ``missing`` lists the items when answers are missing.

    Raises:
        ScoringError: an answer is invalid, or an option names an unknown rule or sex.
    """
    opts = options or _DEFAULT
    if opts.sex is not None and opts.sex not in SEXES:
        raise ScoringError(f"sex must be one of {', '.join(SEXES)} or left out, not {shorten(opts.sex)}")
    values = validate_answers(form, answers)
    enabled = opts.enabled_rules
    flags: list[str] = []
    messages: list[str] = []
    scores: dict[str, Number | None] = {}
    ctx = RuleContext(form, values, scores, flags, messages, opts)
    post = []
    names = form.rules + tuple(r for r in form.optional_rules if r in enabled) if enabled else form.rules
    for name in names:
        rule = RULES.get(name)
        if rule is None:
            continue  # a missing-item rule: applied per score below
        if rule.phase == "pre":
            rule.apply(ctx)
        else:
            post.append(rule)

    flip = form._flip
    for sd in form.scores:
        present = [values[i] for i in sd.items if i in values]
        total: Number = sum(present)
        for i in sd.reverse:
            if i in values:
                total = flip[i] - values[i] - values[i] + total
        n_missing = len(sd.items) - len(present)
        if n_missing == 0:
            scores[sd.name] = total / len(present) if sd.method is ScoreMethod.MEAN else total
        elif sd.missing is not None and sd.missing.rule in enabled and n_missing <= sd.missing.max_missing:
            if sd.method is ScoreMethod.MEAN:
                scores[sd.name] = total / len(present)
            else:
                scores[sd.name] = total * len(sd.items) / len(present)
            messages.append(
                f"{sd.label} computed from {len(present)} of {len(sd.items)} items: {sd.missing.description}"
            )
        else:
            scores[sd.name] = None
    for d in form.derived:
        scores[d.name] = d.expression.evaluate(scores)

    bands: dict[str, str] = {}
    for table in form.norms:
        raw = scores.get(table.score)
        row = None if raw is None else table.lookup(raw)
        scores[table.output] = None if row is None else row.value
        if row is not None:
            bands[table.output] = row.label
    if form.bands:
        _apply_bands(form, scores, bands, flags, messages, opts.sex)
    for item in form._flagged:
        if item.flag is not None and values.get(item.id, -math.inf) >= item.flag.at_least:
            flags.append(item.flag.name)
            messages.append(item.flag.message)
    for rule in post:
        rule.apply(ctx)

    messages.extend(form.result_notes)
    missing = tuple(i for i in form._required if i not in values)
    stage, stage_words, rule_unverified = _stage(form, scores, opts)
    unverified = form.scoring_unverified or rule_unverified
    if unverified:
        messages.append(f"{UNVERIFIED_MESSAGE}: see `stagewise forms show {form.id}`")
    return Result(
        form_id=form.id,
        form_version=form.version,
        scoring_version=form.scoring_version,
        complete=not missing,
        scores=scores,
        bands=bands,
        stage=stage,
        stage_rule=stage_words,
        flags=tuple(flags),
        missing=missing,
        messages=tuple(messages),
        unverified=unverified,
    )


def _apply_bands(
    form: Form,
    scores: dict[str, Number | None],
    bands: dict[str, str],
    flags: list[str],
    messages: list[str],
    sex: str | None,
) -> None:
    for band_set in form.bands:
        if band_set.variant is not None and band_set.variant != (sex or "unspecified"):
            continue
        value = scores.get(band_set.score)
        band = None if value is None else band_set.lookup(value)
        if band is None:
            continue
        bands[band_set.score] = band.label
        if band.flag:
            flags.append(band.flag)
        if band.message:
            messages.append(band.message)


def _stage(
    form: Form, scores: dict[str, Number | None], opts: ScoringOptions
) -> tuple[Stage | None, str, bool]:
    if form.stage is None:
        return None, form.no_stage_note or f"{form.short_title} assigns no stage.", False
    rule_id = form.stage.default
    if form.stage.option == "urica_stage_rule":
        rule_id = opts.urica_stage_rule
    rule = form.stage.rule(rule_id)
    stage, words = assign_stage(rule, scores)
    return stage, words, rule.unverified


@dataclass(frozen=True, slots=True)
class ResultDiff:
    """What changed between two results for the same answers (e.g. after a scoring-rule change)."""

    old_versions: tuple[str, str]
    new_versions: tuple[str, str]
    scores: dict[str, tuple[Number | None, Number | None]]
    bands: dict[str, tuple[str | None, str | None]]
    stage: tuple[Stage | None, Stage | None] | None
    flags_added: tuple[str, ...]
    flags_removed: tuple[str, ...]
    complete: tuple[bool, bool] | None

    @property
    def changed(self) -> bool:
        """True when anything a clinician sees differs."""
        return bool(
            self.scores or self.bands or self.stage or self.flags_added or self.flags_removed or self.complete
        )

    def lines(self) -> list[str]:
        """The differences in words, one per line."""
        out = [f"{name}: {a} → {b}" for name, (a, b) in self.scores.items()]
        out += [f"{name} band: {a} → {b}" for name, (a, b) in self.bands.items()]
        if self.stage:
            a_stage, b_stage = self.stage
            out.append(f"stage: {a_stage or 'none'} → {b_stage or 'none'}")
        out += [f"flag added: {f}" for f in self.flags_added]
        out += [f"flag removed: {f}" for f in self.flags_removed]
        if self.complete:
            out.append(f"complete: {self.complete[0]} → {self.complete[1]}")
        return out


def diff_results(old: Result, new: Result) -> ResultDiff:
    """Compare two results (old → new); versions are reported, scores compared by name."""

    def _differs(a: Number | None, b: Number | None) -> bool:
        if a is None or b is None:
            return a is not b
        return not math.isclose(a, b, rel_tol=0, abs_tol=1e-9)

    names = list(dict.fromkeys([*old.scores, *new.scores]))
    scores = {n: (old.scores.get(n), new.scores.get(n)) for n in names}
    scores = {n: v for n, v in scores.items() if _differs(*v)}
    band_names = list(dict.fromkeys([*old.bands, *new.bands]))
    bands = {n: (old.bands.get(n), new.bands.get(n)) for n in band_names}
    bands = {n: v for n, v in bands.items() if v[0] != v[1]}
    return ResultDiff(
        old_versions=(old.form_version, old.scoring_version),
        new_versions=(new.form_version, new.scoring_version),
        scores=scores,
        bands=bands,
        stage=(old.stage, new.stage) if old.stage != new.stage else None,
        flags_added=tuple(f for f in new.flags if f not in old.flags),
        flags_removed=tuple(f for f in old.flags if f not in new.flags),
        complete=(old.complete, new.complete) if old.complete != new.complete else None,
    )
