"""Stages from several instruments side by side, with a disagreement indicator; never merged."""

from __future__ import annotations

from stagewise.core.instruments import load_library
from stagewise.core.instruments.scoring import Result, score
from stagewise.core.instruments.staging import NO_STAGE, side_by_side
from stagewise.core.models import Stage


def urica(value_pc: int, value_rest: int) -> Result:
    pc = {"1", "5", "11", "13", "23", "26", "29"}
    answers = {str(i): (value_pc if str(i) in pc else value_rest) for i in range(1, 33)}
    return score(load_library().get("urica-32"), answers)


def rcq(pc: int, c: int, a: int) -> Result:
    keys = {
        "1": pc,
        "5": pc,
        "10": pc,
        "12": pc,
        "3": c,
        "4": c,
        "8": c,
        "9": c,
        "2": a,
        "6": a,
        "7": a,
        "11": a,
    }
    return score(load_library().get("rcq-12"), keys)


def test_agreement() -> None:
    first = urica(1, 4)  # readiness 11 → contemplation
    second = rcq(-2, 2, 1)  # contemplation highest
    comparison = side_by_side([first, second])
    assert [r.stage for r in comparison.rows] == [Stage.CONTEMPLATION, Stage.CONTEMPLATION]
    assert not comparison.disagreement
    assert comparison.spread == 0
    assert comparison.stages == (Stage.CONTEMPLATION,)


def test_disagreement_is_shown_not_merged() -> None:
    rows = [urica(5, 1), rcq(-2, -2, 2), score(load_library().get("contemplation-ladder"), {"1": 8})]
    comparison = side_by_side(rows)
    assert comparison.disagreement
    assert comparison.stages == (Stage.PRECONTEMPLATION, Stage.ACTION)
    assert comparison.spread == 3
    assert len(comparison.rows) == 3  # every instrument listed, one stage each, nothing merged
    ladder = comparison.rows[2]
    assert ladder.stage is None
    assert not ladder.assigns_stage
    assert NO_STAGE in ladder.stage_rule
    assert "nearest" in comparison.rows[0].stage_rule


def test_incomplete_staging_instrument_is_listed_as_unstaged() -> None:
    partial = score(load_library().get("urica-32"), {"1": 1})
    comparison = side_by_side([partial, rcq(2, 0, 0)])
    assert comparison.rows[0].stage is None
    assert comparison.rows[0].assigns_stage  # it could stage, but the answers were incomplete
    assert not comparison.rows[0].complete
    assert not comparison.disagreement


def test_empty_input() -> None:
    comparison = side_by_side([])
    assert (comparison.rows, comparison.disagreement, comparison.spread) == ((), False, 0)
