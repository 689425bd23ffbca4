"""Stages from several instruments, side by side — never merged into one.

Stage-of-change instruments agree only moderately with one another (e.g. the Contemplation Ladder
correlates 0.50–0.51 with a staging algorithm, Miskimins et al. 2023), so Stagewise shows each instrument's
stage with how it was reached and raises a disagreement indicator; the clinician decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stagewise.core.instruments.scoring import Result
from stagewise.core.models import Stage

NO_STAGE = "assigns no stage"


@dataclass(frozen=True, slots=True)
class StageRow:
    """One instrument's contribution: its stage (None when it assigns none) and the rule, in words."""

    form_id: str
    form_version: str
    stage: Stage | None
    stage_rule: str
    assigns_stage: bool
    complete: bool


@dataclass(frozen=True, slots=True)
class StageComparison:
    """Every instrument's stage for one focus.

    Attributes:
        rows: one per result, in the order given.
        disagreement: two or more instruments assign different stages.
        spread: highest minus lowest stage order among the stages assigned (0 when fewer than two).
        stages: the distinct stages assigned, earliest first.
    """

    rows: tuple[StageRow, ...]
    disagreement: bool
    spread: int
    stages: tuple[Stage, ...]


def side_by_side(results: Iterable[Result]) -> StageComparison:
    """Line up the latest results for one focus; flag disagreement, never merge.

    Args:
        results: the latest result of each instrument for the focus (any order, any instruments).

    Returns:
        A StageComparison.  Instruments that assign no stage (SOCRATES, rulers, PHQ-9 …) are listed with
        ``stage`` None and their stage_rule saying so; so are staging instruments whose answers were too
        incomplete to stage.
    """
    rows: list[StageRow] = []
    for result in results:
        assigns = result.stage is not None or NO_STAGE not in result.stage_rule
        rule = result.stage_rule or NO_STAGE
        rows.append(
            StageRow(result.form_id, result.form_version, result.stage, rule, assigns, result.complete)
        )
    assigned = sorted({r.stage for r in rows if r.stage is not None}, key=lambda s: s.order)
    spread = assigned[-1].order - assigned[0].order if assigned else 0
    return StageComparison(tuple(rows), len(assigned) > 1, spread, tuple(assigned))
