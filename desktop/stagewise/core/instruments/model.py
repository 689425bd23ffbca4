"""Frozen value types for a loaded instrument.  Built only by :mod:`stagewise.core.instruments.loader`."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stagewise.core.errors import ScoringError
from stagewise.core.instruments.expressions import Expression
from stagewise.core.models import Stage

Number = int | float

PLACEHOLDERS = ("{behaviour}", "[the behaviour]")
SCORING_UNVERIFIED_CAVEAT = (
    "Scoring rule not verified against the manual: treat bands and stage as provisional."
)


class LicenceStatus(enum.StrEnum):
    """What the copyright holder allows (each shipped file's source: ``docs/instruments/<id>.md``)."""

    PUBLIC_DOMAIN = "public_domain"
    FREE_WITH_ATTRIBUTION = "free_with_attribution"
    NON_COMMERCIAL = "non_commercial"
    PERMISSION_UNVERIFIED = "permission_unverified"


class ScoreMethod(enum.StrEnum):
    SUM = "sum"
    MEAN = "mean"


class StageRuleKind(enum.StrEnum):
    NEAREST_GROUP_MEAN = "nearest_group_mean"
    THRESHOLDS = "thresholds"
    HIGHEST_SCALE = "highest_scale"


@dataclass(frozen=True, slots=True)
class Licence:
    status: LicenceStatus
    commercial_use_allowed: bool | None
    attribution: str
    source: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class LoincCodes:
    """LOINC codes where a source gives them (``docs/instruments/<id>.md`` says which).

    ``third_party_only`` lists the codes seen only in third-party code, not in an official artefact
    (verify on loinc.org).
    """

    panel: str | None = None
    total: str | None = None
    total_score: str | None = None
    third_party_only: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseOption:
    value: Number
    label: str
    loinc: str | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """A response scale.  ``orientation`` ``descending`` means show the highest value first (the ladder)."""

    id: str
    options: tuple[ResponseOption, ...]
    orientation: str = "ascending"

    @property
    def values(self) -> tuple[Number, ...]:
        return tuple(o.value for o in self.options)

    @property
    def minimum(self) -> Number:
        return min(self.values)

    @property
    def maximum(self) -> Number:
        return max(self.values)

    def display_options(self) -> tuple[ResponseOption, ...]:
        """Options in the order to show them (highest first for a descending scale such as the ladder)."""
        ordered = sorted(self.options, key=lambda o: o.value)
        return tuple(reversed(ordered)) if self.orientation == "descending" else tuple(ordered)


@dataclass(frozen=True, slots=True)
class ItemFlag:
    name: str
    at_least: Number
    message: str


@dataclass(frozen=True, slots=True)
class Item:
    """One printed question.  ``id`` is the printed number as a string."""

    id: str
    number: int
    text: str
    scale: str
    scored: bool = True
    optional: bool = False
    loinc: str | None = None
    flag: ItemFlag | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MissingRule:
    rule: str
    max_missing: int
    description: str


@dataclass(frozen=True, slots=True)
class ScoreDef:
    """A subscale or total: items combined by sum or mean, with reverse-keyed items."""

    name: str
    label: str
    items: tuple[str, ...]
    method: ScoreMethod
    reverse: frozenset[str] = frozenset()
    missing: MissingRule | None = None


@dataclass(frozen=True, slots=True)
class Derived:
    name: str
    label: str
    expression: Expression


@dataclass(frozen=True, slots=True)
class Band:
    min: Number
    max: Number
    label: str
    flag: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BandSet:
    """Bands for one score, optionally for one variant (``male``/``female``/``unspecified``, AUDIT-C)."""

    score: str
    variant: str | None
    source: str
    bands: tuple[Band, ...]
    _mins: tuple[Number, ...] = field(default=(), repr=False, compare=False)

    def lookup(self, value: Number) -> Band | None:
        """The band holding ``value``; a fractional value between two bands falls in the lower one."""
        mins = self._mins or tuple(b.min for b in self.bands)
        index = bisect.bisect_right(mins, value) - 1
        if index < 0 or value > self.bands[-1].max:
            return None
        return self.bands[index]


@dataclass(frozen=True, slots=True)
class NormRow:
    min: Number
    max: Number
    value: Number
    label: str


@dataclass(frozen=True, slots=True)
class NormTable:
    """Raw score → normed score (e.g. the SOCRATES 8A deciles of the Project MATCH profile sheet)."""

    score: str
    output: str
    label: str
    source: str
    population: str
    rows: tuple[NormRow, ...]

    def lookup(self, value: Number) -> NormRow | None:
        for row in self.rows:
            if row.min <= value <= row.max:
                return row
        return None


@dataclass(frozen=True, slots=True)
class Threshold:
    at_least: Number
    stage: Stage


@dataclass(frozen=True, slots=True)
class StageRule:
    id: str
    kind: StageRuleKind
    description: str
    unverified: bool = False
    score: str | None = None
    anchors: tuple[tuple[Stage, Number], ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    scales: tuple[tuple[str, Stage], ...] = ()


@dataclass(frozen=True, slots=True)
class StageSpec:
    default: str
    option: str | None
    rules: tuple[StageRule, ...]

    def rule(self, rule_id: str) -> StageRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        known = ", ".join(r.id for r in self.rules)
        raise ScoringError(f"unknown stage rule {rule_id!r}; this instrument offers: {known}")


@dataclass(frozen=True, slots=True)
class ShadedBand:
    """A shaded stretch of a chart's score axis, from ``low`` to ``high``, with its short label."""

    low: float
    high: float
    label: str


@dataclass(frozen=True, slots=True)
class ReferenceLine:
    """A labelled horizontal line across a chart at score ``value``."""

    value: float
    label: str


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One trend chart of an instrument, from the file's ``[presentation]`` table.

    Attributes:
        title: the chart's heading (the instrument's short title unless the file gives one).
        scores: (score name, the score's own label) pairs, one line each.
        axes: candidate score axes; the first that holds every value is used (a file may list a wider
            axis for results stored by an earlier scoring version, e.g. URICA sums 7–35 besides means 1–5).
        bands: shaded regions, lowest first (from the file's ``[[bands]]`` or ``[[norms]]``).
        references: labelled horizontal lines.
        note: one sentence printed under the chart (where the shading comes from, or why there is none).
    """

    title: str
    scores: tuple[tuple[str, str], ...]
    axes: tuple[tuple[float, float], ...]
    bands: tuple[ShadedBand, ...] = ()
    references: tuple[ReferenceLine, ...] = ()
    note: str = ""

    @property
    def score_names(self) -> tuple[str, ...]:
        return tuple(name for name, _label in self.scores)

    def axis_for(self, values: Sequence[float]) -> tuple[float, float]:
        """The first axis that holds every value (else the last; the renderer widens it to fit)."""
        for lo, hi in self.axes:
            if all(lo <= v <= hi for v in values):
                return lo, hi
        return self.axes[-1]


@dataclass(frozen=True, slots=True)
class Form:
    """One instrument version, exactly as loaded from its file."""

    id: str
    version: str
    scoring_version: str
    title: str
    short_title: str
    order: int
    citation: str
    citation_short: str  # author–year, the only citation screens and PDFs show ("Kroenke et al. 2001")
    licence: Licence
    language: str
    instructions: str
    client_instructions: str
    scales: tuple[Scale, ...]
    items: tuple[Item, ...]
    scores: tuple[ScoreDef, ...]
    derived: tuple[Derived, ...]
    bands: tuple[BandSet, ...]
    norms: tuple[NormTable, ...]
    stage: StageSpec | None
    loinc: LoincCodes
    unverified: tuple[str, ...]
    scoring_unverified: bool
    wording_notes: tuple[str, ...]
    rules: tuple[str, ...]
    optional_rules: tuple[str, ...]
    behaviour_default: str | None
    no_stage_note: str | None
    result_notes: tuple[str, ...]
    charts: tuple[ChartSpec, ...]
    source_text: str
    sha256: str
    path: Path
    # "focus": about one behaviour focus, filed and trended per focus; "client": about the client as a whole
    # (symptom measures), given without a focus and trended once per client.
    subject: str = "focus"
    # Precomputed at load time for fast scoring: item id -> allowed values / scale.
    _allowed: dict[str, frozenset[Number]] = field(default_factory=dict, repr=False, compare=False)
    _ranges: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False, compare=False)
    _flagged: tuple[Item, ...] = field(default=(), repr=False, compare=False)  # items with a flag
    _required: tuple[str, ...] = field(default=(), repr=False, compare=False)  # non-optional item ids
    _flip: dict[str, Number] = field(default_factory=dict, repr=False, compare=False)  # min + max per item

    @property
    def client_level(self) -> bool:
        """True for a measure about the client as a whole (no focus; one history per client)."""
        return self.subject == "client"

    @property
    def is_unverified(self) -> bool:
        """True when any key, rule or wording in the file is marked UNVERIFIED."""
        return bool(self.unverified)

    def caveats(self) -> tuple[str, ...]:
        """The specific unverified facts a clinician should know before using or reading this instrument.

        The file's own ``unverified`` entries, led by the scoring warning when scoring itself depends on
        them.  Shown on the picker, the clinician's administration screen, blank forms and clinician
        summaries — never in hand-over mode or on anything the client sees.
        """
        lead = (SCORING_UNVERIFIED_CAVEAT,) if self.scoring_unverified else ()
        return lead + self.unverified

    def item(self, item_id: str) -> Item:
        """The item with printed number ``item_id``."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise ScoringError(
            f"{self.id} has no item {item_id!r}; items are {self.items[0].id}–{self.items[-1].id}"
        )

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    def allowed_values(self, item_id: str) -> tuple[Number, ...]:
        """The printed response values item ``item_id`` accepts, in ascending order."""
        return tuple(sorted(self.scale(self.item(item_id).scale).values))

    def score_names(self) -> tuple[str, ...]:
        """Every score the result can carry: subscales, derived scores, normed scores."""
        return (
            tuple(s.name for s in self.scores)
            + tuple(d.name for d in self.derived)
            + tuple(n.output for n in self.norms)
        )

    def score_range(self, name: str) -> tuple[float, float]:
        """The theoretical (min, max) of score ``name`` for complete answers."""
        try:
            return self._ranges[name]
        except KeyError:
            raise ScoringError(
                f"{self.id} has no score {name!r}; scores are {', '.join(self.score_names())}"
            ) from None

    def fill(self, text: str, behaviour: str | None = None) -> str:
        """``text`` with the behaviour placeholder filled (the form's generic wording when none is given)."""
        filler = (behaviour or "").strip() or (self.behaviour_default or "this behaviour")
        for placeholder in PLACEHOLDERS:
            text = text.replace(placeholder, filler)
        return text

    def item_text(self, item_id: str, behaviour: str | None = None) -> str:
        """Item wording with ``{behaviour}`` / ``[the behaviour]`` replaced by the client's focus."""
        return self.fill(self.item(item_id).text, behaviour)

    def band_sets(self, score: str) -> tuple[BandSet, ...]:
        return tuple(b for b in self.bands if b.score == score)
