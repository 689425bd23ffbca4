"""Golden values for every shipped instrument, worked by hand from docs/instruments/<id>.md."""

from __future__ import annotations

import pytest

from stagewise.core.errors import ScoringError
from stagewise.core.instruments import Form, load_library
from stagewise.core.instruments.scoring import ScoringOptions, score
from stagewise.core.models import Stage


def form(form_id: str) -> Form:
    return load_library().get(form_id)


def answers(n: int, value: int) -> dict[str, int]:
    return {str(i): value for i in range(1, n + 1)}


def with_sum(item_ids: list[str], total: int, lo: int, hi: int) -> dict[str, int]:
    """Item values from lo..hi that add up to ``total`` (greedy from the first item)."""
    out = {}
    rest = total - lo * len(item_ids)
    assert 0 <= rest <= (hi - lo) * len(item_ids)
    for item in item_ids:
        step = min(hi - lo, rest)
        out[item] = lo + step
        rest -= step
    return out


# --- URICA (docs/instruments/urica-32.md) -------------------------------------------------------------------

PC = ["1", "5", "11", "13", "23", "26", "29"]
C = ["2", "8", "12", "15", "19", "21", "24"]
A = ["3", "7", "10", "14", "17", "25", "30"]
M = ["6", "16", "18", "22", "27", "28", "32"]
UNSCORED = ["4", "9", "20", "31"]


def urica(pc: int, c: int, a: int, m: int) -> dict[str, int]:
    """URICA answers whose subscale *sums* are pc, c, a, m (unscored items answered 3)."""
    out = {i: 3 for i in UNSCORED}
    for items, total in ((PC, pc), (C, c), (A, a), (M, m)):
        out.update(with_sum(items, total, 1, 5))
    return out


def test_urica_all_threes() -> None:
    r = score(form("urica-32"), answers(32, 3))
    assert r.scores == {
        "precontemplation": 3.0,
        "contemplation": 3.0,
        "action": 3.0,
        "maintenance": 3.0,
        "readiness": 6.0,
    }
    assert r.complete
    assert r.stage is Stage.PRECONTEMPLATION  # 6.0 is nearest to 9.3


def test_urica_readiness_minimum_is_minus_two() -> None:
    r = score(form("urica-32"), urica(pc=35, c=7, a=7, m=7))  # 1 + 1 + 1 − 5
    assert r.scores["readiness"] == -2
    assert r.stage is Stage.PRECONTEMPLATION


def test_urica_readiness_maximum_is_fourteen() -> None:
    r = score(form("urica-32"), urica(pc=7, c=35, a=35, m=35))  # 5 + 5 + 5 − 1
    assert r.scores["readiness"] == 14
    assert r.stage is Stage.ACTION  # nearest 12.6
    assert form("urica-32").score_range("readiness") == (-2, 14)


def test_urica_means_are_exact_not_rounded() -> None:
    r = score(form("urica-32"), urica(pc=10, c=30, a=23, m=15))
    assert r.scores["precontemplation"] == 10 / 7
    assert r.scores["contemplation"] == 30 / 7
    assert r.scores["readiness"] == pytest.approx(58 / 7, abs=1e-12)  # 8.29 → nearest 9.3
    assert r.stage is Stage.PRECONTEMPLATION


def test_urica_contemplation_by_nearest_group_mean() -> None:
    r = score(form("urica-32"), urica(pc=12, c=32, a=30, m=25))
    assert r.scores["readiness"] == pytest.approx(75 / 7)  # 10.71: nearer 11.0 than 9.3 or 12.6
    assert r.stage is Stage.CONTEMPLATION
    assert "nearest" in r.stage_rule
    assert "9.3" in r.stage_rule


def test_urica_habits_cutoffs_are_optional_and_marked_unverified() -> None:
    f = form("urica-32")
    habits = ScoringOptions(urica_stage_rule="habits_lab_cutoffs")
    at_8 = urica(pc=7, c=21, a=21, m=21)  # readiness exactly 8
    at_11 = urica(pc=7, c=28, a=28, m=28)  # readiness exactly 11
    assert score(f, at_8).stage is Stage.PRECONTEMPLATION  # default: 8 is nearest 9.3
    assert score(f, at_8, habits).stage is Stage.CONTEMPLATION  # half-open: 8 ≤ r < 11
    assert score(f, at_11).stage is Stage.CONTEMPLATION  # 11.0 is a group mean
    result = score(f, at_11, habits)
    assert result.stage is Stage.PREPARATION
    assert result.unverified
    assert any("scoring rule not verified against the manual" in m for m in result.messages)
    assert not score(f, at_11).unverified


def test_urica_unknown_stage_rule_is_refused() -> None:
    with pytest.raises(ScoringError, match="nearest_group_mean, habits_lab_cutoffs"):
        score(form("urica-32"), answers(32, 3), ScoringOptions(urica_stage_rule="highest"))


def test_urica_unscored_items_do_not_count() -> None:
    base = answers(32, 3)
    changed = dict(base, **{i: 5 for i in UNSCORED})
    assert score(form("urica-32"), changed).scores == score(form("urica-32"), base).scores


def test_urica_missing_item_nulls_its_subscale_and_readiness() -> None:
    given = answers(32, 3)
    del given["1"]
    r = score(form("urica-32"), given)
    assert r.scores["precontemplation"] is None
    assert r.scores["readiness"] is None
    assert r.scores["action"] == 3.0
    assert r.stage is None
    assert not r.complete
    assert r.missing == ("1",)


def test_urica_missing_unscored_item_keeps_scores_but_is_incomplete() -> None:
    given = answers(32, 3)
    del given["4"]
    r = score(form("urica-32"), given)
    assert r.scores["readiness"] == 6.0
    assert not r.complete
    assert r.missing == ("4",)


def test_urica_six_of_seven_rule_is_opt_in_and_says_so() -> None:
    given = urica(pc=10, c=30, a=23, m=15)
    del given["29"]  # a PC item
    expected_pc = (10 - urica(pc=10, c=30, a=23, m=15)["29"]) / 6
    r = score(form("urica-32"), given, ScoringOptions(enabled_rules=frozenset({"urica_six_of_seven"})))
    assert r.scores["precontemplation"] == expected_pc
    assert r.scores["readiness"] is not None
    assert not r.complete
    assert any("6 of 7" in m and "UNVERIFIED" in m for m in r.messages)


# --- SOCRATES (docs/instruments/socrates-8a.md) -------------------------------------------------------------

RE = ["1", "3", "7", "10", "12", "15", "17"]
AM = ["2", "6", "11", "16"]
TS = ["4", "5", "8", "9", "13", "14", "18", "19"]


@pytest.mark.parametrize("item", [str(i) for i in range(1, 20)])
def test_socrates_key_each_item_in_exactly_its_scale(item: str) -> None:
    r = score(form("socrates-8a"), dict(answers(19, 1), **{item: 5}))
    expected = {"recognition": 7, "ambivalence": 4, "taking_steps": 8}
    scale = "recognition" if item in RE else "ambivalence" if item in AM else "taking_steps"
    expected[scale] += 4
    assert {k: r.scores[k] for k in expected} == expected


def test_socrates_extremes_and_deciles() -> None:
    low = score(form("socrates-8a"), answers(19, 1))
    assert (low.scores["recognition_decile"], low.scores["ambivalence_decile"]) == (10, 10)
    assert low.scores["taking_steps_decile"] == 10
    high = score(form("socrates-8a"), answers(19, 5))
    assert (high.scores["recognition"], high.scores["ambivalence"], high.scores["taking_steps"]) == (
        35,
        20,
        40,
    )
    assert high.scores["recognition_decile"] == 70  # no 80/90 band for Recognition
    assert high.scores["ambivalence_decile"] == 90
    assert high.scores["taking_steps_decile"] == 90
    assert high.bands["ambivalence_decile"] == "very high (90)"
    assert high.stage is None
    assert "assigns no stage" in high.stage_rule


@pytest.mark.parametrize(
    ("scale", "items", "raw", "decile"),
    [
        ("recognition", RE, 26, 10),
        ("recognition", RE, 27, 20),
        ("recognition", RE, 29, 30),  # "a raw score of 29 is equal to a decile score of '30 or Low'"
        ("recognition", RE, 33, 50),
        ("recognition", RE, 34, 60),
        ("taking_steps", TS, 25, 10),
        ("taking_steps", TS, 26, 20),
        ("taking_steps", TS, 30, 30),
        ("taking_steps", TS, 38, 80),
        ("taking_steps", TS, 39, 90),
        ("ambivalence", AM, 8, 10),
        ("ambivalence", AM, 9, 20),
        ("ambivalence", AM, 18, 80),
        ("ambivalence", AM, 19, 90),
    ],
)
def test_socrates_8a_decile_boundaries(scale: str, items: list[str], raw: int, decile: int) -> None:
    given = dict(answers(19, 3), **with_sum(items, raw, 1, 5))
    r = score(form("socrates-8a"), given)
    assert r.scores[scale] == raw
    assert r.scores[f"{scale}_decile"] == decile


def test_socrates_8d_has_no_deciles_and_says_why() -> None:
    r = score(form("socrates-8d"), answers(19, 4))
    assert r.scores == {"recognition": 28, "ambivalence": 16, "taking_steps": 32}
    assert any("No decile norms exist for SOCRATES 8D" in m for m in r.messages)


# --- RCQ (docs/instruments/rcq-12.md; UNVERIFIED key and coding) -------------------------------------------

RCQ_PC, RCQ_C, RCQ_A = ["1", "5", "10", "12"], ["3", "4", "8", "9"], ["2", "6", "7", "11"]


def rcq(pc: int, c: int, a: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for items, value in ((RCQ_PC, pc), (RCQ_C, c), (RCQ_A, a)):
        out.update({i: value for i in items})
    return out


def test_rcq_scores_minus_two_to_plus_two_and_highest_scale() -> None:
    r = score(form("rcq-12"), rcq(2, -2, -1))
    assert r.scores == {"precontemplation": 8, "contemplation": -8, "action": -4}
    assert r.stage is Stage.PRECONTEMPLATION
    assert r.unverified
    assert any("scoring rule not verified against the manual" in m for m in r.messages)


@pytest.mark.parametrize(
    ("pc", "c", "a", "stage"),
    [
        (0, 0, 0, Stage.ACTION),  # three-way tie → the latest stage
        (1, 1, 0, Stage.CONTEMPLATION),  # PC = C tie → contemplation
        (-2, 1, 1, Stage.ACTION),  # C = A tie → action
        (-1, 2, 1, Stage.CONTEMPLATION),
    ],
)
def test_rcq_ties_go_to_the_later_stage(pc: int, c: int, a: int, stage: Stage) -> None:
    r = score(form("rcq-12"), rcq(pc, c, a))
    assert r.stage is stage
    assert "later stage" in r.stage_rule


def test_rcq_refuses_printed_one_to_five_values() -> None:
    with pytest.raises(ScoringError, match="allowed values are -2, -1, 0, 1, 2"):
        score(form("rcq-12"), {"1": 5})


def test_rcq_missing_item_and_optional_prorating() -> None:
    given = rcq(1, 2, -1)
    del given["3"]
    assert score(form("rcq-12"), given).scores["contemplation"] is None
    assert score(form("rcq-12"), given).stage is None
    on = ScoringOptions(enabled_rules=frozenset({"rcq_prorate_one_missing"}))
    r = score(form("rcq-12"), given, on)
    assert r.scores["contemplation"] == pytest.approx(6 * 4 / 3)
    assert r.stage is Stage.CONTEMPLATION
    assert not r.complete


# --- Rulers and ladder (docs/instruments/readiness-ruler.md, contemplation-ladder.md) -----------------------


def test_rulers_three_continuous_scores_no_stage() -> None:
    r = score(form("readiness-ruler"), {"1": 7, "2": 4, "3": 10})
    assert r.scores == {"importance": 7, "confidence": 4, "readiness": 10}
    assert r.stage is None
    assert r.bands == {}
    assert "assigns no stage" in r.stage_rule


def test_ladder_orientation_ten_at_the_top() -> None:
    f = form("contemplation-ladder")
    shown = f.scale("ladder").display_options()
    assert [o.value for o in shown] == list(range(10, -1, -1))
    assert "taking action" in f.fill(shown[0].label, "my drinking")
    assert "my drinking" in f.fill(shown[0].label, "my drinking")
    assert "not considered" in shown[-1].label
    anchors = {o.value for o in shown if o.label}
    assert anchors == {10, 8, 5, 2, 0}
    assert score(f, {"1": 10}).scores == {"ladder": 10}
    assert score(f, {"1": 0}).scores == {"ladder": 0}
    assert score(f, {"1": 10}).stage is None


@pytest.mark.parametrize("bad", [11, -1, 5.5])
def test_ladder_rejects_values_off_the_ladder(bad: float) -> None:
    with pytest.raises(ScoringError, match="whole numbers from 0 to 10"):
        score(form("contemplation-ladder"), {"1": bad})


# --- BARC-10 (docs/instruments/barc-10.md) ------------------------------------------------------------------


@pytest.mark.parametrize(("total", "flagged"), [(10, False), (46, False), (47, True), (60, True)])
def test_barc10_total_and_remission_indicator(total: int, flagged: bool) -> None:
    r = score(form("barc-10"), with_sum([str(i) for i in range(1, 11)], total, 1, 6))
    assert r.scores["total"] == total
    assert ("barc10_remission_range" in r.flags) is flagged
    assert ("sustained remission (Vilsaint" in r.bands["total"]) is flagged
    assert r.unverified  # ≥ 47 vs > 47 is UNVERIFIED


def test_barc10_zero_is_not_on_the_scale() -> None:
    with pytest.raises(ScoringError, match="allowed values are 1, 2, 3, 4, 5, 6"):
        score(form("barc-10"), {"1": 0})


# --- PHQ-9 and GAD-7 (docs/instruments/phq-9.md, gad-7.md) --------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none/minimal"),
        (4, "none/minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total: int, band: str) -> None:
    given = with_sum([str(i) for i in range(1, 10)], total, 0, 3)
    r = score(form("phq-9"), given)
    assert (r.scores["total"], r.bands["total"]) == (total, band)


def test_phq9_item10_optional_and_not_in_total() -> None:
    given = answers(9, 1)
    without = score(form("phq-9"), given)
    assert without.complete
    assert without.missing == ()
    with_10 = score(form("phq-9"), dict(given, **{"10": 3}))
    assert with_10.scores["total"] == without.scores["total"] == 9


def test_phq9_item9_flag() -> None:
    assert "phq9_item9_positive" not in score(form("phq-9"), answers(9, 0)).flags
    flagged = score(form("phq-9"), dict(answers(9, 0), **{"9": 1}))
    assert flagged.flags == ("phq9_item9_positive",)
    assert flagged.bands["total"] == "none/minimal"  # flagged whatever the total
    assert any("safety" in m for m in flagged.messages)


def test_phq9_missing_item_no_prorating() -> None:
    given = answers(9, 2)
    del given["3"]
    r = score(form("phq-9"), given)
    assert r.scores["total"] is None
    assert "total" not in r.bands
    assert r.missing == ("3",)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none/minimal"),
        (4, "none/minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, band: str) -> None:
    r = score(form("gad-7"), with_sum([str(i) for i in range(1, 8)], total, 0, 3))
    assert (r.scores["total"], r.bands["total"]) == (total, band)


# --- AUDIT and AUDIT-C (docs/instruments/audit.md, audit-c.md) ----------------------------------------------


def audit_total(total: int) -> dict[str, int]:
    """Items 1–8 carry the total (items 9–10 answered 0), up to 32."""
    return dict(with_sum([str(i) for i in range(1, 9)], total, 0, 4), **{"9": 0, "10": 0})


@pytest.mark.parametrize(
    ("given", "zone"),
    [
        (dict(audit_total(7)), "Zone I"),
        (dict(audit_total(8)), "Zone II"),
        (dict(audit_total(15)), "Zone II"),
        (dict(audit_total(16)), "Zone III"),
        (dict(audit_total(19)), "Zone III"),
        (dict(audit_total(20)), "Zone IV"),
        (dict(audit_total(32), **{"9": 4, "10": 4}), "Zone IV"),
    ],
)
def test_audit_zones(given: dict[str, int], zone: str) -> None:
    r = score(form("audit"), given)
    assert r.bands["total"].startswith(zone)
    assert r.scores["total"] == sum(given.values())


def test_audit_maximum_is_forty() -> None:
    r = score(form("audit"), dict(answers(8, 4), **{"9": 4, "10": 4}))
    assert r.scores["total"] == 40


@pytest.mark.parametrize("bad", [1, 3])
def test_audit_items_9_and_10_take_only_0_2_4(bad: int) -> None:
    for item in ("9", "10"):
        with pytest.raises(
            ScoringError, match=f"item {item} of audit: {bad} is not allowed; allowed values are 0, 2, 4"
        ):
            score(form("audit"), {item: bad})


def test_audit_next_level_flag() -> None:
    base = dict(answers(8, 0), **{"9": 0, "10": 0})
    assert "audit_next_level" not in score(form("audit"), base).flags
    assert "audit_next_level" in score(form("audit"), dict(base, **{"4": 2})).flags
    assert "audit_next_level" in score(form("audit"), dict(base, **{"10": 4})).flags
    assert "audit_next_level" not in score(form("audit"), dict(base, **{"9": 2, "7": 4})).flags


def test_audit_limited_completeness_is_opt_in() -> None:
    never = {"1": 0, "9": 0, "10": 0}
    default = score(form("audit"), never)
    assert not default.complete
    assert default.scores["total"] is None
    on = ScoringOptions(enabled_rules=frozenset({"audit_limited_completeness"}))
    r = score(form("audit"), never, on)
    assert r.complete
    assert r.scores["total"] == 0
    assert any("not asked" in m for m in r.messages)
    light = score(form("audit"), {"1": 2, "2": 0, "3": 0, "9": 2, "10": 0}, on)
    assert (light.complete, light.scores["total"]) == (True, 4)
    still_needs_9 = score(form("audit"), {"1": 0, "10": 0}, on)
    assert still_needs_9.missing == ("9",)


@pytest.mark.parametrize(
    ("sex", "total", "band_start", "flag"),
    [
        ("male", 3, "negative", None),
        ("male", 4, "positive", "auditc_positive"),
        ("female", 2, "negative", None),
        ("female", 3, "positive", "auditc_positive"),
        (None, 2, "negative", None),
        (None, 3, "positive if the threshold for women", "auditc_positive_if_female"),
        (None, 4, "positive", "auditc_positive"),
        (None, 12, "positive", "auditc_positive"),
    ],
)
def test_auditc_sex_specific_thresholds(
    sex: str | None, total: int, band_start: str, flag: str | None
) -> None:
    r = score(form("audit-c"), with_sum(["1", "2", "3"], total, 0, 4), ScoringOptions(sex=sex))
    assert r.scores["total"] == total
    assert r.bands["total"].startswith(band_start)
    assert r.flags == ((flag,) if flag else ())


def test_auditc_points_from_item1_only_message_and_bad_sex() -> None:
    r = score(form("audit-c"), {"1": 4, "2": 0, "3": 0})
    assert any("All points come from item 1" in m for m in r.messages)
    with pytest.raises(ScoringError, match="sex must be one of male, female"):
        score(form("audit-c"), {"1": 4}, ScoringOptions(sex="m"))
    with pytest.raises(ScoringError, match="sex must be one of male, female"):
        score(form("phq-9"), {"1": 1}, ScoringOptions(sex="x"))  # refused everywhere, not only AUDIT-C


# --- DAST-10 (docs/instruments/dast-10.md) ------------------------------------------------------------------


def test_dast10_item3_reversed() -> None:
    all_no = score(form("dast-10"), answers(10, 0))
    assert all_no.scores["total"] == 1  # "No" on item 3 scores 1
    assert all_no.bands["total"].startswith("low level")
    none = score(form("dast-10"), dict(answers(10, 0), **{"3": 1}))
    assert none.scores["total"] == 0
    assert none.bands["total"].startswith("no problems reported")
    all_yes = score(form("dast-10"), answers(10, 1))
    assert all_yes.scores["total"] == 9
    assert all_yes.bands["total"].startswith("severe")


@pytest.mark.parametrize(
    ("yes_count", "band"),
    [
        (0, "no problems"),
        (1, "low"),
        (2, "low"),
        (3, "moderate"),
        (5, "moderate"),
        (6, "substantial"),
        (8, "substantial"),
        (9, "severe"),
    ],
)
def test_dast10_bands(yes_count: int, band: str) -> None:
    others = ["1", "2", "4", "5", "6", "7", "8", "9", "10"]
    given = {"3": 1, **{item: int(n < yes_count) for n, item in enumerate(others)}}
    r = score(form("dast-10"), given)
    assert r.scores["total"] == yes_count
    assert r.bands["total"].startswith(band)


def test_dast10_ten_is_reachable() -> None:
    r = score(form("dast-10"), dict(answers(10, 1), **{"3": 0}))
    assert (r.scores["total"], r.bands["total"].startswith("severe")) == (10, True)
