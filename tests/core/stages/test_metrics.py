"""Practice metrics on hand-built histories; every expected value is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st

from stagewise.core.errors import UserInputError
from stagewise.core.models import Stage
from stagewise.core.stages.metrics import (
    MetricRecord,
    PracticeMetrics,
    compute_metrics,
    daily_history,
    metrics_csv,
)

PC, C, P, A, M = (
    Stage.PRECONTEMPLATION,
    Stage.CONTEMPLATION,
    Stage.PREPARATION,
    Stage.ACTION,
    Stage.MAINTENANCE,
)
D = dt.date
_order = iter(range(1, 10_000))


def rec(
    client: int,
    stage: Stage | None,
    day: dt.date,
    *,
    focus: str = "alcohol",
    by: str | None = None,
    proposed: Stage | None = None,
    discharged: dt.date | None = None,
    days: int | None = None,
) -> MetricRecord:
    return MetricRecord(
        client_id=client,
        focus_key=focus,
        stage=stage,
        effective=day,
        recorded_order=next(_order),
        clinician=by,
        is_override=proposed is not None and stage is not None and proposed != stage,
        client_discharged_on=discharged,
        proposed=proposed,
        reassessment_days=days,
    )


def practice_history() -> list[MetricRecord]:
    """Six courses; the period used with it is 2026-02-01 … 2026-03-31 (February 2026 has 28 days)."""
    out = [
        # Client 1: recycles.  P on Feb 10 is corrected the same day to C (override of a proposed P).
        rec(1, PC, D(2026, 1, 1)),
        rec(1, C, D(2026, 1, 21)),
        rec(1, P, D(2026, 2, 10), by="ann", proposed=P),
        rec(1, C, D(2026, 2, 10), by="ann", proposed=P),
        rec(1, PC, D(2026, 3, 2), by="ben", proposed=PC),  # backward: recycling
        rec(1, C, D(2026, 3, 12)),
    ]
    gone = D(2026, 3, 15)  # client 2 discharged mid-period
    out += [
        rec(2, P, D(2025, 12, 1), discharged=gone),
        rec(2, A, D(2026, 2, 20), by="ben", proposed=A, discharged=gone),
        rec(2, M, D(2026, 3, 20), by="ann", proposed=A, discharged=gone),  # after discharge: ignored
    ]
    out += [
        # Client 3: a "not staged" gap (crisis), then back to precontemplation.
        rec(3, C, D(2026, 1, 5)),
        rec(3, None, D(2026, 2, 5)),
        rec(3, PC, D(2026, 2, 25)),
    ]
    out += [rec(4, P, D(2025, 10, 1))]  # a single, old, open-ended record: stalled
    out += [rec(5, M, D(2025, 9, 1))]  # long maintenance: the goal, never "stalled"
    out += [rec(6, C, D(2026, 2, 3), focus="smoking"), rec(6, P, D(2026, 2, 13), focus="smoking")]
    random.Random(7).shuffle(out)  # input order must not matter
    return out


def in_period(records: list[MetricRecord], focus: str | None = None) -> PracticeMetrics:
    """The metrics for 2026-02-01 … 2026-03-31."""
    return compute_metrics(records, period_start=D(2026, 2, 1), period_end=D(2026, 3, 31), focus=focus)


def test_hand_built_history_for_one_focus() -> None:
    m = in_period(practice_history(), "alcohol")
    # Current stage of active clients: 1 → C (Mar 12), 3 → PC, 4 → P, 5 → M; 2 was discharged Mar 15.
    assert dict(m.distribution) == {PC: 1, C: 1, P: 1, A: 0, M: 1}
    assert m.paused == 0
    # Each record lasts until the next record (any kind) or the course end, clipped to [Feb 1, end]:
    #   1: PC Jan 1–Jan 21 → before the period; C Jan 21–Feb 10 → Feb 1–Feb 10 = 9; P Feb 10–Feb 10 (corrected
    #      the same day) = 0; C Feb 10–Mar 2 = 20; PC Mar 2–Mar 12 = 10; C Mar 12–Mar 31 (open-ended) = 19.
    #   2: P Dec 1–Feb 20 → Feb 1–Feb 20 = 19; A Feb 20–Mar 15 (discharge) = 23.
    #   3: C Jan 5–Feb 5 (ended by "not staged") → Feb 1–Feb 5 = 4; PC Feb 25–Mar 31 = 34.
    #   4: P Oct 1–Mar 31 → Feb 1–Mar 31 = 58.   5: M → 58.
    t = m.time_in_stage
    assert (t[PC].stays, t[PC].median, t[PC].mean) == (2, 22.0, 22.0)  # 10, 34
    assert (t[C].stays, t[C].median, t[C].mean) == (4, 14.0, 13.0)  # 4, 9, 19, 20
    assert (t[P].stays, t[P].median) == (3, 19.0)  # 0, 19, 58
    assert t[P].mean == pytest.approx(77 / 3)
    assert (t[A].stays, t[A].median, t[A].mean) == (1, 23.0, 23.0)
    assert (t[M].stays, t[M].median, t[M].mean) == (1, 58.0, 58.0)
    # Moves in the period: 1: C→P (forward, Feb 10), P→C (back, the same-day correction), C→PC (back),
    # PC→C (forward); 2: P→A (forward); 3: C→(pause)→PC (back).
    assert (m.moves, m.forward_moves, m.backward_moves) == (6, 3, 3)
    assert m.advancement_rate == 0.5
    # Courses with a pair of staged records in the period: 1, 2, 3; with a backward move: 1, 3.
    assert (m.courses_with_pairs, m.courses_recycled) == (3, 2)
    assert m.recycling_share == pytest.approx(2 / 3)
    # Stalled (> 90 days): 4 (P since Oct 1: 181 days) and 5 (M since Sep 1: 211 days); others are recent.
    assert m.stalled == 2
    # Slowest stage by median: M 58 > A 23 > PC 22 > P 19 > C 14.
    assert m.slowest_stage is M
    # Reassessments due in the period (30 days): 1: Jan 21 → Feb 20 (next Feb 10: on time), P Feb 10 →
    # Mar 12 (next, the same-day C: on time), C Feb 10 → Mar 12 (next Mar 2: on time); 2: Feb 20 → Mar 22
    # is after the discharge: not due; 3: Jan 5 → Feb 4 (next Feb 5: late), Feb 25 → Mar 27 (none: late).
    assert (m.fidelity.reassessments_due, m.fidelity.reassessments_on_time) == (5, 3)
    assert m.fidelity.on_time_share == pytest.approx(0.6)
    # Overrides among records with a proposal in the period: ann 2 (one override), ben 2 (none).  ann's
    # record after client 2's discharge is ignored.
    over = m.fidelity.overrides
    assert (over["ann"].with_proposal, over["ann"].overrides, over["ann"].rate) == (2, 1, 0.5)
    assert (over["ben"].with_proposal, over["ben"].overrides, over["ben"].rate) == (2, 0, 0.0)


def test_without_a_focus_client_focus_pairs_are_counted() -> None:
    m = in_period(practice_history())
    # Client 6 (smoking): C Feb 3–Feb 13 = 10, P Feb 13–Mar 31 = 46, one forward move, current P.
    assert m.distribution[P] == 2
    assert (m.time_in_stage[C].median, m.time_in_stage[C].mean) == (10.0, 12.4)  # 4, 9, 10, 19, 20
    assert (m.time_in_stage[P].median, m.time_in_stage[P].mean) == (32.5, 30.75)  # 0, 19, 46, 58
    assert (m.moves, m.forward_moves) == (7, 4)
    assert m.advancement_rate == pytest.approx(4 / 7)
    assert m.recycling_share == 0.5  # 2 of 4
    assert m.slowest_stage is M  # M 58 > P 32.5 > A 23 > PC 22 > C 10
    # Smoking: Feb 3 → Mar 5 met by Feb 13; Feb 13 → Mar 15 not met.
    assert (m.fidelity.reassessments_due, m.fidelity.reassessments_on_time) == (7, 4)


def test_json_has_exactly_the_issue_keys_plus_extensions() -> None:
    data = in_period(practice_history(), "alcohol").to_json()
    assert list(data)[:6] == [
        "distribution",
        "time_in_stage_days",
        "advancement_rate",
        "recycling_share",
        "stalled",
        "slowest_stage",
    ]
    assert data["distribution"] == {
        "precontemplation": 1,
        "contemplation": 1,
        "preparation": 1,
        "action": 0,
        "maintenance": 1,
    }
    assert data["time_in_stage_days"]["contemplation"] == {"median": 14.0, "mean": 13.0}
    assert data["recycling_share"] == pytest.approx(2 / 3)  # not rounded: JSON carries the full value
    assert data["slowest_stage"] == "maintenance"
    assert data["fidelity"]["override_rate"]["ann"] == {"with_proposal": 2, "overrides": 1, "rate": 0.5}
    assert data["period"] == {"from": "2026-02-01", "to": "2026-03-31"}


def test_empty_input_gives_nulls_not_errors() -> None:
    data = compute_metrics([], period_start=None, period_end=D(2026, 1, 1)).to_json()
    assert data["distribution"] == dict.fromkeys(s.value for s in Stage) | {s.value: 0 for s in Stage}
    assert all(v == {"median": None, "mean": None} for v in data["time_in_stage_days"].values())
    assert data["advancement_rate"] is None
    assert data["recycling_share"] is None
    assert data["stalled"] == 0
    assert data["slowest_stage"] is None
    assert data["fidelity"]["on_time_share"] is None


def test_single_open_ended_record_without_a_period_start() -> None:
    m = compute_metrics([rec(1, C, D(2026, 1, 10))], period_start=None, period_end=D(2026, 1, 31))
    assert m.distribution[C] == 1
    assert (m.time_in_stage[C].stays, m.time_in_stage[C].median) == (1, 21.0)  # Jan 10 → Jan 31
    assert m.advancement_rate is None  # no stage change at all
    assert m.recycling_share is None  # no client with two records
    assert m.slowest_stage is C
    assert m.fidelity.reassessments_due == 0  # due Feb 9, after the period


def test_all_time_period_counts_every_stay_in_full() -> None:
    records = [rec(1, PC, D(2026, 1, 1)), rec(1, C, D(2026, 1, 11)), rec(1, PC, D(2026, 1, 16))]
    m = compute_metrics(records, period_start=None, period_end=D(2026, 1, 31))
    assert m.time_in_stage[PC].median == 12.5  # 10 and 15 (Jan 16 → Jan 31)
    assert m.time_in_stage[C].median == 5.0
    assert (m.moves, m.forward_moves, m.courses_with_pairs, m.courses_recycled) == (2, 1, 1, 1)


def test_same_day_records_are_records_of_zero_days() -> None:
    first, second, third = rec(1, P, D(2026, 1, 5)), rec(1, A, D(2026, 1, 5)), rec(1, C, D(2026, 1, 5))
    assert daily_history([third, first, second]) == [third]  # the helper for views that want supersession
    m = compute_metrics(
        [rec(1, PC, D(2026, 1, 1)), third, first, second], period_start=None, period_end=D(2026, 1, 9)
    )
    # In recorded order: PC Jan 1–5 (4 days), P Jan 5–5 (0), A Jan 5–5 (0), C Jan 5–9 (4).
    assert (m.time_in_stage[P].stays, m.time_in_stage[P].median) == (1, 0.0)
    assert (m.time_in_stage[A].stays, m.time_in_stage[A].median) == (1, 0.0)
    assert (m.time_in_stage[PC].median, m.time_in_stage[C].median) == (4.0, 4.0)
    # Moves: PC→P and P→A forward, A→C backward.
    assert (m.moves, m.forward_moves) == (3, 2)
    assert m.distribution[C] == 1  # the latest record is current


def test_a_record_on_the_last_day_lasts_zero_days_and_counts_as_current() -> None:
    m = compute_metrics([rec(1, A, D(2026, 1, 31))], period_start=D(2026, 1, 1), period_end=D(2026, 1, 31))
    assert m.distribution[A] == 1
    assert (m.time_in_stage[A].stays, m.time_in_stage[A].median) == (1, 0.0)


def test_stage_records_after_the_period_are_ignored_and_stays_end_at_the_period_end() -> None:
    records = [rec(1, C, D(2026, 1, 1)), rec(1, P, D(2026, 2, 15))]
    m = compute_metrics(records, period_start=D(2026, 1, 1), period_end=D(2026, 1, 31))
    assert m.distribution[C] == 1
    assert m.distribution[P] == 0
    assert m.time_in_stage[C].median == 30.0
    assert m.moves == 0


def test_discharged_clients_leave_the_distribution_but_their_stays_count() -> None:
    records = [rec(1, A, D(2026, 1, 1), discharged=D(2026, 1, 11))]
    during = compute_metrics(records, period_start=None, period_end=D(2026, 1, 10))
    after = compute_metrics(records, period_start=None, period_end=D(2026, 1, 31))
    assert during.distribution[A] == 1  # still active on Jan 10
    assert after.distribution[A] == 0  # discharged on or before the period end
    assert after.time_in_stage[A].median == 10.0  # Jan 1 → discharge Jan 11


def test_a_paused_client_is_counted_apart_and_never_stalled() -> None:
    records = [rec(1, C, D(2025, 1, 1)), rec(1, None, D(2025, 2, 1))]
    m = compute_metrics(records, period_start=None, period_end=D(2026, 1, 1))
    assert sum(m.distribution.values()) == 0
    assert (m.paused, m.stalled) == (1, 0)
    # The C record was due on Jan 31 2025; the next record (the pause, Feb 1) came a day late.  The pause
    # itself is never due.
    assert (m.fidelity.reassessments_due, m.fidelity.reassessments_on_time) == (1, 0)
    assert m.time_in_stage[C].median == 31.0  # the pause ends the stay


def test_stall_threshold_is_strictly_more_than() -> None:
    records = [rec(1, C, D(2026, 1, 1))]
    on_threshold = compute_metrics(records, period_start=None, period_end=D(2026, 4, 1), stalled_days=90)
    over = compute_metrics(records, period_start=None, period_end=D(2026, 4, 2), stalled_days=90)
    assert (on_threshold.stalled, over.stalled) == (0, 1)  # Jan 1 → Apr 1 is exactly 90 days


def test_a_confirming_reassessment_does_not_reset_the_stall_clock() -> None:
    records = [rec(1, C, D(2026, 1, 1)), rec(1, C, D(2026, 3, 1))]
    m = compute_metrics(records, period_start=None, period_end=D(2026, 4, 15), stalled_days=90)
    assert m.stalled == 1  # C since Jan 1: 104 days
    # Each record counts on its own: Jan 1 → Mar 1 (59 days) and Mar 1 → Apr 15 (45 days).
    assert m.time_in_stage[C].stays == 2
    assert m.time_in_stage[C].median == 52.0


def test_the_slowest_stage_before_maintenance_leaves_maintenance_out() -> None:
    from stagewise.core.stages.metrics import slowest_stage

    m = in_period(practice_history())
    # M 58 > P 32.5 > A 23 > PC 22 > C 10: without maintenance, preparation.
    assert slowest_stage(m.time_in_stage, frozenset()) is M
    assert slowest_stage(m.time_in_stage, frozenset({M})) is P
    assert slowest_stage(m.time_in_stage, frozenset({M, P, A, PC, C})) is None


def test_slowest_stage_ties_go_to_the_mean_then_the_earlier_stage() -> None:
    ten_each = [
        *(rec(1, PC, D(2026, 1, 1)), rec(1, None, D(2026, 1, 11))),
        *(rec(2, C, D(2026, 1, 1)), rec(2, None, D(2026, 1, 11))),
        *(rec(3, P, D(2026, 1, 1)), rec(3, None, D(2026, 1, 11))),
    ]
    end = D(2026, 1, 31)
    assert compute_metrics(ten_each, period_start=None, period_end=end).slowest_stage is PC
    # P gets stays of 4 and 30 too: median still 10 (4, 10, 30) but mean 14.67 > 10.
    more_p = [
        *(rec(4, P, D(2026, 1, 1)), rec(4, None, D(2026, 1, 5))),
        *(rec(5, P, D(2026, 1, 1)), rec(5, None, D(2026, 1, 31))),
    ]
    m = compute_metrics([*ten_each, *more_p], period_start=None, period_end=end)
    assert m.time_in_stage[P].median == 10.0
    assert m.slowest_stage is P


def test_every_stage_can_stall_unless_the_practice_exempts_it() -> None:
    records = [rec(1, M, D(2025, 1, 1)), rec(2, C, D(2026, 1, 1))]
    default = compute_metrics(records, period_start=None, period_end=D(2026, 6, 1))
    assert (default.stalled, default.slowest_stage) == (2, M)  # M 516 days, C 151 days: both > 90
    exempt = compute_metrics(records, period_start=None, period_end=D(2026, 6, 1), exempt_from_stalling=(M,))
    assert (exempt.stalled, exempt.slowest_stage) == (1, C)


def test_a_bad_period_is_refused_with_a_sentence() -> None:
    with pytest.raises(UserInputError, match="starts"):
        compute_metrics([], period_start=D(2026, 2, 1), period_end=D(2026, 1, 1))


def test_csv_export_lists_every_figure() -> None:
    text = metrics_csv(in_period(practice_history(), "alcohol"))
    lines = text.splitlines()
    assert lines[0] == "section,key,value"
    assert "distribution,contemplation,1" in lines
    assert "time_in_stage_days_median,preparation,19.0" in lines
    assert "time_in_stage_days_median,action,23.0" in lines
    assert "advancement_rate,,0.5" in lines
    assert "slowest_stage,,maintenance" in lines
    assert "override_rate,ann,0.5" in lines


# ---------------------------------------------------------------------------------------------------------
# Properties


@st.composite
def histories(draw: st.DrawFn) -> list[MetricRecord]:
    out = []
    for client in range(draw(st.integers(1, 5))):
        discharged = draw(st.one_of(st.none(), st.dates(D(2026, 1, 1), D(2026, 6, 30))))
        for _ in range(draw(st.integers(1, 6))):
            out.append(
                rec(
                    client,
                    draw(st.one_of(st.none(), st.sampled_from(list(Stage)))),
                    draw(st.dates(D(2026, 1, 1), D(2026, 6, 30))),
                    focus=draw(st.sampled_from(["alcohol", "smoking"])),
                    proposed=draw(st.one_of(st.none(), st.sampled_from(list(Stage)))),
                    discharged=discharged,
                )
            )
    return out


def _summary(m: PracticeMetrics) -> dict[str, object]:
    return m.to_json()


@settings(max_examples=150, deadline=None)
@given(histories(), st.dates(D(2026, 1, 1), D(2026, 3, 31)), st.integers(0, 120), st.randoms())
def test_metric_invariants(
    records: list[MetricRecord], start: dt.date, length: int, rnd: random.Random
) -> None:
    end = start + dt.timedelta(days=length)
    m = compute_metrics(records, period_start=start, period_end=end)
    courses = {(r.client_id, r.focus_key) for r in records}
    assert sum(m.distribution.values()) + m.paused <= len(courses)
    assert m.stalled <= sum(m.distribution.values())
    assert 0 <= m.forward_moves <= m.moves
    assert m.courses_recycled <= m.courses_with_pairs <= len(courses)
    for t in m.time_in_stage.values():
        if t.stays:
            assert t.median is not None
            assert t.mean is not None
            assert 0 <= t.median <= length
            assert 0 <= t.mean <= length
    for rate in (m.advancement_rate, m.recycling_share, m.fidelity.on_time_share):
        assert rate is None or 0 <= rate <= 1
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert _summary(compute_metrics(shuffled, period_start=start, period_end=end)) == _summary(m)
