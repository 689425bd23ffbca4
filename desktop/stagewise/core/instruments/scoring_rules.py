"""Named, non-declarative scoring rules that instrument files refer to by id, and the stage rules.

A form lists always-on rules in ``rules = [...]`` and rules a practice may switch on in
``optional_rules = [...]`` (enabled through :class:`ScoringOptions.enabled_rules`).  ``pre`` rules run
before scores are computed (completeness), ``post`` rules after (flags, messages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from stagewise.core.enums import STAGE_ORDER
from stagewise.core.instruments.model import Form, StageRule, StageRuleKind
from stagewise.core.models import Stage

Number = int | float

SEXES = ("male", "female")


@dataclass(frozen=True, slots=True)
class ScoringOptions:
    """Practice-level choices that change how a result is computed.

    Attributes:
        urica_stage_rule: which URICA stage rule to apply: ``nearest_group_mean`` (default; Mid-Atlantic
            ATTC) or ``habits_lab_cutoffs`` (approximate, UNVERIFIED; docs/instruments/urica-32.md).
        sex: ``"male"``, ``"female"`` or None; selects AUDIT-C thresholds (≥4 men, ≥3 women; Bradley et
            al. 2003).  With None the band says both thresholds and a total of 3 is flagged as positive
            for women only.
        enabled_rules: optional rule ids to switch on, e.g. ``audit_limited_completeness`` (CamCOPS;
            ``docs/instruments/audit.md``) or the UNVERIFIED missing-item rules ``urica_six_of_seven`` /
            ``rcq_prorate_one_missing``.
    """

    urica_stage_rule: str = "nearest_group_mean"
    sex: str | None = None
    enabled_rules: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class RuleContext:
    """What a rule may read and change while one result is being computed."""

    form: Form
    answers: dict[str, Number]
    scores: dict[str, Number | None]
    flags: list[str]
    messages: list[str]
    options: ScoringOptions


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    phase: str  # "pre" or "post"
    description: str
    apply: Callable[[RuleContext], None]
    unverified: bool = False


def _audit_limited_completeness(ctx: RuleContext) -> None:
    """CamCOPS's "special limited-information completeness" for the AUDIT (docs/instruments/audit.md).

    If Q1 = 0 (never drinks), Q2–Q8 may be skipped; if Q2 + Q3 = 0, Q4–Q8 may be skipped.  Skipped items
    count 0.  Q9 and Q10 are still required.  [G: camcops server/camcops_server/tasks/audit.py]
    """
    a = ctx.answers
    if a.get("1") == 0:
        skipped = [str(n) for n in range(2, 9) if str(n) not in a]
        reason = "item 1 is 'Never'"
    elif "2" in a and "3" in a and a["2"] + a["3"] == 0:
        skipped = [str(n) for n in range(4, 9) if str(n) not in a]
        reason = "items 2 and 3 are both 0"
    else:
        return
    if skipped:
        for item_id in skipped:
            a[item_id] = 0
        ctx.messages.append(
            f"Items {', '.join(skipped)} were not asked because {reason}; they count as 0 "
            "(limited-information completeness rule, CamCOPS)."
        )


def _audit_next_level(ctx: RuleContext) -> None:
    """WHO: "Provide the next highest level of intervention to patients who score 2 or more on Questions
    4, 5 and 6, or 4 on Questions 9 or 10" (Babor et al. 2001)."""
    a = ctx.answers
    hits = [n for n in ("4", "5", "6") if a.get(n, 0) >= 2] + [n for n in ("9", "10") if a.get(n, 0) == 4]
    if hits:
        ctx.flags.append("audit_next_level")
        ctx.messages.append(
            f"Item(s) {', '.join(hits)} suggest providing the next highest level of intervention than the "
            "risk zone alone (WHO AUDIT manual, 2001)."
        )


def _auditc_q1_only(ctx: RuleContext) -> None:
    """ "If the points are all from Question 1 alone where 2 and 3 are 0, it is likely the patient is
    drinking below recommended limits" (Bradley et al. 2003, PMID 12695273, via US Core)."""
    a = ctx.answers
    if a.get("1", 0) > 0 and a.get("2") == 0 and a.get("3") == 0:
        ctx.messages.append(
            "All points come from item 1 (items 2 and 3 are 0): the person is likely drinking below "
            "recommended limits (Bradley et al. 2003)."
        )


_ALL = (
    Rule(
        "audit_limited_completeness",
        "pre",
        "CamCOPS limited-information completeness",
        _audit_limited_completeness,
    ),
    Rule("audit_next_level", "post", "WHO next-highest-level-of-intervention flag", _audit_next_level),
    Rule("auditc_q1_only", "post", "AUDIT-C points from item 1 only", _auditc_q1_only),
)
RULES: dict[str, Rule] = {r.name: r for r in _ALL}


def assign_stage(rule: StageRule, scores: dict[str, Number | None]) -> tuple[Stage | None, str]:
    """Apply one stage rule to the scores; returns the stage (or None) and how it was reached, in words."""
    if rule.kind is StageRuleKind.HIGHEST_SCALE:
        values = [(scores.get(name), stage, name) for name, stage in rule.scales]
        if any(v is None for v, _, _ in values):
            return None, f"{rule.description} No stage: a scale score is missing."
        present = [(v, stage, name) for v, stage, name in values if v is not None]
        top = max(v for v, _, _ in present)
        winners = [(stage, name) for v, stage, name in present if v == top]
        stage, name = max(winners, key=lambda w: STAGE_ORDER[w[0]])  # ties go to the later stage
        tie = (
            f" (tie between {', '.join(n for _, n in winners)}: the later stage)" if len(winners) > 1 else ""
        )
        return stage, f"{rule.description} Highest scale: {name} = {top:g}{tie} → {stage.value}."
    value = scores.get(rule.score or "")
    if value is None:
        return None, f"{rule.description} No stage: the {rule.score} score is missing."
    if rule.kind is StageRuleKind.NEAREST_GROUP_MEAN:
        distances = [(abs(value - mean), stage) for stage, mean in rule.anchors]
        best = min(d[0] for d in distances)
        tied = [d for d in distances if d[0] == best]
        stage = max(tied, key=lambda d: STAGE_ORDER[d[1]])[
            1
        ]  # equidistant → the later stage (as the RCQ rule)
        means = ", ".join(f"{s.value} {mean:g}" for s, mean in rule.anchors)
        return stage, f"{rule.description} {rule.score} = {value:.2f}; nearest of {means} → {stage.value}."
    stage = rule.thresholds[0].stage
    for threshold in rule.thresholds:
        if value >= threshold.at_least:
            stage = threshold.stage
    return stage, f"{rule.description} {rule.score} = {value:.2f} → {stage.value}."
