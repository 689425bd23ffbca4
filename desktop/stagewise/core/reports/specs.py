"""Which trend charts each instrument gets, with the band regions and reference lines drawn on them.

Every band and line below cites its source in the shared research notes
(``/work/shared/instruments/REFERENCE.md``, "REF §n").  Integer totals are banded at half points
(0–4 is drawn from −0.5 to 4.5) so that a score on a cut-off sits plainly inside its band, not on a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stagewise.core.reports.charts import BandRegion, ReferenceLine


@dataclass(frozen=True, slots=True)
class TrendChartSpec:
    """One trend chart of an instrument.

    Attributes:
        title: the chart's heading.
        scores: (score name in the result JSON, legend label) pairs, one line each.
        y_ranges: candidate score axes; the first that holds every value is used (URICA subscales may be
            stored as means 1–5 or sums 7–35, depending on the scoring version).
        bands: shaded regions, lowest first.
        references: labelled horizontal lines.
        note: one sentence printed under the chart (where the bands come from, or why there are none).
    """

    title: str
    scores: tuple[tuple[str, str], ...]
    y_ranges: tuple[tuple[float, float], ...]
    bands: tuple[BandRegion, ...] = ()
    references: tuple[ReferenceLine, ...] = ()
    note: str = ""


def _int_bands(rows: Sequence[tuple[int, int, str]]) -> tuple[BandRegion, ...]:
    return tuple(BandRegion(lo - 0.5, hi + 0.5, label) for lo, hi, label in rows)


# PHQ-9 severity 0–4 / 5–9 / 10–14 / 15–19 / 20–27 (REF §6.1, CamCOPS phq9.py).
PHQ9 = TrendChartSpec(
    "PHQ-9 total",
    (("total", "PHQ-9 total"),),
    ((0, 27),),
    _int_bands(
        [
            (0, 4, "0–4 none"),
            (5, 9, "5–9 mild"),
            (10, 14, "10–14 moderate"),
            (15, 19, "15–19 moderately severe"),
            (20, 27, "20–27 severe"),
        ]
    ),
    note="Severity bands as published for the PHQ-9 (Kroenke, Spitzer & Williams 2001).",
)

# GAD-7 severity 0–4 / 5–9 / 10–14 / 15–21 (REF §6.2, CamCOPS gad7.py).
GAD7 = TrendChartSpec(
    "GAD-7 total",
    (("total", "GAD-7 total"),),
    ((0, 21),),
    _int_bands(
        [(0, 4, "0–4 none"), (5, 9, "5–9 mild"), (10, 14, "10–14 moderate"), (15, 21, "15–21 severe")]
    ),
    note="Severity bands as published for the GAD-7 (Spitzer et al. 2006).",
)

# AUDIT WHO risk zones I 0–7, II 8–15, III 16–19, IV 20–40 (REF §6.3, Babor et al. 2001).
AUDIT = TrendChartSpec(
    "AUDIT total",
    (("total", "AUDIT total"),),
    ((0, 40),),
    _int_bands(
        [
            (0, 7, "0–7 zone I (lower risk)"),
            (8, 15, "8–15 zone II (hazardous)"),
            (16, 19, "16–19 zone III (harmful)"),
            (20, 40, "20–40 zone IV (referral)"),
        ]
    ),
    note="WHO AUDIT risk zones (Babor, Higgins-Biddle, Saunders & Monteiro 2001).",
)

# AUDIT-C positive at ≥ 3 (women) and ≥ 4 (men) (REF §6.3, Bush et al. 1998; Bradley et al. 2003).
AUDIT_C = TrendChartSpec(
    "AUDIT-C total",
    (("total", "AUDIT-C total"),),
    ((0, 12),),
    references=(ReferenceLine(2.5, "≥ 3 positive (women)"), ReferenceLine(3.5, "≥ 4 positive (men)")),
    note="AUDIT-C screening cut-offs (Bush et al. 1998; Bradley et al. 2003).",
)

# DAST-10 0 none, 1–2 low, 3–5 moderate, 6–8 substantial, 9–10 severe (REF §6.4).
DAST10 = TrendChartSpec(
    "DAST-10 total",
    (("total", "DAST-10 total"),),
    ((0, 10),),
    _int_bands(
        [
            (0, 0, "0 none"),
            (1, 2, "1–2 low"),
            (3, 5, "3–5 moderate"),
            (6, 8, "6–8 substantial"),
            (9, 10, "9–10 severe"),
        ]
    ),
    note="DAST-10 levels (Skinner 1982; comorbidity guidelines scoring sheet).",
)

# BARC-10 total 10–60; a total of 47 or more predicted sustained remission (> 12 months)
# (REF §5.3, Vilsaint et al. 2017).  An indicator, not a diagnosis.
BARC10 = TrendChartSpec(
    "BARC-10 total (recovery capital)",
    (("total", "BARC-10 total"),),
    ((10, 60),),
    (BandRegion(10, 47, "below 47"), BandRegion(47, 60, "47 and above")),
    (ReferenceLine(47, "47 line (Vilsaint 2017)"),),
    note="Higher is more recovery capital. The 47 line is from Vilsaint et al. (2017); an indicator, "
    "not a diagnosis.",
)

# URICA readiness = mean(C) + mean(A) + mean(M) − mean(PC), range −2 to 14 (REF §1.8).  Published stage
# cut-offs disagree and are unverified (REF §1.9), so none are drawn.
URICA_READINESS = TrendChartSpec(
    "URICA readiness score",
    (("readiness", "Readiness"),),
    ((-2, 14),),
    note="Possible range −2 to 14. Published cut-offs for this score disagree, so none are drawn.",
)

# URICA subscales: item means 1–5, or sums of 7 items 7–35 (REF §1.7, §1.8).
URICA_SUBSCALES = TrendChartSpec(
    "URICA subscales",
    (
        ("precontemplation", "Precontemplation"),
        ("contemplation", "Contemplation"),
        ("action", "Action"),
        ("maintenance", "Maintenance"),
    ),
    ((1, 5), (7, 35)),
    note="For progress during treatment the action and maintenance subscales are the ones to follow "
    "(URICA scoring notes, HABITS Lab).",
)

_DECILE_WORDS = ("very low (decile 10)", "low (20–30)", "medium (40–60)", "high (70–80)", "very high (90)")


def _deciles(rows: Sequence[tuple[int, int]], words: Sequence[str] = _DECILE_WORDS) -> tuple[BandRegion, ...]:
    return _int_bands([(lo, hi, word) for (lo, hi), word in zip(rows, words, strict=False)])


# SOCRATES 8A decile norms, Project MATCH, N = 1,726 (REF §2.7), grouped by the profile sheet's own
# words: 10 very low, 20–30 low, 40–60 medium, 70–80 high, 90 very high.
SOCRATES_NOTE = (
    "Bands are SOCRATES 8A decile norms from people starting alcohol treatment (Project MATCH, "
    "Miller & Tonigan 1996)."
)
SOCRATES = (
    TrendChartSpec(
        "SOCRATES recognition",
        (("recognition", "Recognition"),),
        ((7, 35),),
        # Recognition tops out at 35 = decile 70: no 80 or 90 band (REF §2.7).
        _deciles([(7, 26), (27, 30), (31, 34), (35, 35)], (*_DECILE_WORDS[:3], "high (70)")),
        note=SOCRATES_NOTE,
    ),
    TrendChartSpec(
        "SOCRATES ambivalence",
        (("ambivalence", "Ambivalence"),),
        ((4, 20),),
        _deciles([(4, 8), (9, 13), (14, 16), (17, 18), (19, 20)]),
        note=SOCRATES_NOTE,
    ),
    TrendChartSpec(
        "SOCRATES taking steps",
        (("taking_steps", "Taking steps"),),
        ((8, 40),),
        _deciles([(8, 25), (26, 30), (31, 35), (36, 38), (39, 40)]),
        note=SOCRATES_NOTE,
    ),
)

# Rulers and the Contemplation Ladder are continuous 0–10 ratings with no validated cut-offs (REF §4.1, §4.2):
# a fixed 0–10 axis, no bands.
RULERS = TrendChartSpec(
    "Readiness rulers (0–10)",
    (("importance", "Importance"), ("confidence", "Confidence"), ("readiness", "Readiness")),
    ((0, 10),),
    note="Rulers are continuous ratings; no validated cut-offs exist.",
)
LADDER = TrendChartSpec(
    "Contemplation Ladder (0–10, 10 = taking action)",
    (("ladder", "Ladder"),),
    ((0, 10),),
    note="A continuous rating; no published stage cut-offs (Biener & Abrams 1991).",
)
# RCQ scales: four items scored −2…+2 each, −8…+8 (REF §3.5, coding UNVERIFIED).
RCQ = TrendChartSpec(
    "RCQ scales",
    (("precontemplation", "Precontemplation"), ("contemplation", "Contemplation"), ("action", "Action")),
    ((-8, 8),),
    note="Scale key and −2…+2 coding not yet verified against the RCQ manual (Heather & Rollnick 1993).",
)

SPECS: dict[str, tuple[TrendChartSpec, ...]] = {
    "readiness-ruler": (RULERS,),
    "contemplation-ladder": (LADDER,),
    "rcq-12": (RCQ,),
    "urica-32": (URICA_READINESS, URICA_SUBSCALES),
    "socrates-8a": SOCRATES,
    "socrates-8d": SOCRATES,
    "barc-10": (BARC10,),
    "phq-9": (PHQ9,),
    "gad-7": (GAD7,),
    "audit": (AUDIT,),
    "audit-c": (AUDIT_C,),
    "dast-10": (DAST10,),
}

SHORT_TITLES: dict[str, str] = {
    "urica-32": "URICA",
    "socrates-8a": "SOCRATES 8A",
    "socrates-8d": "SOCRATES 8D",
    "rcq-12": "RCQ",
    "readiness-ruler": "Readiness ruler",
    "contemplation-ladder": "Contemplation ladder",
    "barc-10": "BARC-10",
    "phq-9": "PHQ-9",
    "gad-7": "GAD-7",
    "audit": "AUDIT",
    "audit-c": "AUDIT-C",
    "dast-10": "DAST-10",
}


def short_title(form_id: str) -> str:
    """A short printable name for an instrument id."""
    return SHORT_TITLES.get(form_id, form_id)


def pick_range(spec: TrendChartSpec, values: Sequence[float]) -> tuple[float, float]:
    """The first of the spec's axes that holds every value (else the last, widened by the chart)."""
    for lo, hi in spec.y_ranges:
        if all(lo <= v <= hi for v in values):
            return lo, hi
    return spec.y_ranges[-1]


def generic_spec(form_id: str, score_names: Sequence[str], values: Sequence[float]) -> TrendChartSpec:
    """A plain chart (no bands) for an instrument without its own spec, axis fitted to the data."""
    lo = min(values, default=0.0)
    hi = max(values, default=1.0)
    pad = max((hi - lo) * 0.1, 1.0)
    lo = min(0.0, lo) if lo >= 0 else lo - pad
    return TrendChartSpec(
        f"{short_title(form_id)} scores",
        tuple((n, n.replace("_", " ").capitalize()) for n in score_names),
        ((lo, hi + pad),),
    )
