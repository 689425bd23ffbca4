"""Practice dashboard figures computed from stage records: pure functions over plain records.

Every definition below is also in ``docs/metrics.md`` with a worked example; the two must agree.

Vocabulary
    *course*: all records of one client for one focus.  Without a focus filter every figure counts
    client-focus pairs (a client with two focuses counts twice); with a focus, one course is one client.

    *record order*: a course's records ordered by effective date, then by the order they were recorded
    (so a same-day correction comes after the record it corrects).  Records after the period end, and
    records after the client's discharge, are left out.

    *course end*: the period end, or the discharge date for a client discharged on or before it.

    *move*: two consecutive STAGED records (not-staged records are skipped, so a pause between two stages
    is not itself a move) whose stages differ.  Forward if the later stage is further along
    (precontemplation → maintenance), else backward (recycling — ordinary, never an error).  A move
    belongs to the period if its later record is effective in the period.  Same-day records are records
    like any other: a correction on the same day is a move.

Figures (period = ``period_start`` … ``period_end``, both inclusive; no start = from the beginning),
as issue #5 defines them
    distribution: active courses (client not discharged on or before the period end) by the stage of
        their latest record on or before the period end; courses whose latest record is "not staged" are
        counted apart (``paused``), never in a stage.
    time in stage: a record's stage lasts until the next record for that client and focus (of any
        kind), or until the course end; each record's time is clipped to the period and counted as
        (end − start).days.  A record corrected the same day, or made on the period's last day, lasted
        0 days and counts as 0; a record whose time ends before the period starts is not counted.
        Median and mean per stage over records.  (Consecutive records confirming the same stage each
        count on their own, as the definition says.)
    advancement rate: forward moves ÷ all moves (stage changes) in the period (None when there are none).
    recycling share: courses with at least one backward move in the period ÷ courses with at least one
        pair of consecutive staged records whose later record is in the period — without a start date,
        simply courses with at least two staged records (None when the denominator is 0).
    stalled: active courses whose current stage is older than ``stalled_days``: the current stage began
        with the first of the run of latest records holding it (a reassessment that confirms the stage
        does not reset the clock), and (period_end − that date).days > stalled_days.  Stages listed in
        ``exempt_from_stalling`` (none by default; a practice may exempt maintenance, where staying is
        the goal) are never counted as stalled nor as the slowest stage.
    slowest stage: the stage with the highest median time in stage ("where clients stall longest");
        ties go to the higher mean, then the earlier stage (None when no record has a time).
    fidelity — reassessments on time: every staged record (not "not staged": a pause suspends
        reminders) is due for reassessment ``reassessment_days`` later (the focus's own interval if set,
        else the practice default).  A due date inside the period counts unless the client was
        discharged before it; it was met on time if the course's next record (of any kind) is effective
        on or before the due date.  Share = on time ÷ due.
    fidelity — override rate per clinician: among the records in the period that had a proposed stage
        and a clinician stage, the share whose stage differs from the proposal.

``daily_history`` and ``stays`` (same-day supersession, runs of one stage) remain as building blocks
for views that want them (the timeline draws runs); the dashboard figures above do not use them.

Pure: no database, no Qt.  ``metric_records.load_metric_records`` turns the practice's stage records into
:class:`MetricRecord` values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stagewise.core.changes import Done, OpChanges
from stagewise.core.enums import STAGE_ORDER
from stagewise.core.errors import UserInputError
from stagewise.core.models import Stage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_STALLED_DAYS = 90
DEFAULT_REASSESSMENT_DAYS = 30
DEFAULT_EXEMPT_FROM_STALLING: frozenset[Stage] = frozenset()
UNKNOWN_CLINICIAN = "(unknown)"


class MetricRecord(NamedTuple):
    """One stage record, as the metrics need it (no names, no reasons).

    An immutable named tuple rather than a dataclass: a large practice loads 60,000 of them for every
    dashboard refresh, and a tuple is built several times faster (construct it by keyword as usual).

    Attributes:
        client_id: the client.
        focus_key: the focus (``"alcohol"``).
        stage: the clinician's stage; None = not staged for now.
        effective: the record's effective date.
        recorded_order: ties between records of the same day go to the higher (later) value.
        clinician: who recorded it, as a person (``users.person_label``), for the override rate.
        is_override: the clinician chose a stage other than the proposed one.
        client_discharged_on: the client's discharge date, None while the client is active.
        proposed: the stage an instrument proposed, if any.
        reassessment_days: the focus's own reassessment interval, None for the practice default.
    """

    client_id: int
    focus_key: str
    stage: Stage | None
    effective: dt.date
    recorded_order: int
    clinician: str | None = None
    is_override: bool = False
    client_discharged_on: dt.date | None = None
    proposed: Stage | None = None
    reassessment_days: int | None = None


@dataclass(frozen=True, slots=True)
class StageTime:
    """Time in one stage: over ``stays`` clipped stays of positive length."""

    stays: int
    median: float | None
    mean: float | None


@dataclass(frozen=True, slots=True)
class OverrideRate:
    """One clinician's overrides among their records that had a proposed stage."""

    with_proposal: int
    overrides: int

    @property
    def rate(self) -> float | None:
        return None if self.with_proposal == 0 else self.overrides / self.with_proposal


@dataclass(frozen=True, slots=True)
class Fidelity:
    """Process figures: reassessments done on time and overrides per clinician."""

    reassessments_due: int
    reassessments_on_time: int
    overrides: Mapping[str, OverrideRate]

    @property
    def on_time_share(self) -> float | None:
        if self.reassessments_due == 0:
            return None
        return self.reassessments_on_time / self.reassessments_due


@dataclass(frozen=True, slots=True)
class PracticeMetrics:
    """The dashboard's figures for one period (and optionally one focus); see the module docstring."""

    period_start: dt.date | None
    period_end: dt.date
    focus: str | None
    distribution: Mapping[Stage, int]
    paused: int
    time_in_stage: Mapping[Stage, StageTime]
    moves: int
    forward_moves: int
    courses_with_pairs: int
    courses_recycled: int
    stalled: int
    stalled_days: int
    slowest_stage: Stage | None
    fidelity: Fidelity

    @property
    def backward_moves(self) -> int:
        return self.moves - self.forward_moves

    @property
    def advancement_rate(self) -> float | None:
        """Forward moves ÷ all moves; None when there was no move."""
        return None if self.moves == 0 else self.forward_moves / self.moves

    @property
    def recycling_share(self) -> float | None:
        """Courses with a backward move ÷ courses with a pair of staged records; None when none."""
        return None if self.courses_with_pairs == 0 else self.courses_recycled / self.courses_with_pairs

    def to_json(self) -> dict[str, Any]:
        """The shape ``stagewise metrics --json`` prints (the issue's keys, plus fidelity and counts).

        Values are not rounded (displays round them); missing figures are ``None`` (JSON null).
        """
        return {
            "distribution": {s.value: self.distribution[s] for s in Stage},
            "time_in_stage_days": {
                s.value: {
                    "median": self.time_in_stage[s].median,
                    "mean": self.time_in_stage[s].mean,
                }
                for s in Stage
            },
            "advancement_rate": self.advancement_rate,
            "recycling_share": self.recycling_share,
            "stalled": self.stalled,
            "slowest_stage": None if self.slowest_stage is None else self.slowest_stage.value,
            "fidelity": {
                "reassessments_due": self.fidelity.reassessments_due,
                "reassessments_on_time": self.fidelity.reassessments_on_time,
                "on_time_share": self.fidelity.on_time_share,
                "override_rate": {
                    name: {
                        "with_proposal": r.with_proposal,
                        "overrides": r.overrides,
                        "rate": r.rate,
                    }
                    for name, r in sorted(self.fidelity.overrides.items())
                },
            },
            "period": {
                "from": None if self.period_start is None else self.period_start.isoformat(),
                "to": self.period_end.isoformat(),
            },
            "focus": self.focus,
            "counts": {
                "moves": self.moves,
                "forward_moves": self.forward_moves,
                "backward_moves": self.backward_moves,
                "courses_with_pairs": self.courses_with_pairs,
                "courses_recycled": self.courses_recycled,
                "paused": self.paused,
                "stays": {s.value: self.time_in_stage[s].stays for s in Stage},
                "stalled_days": self.stalled_days,
            },
        }


# --------------------------------------------------------------------------------------------------------
# Building blocks (public: the timeline and tests use them)


def daily_history(records: Iterable[MetricRecord]) -> list[MetricRecord]:
    """One course's records ordered by (effective, recorded order), keeping the last record of each day."""
    ordered = sorted(records, key=lambda r: (r.effective, r.recorded_order))
    out: list[MetricRecord] = []
    for rec in ordered:
        if out and out[-1].effective == rec.effective:
            out[-1] = rec  # a later record the same day supersedes the earlier one (a 0-day segment)
        else:
            out.append(rec)
    return out


@dataclass(frozen=True, slots=True)
class Stay:
    """A run of consecutive daily records with the same stage, unclipped."""

    stage: Stage
    start: dt.date
    end: dt.date  # the next changing record's date, or the course end

    def clipped_days(self, period_start: dt.date | None) -> int:
        """Days of the stay inside the period: (end − max(start, period start)).days, at least 0."""
        start = self.start if period_start is None else max(self.start, period_start)
        return max(0, (self.end - start).days)


def stays(daily: Sequence[MetricRecord], course_end: dt.date) -> list[Stay]:
    """The stays of one course's daily history (records after ``course_end`` must already be dropped)."""
    out: list[Stay] = []
    run_stage: Stage | None = None
    run_start: dt.date | None = None
    for rec in daily:
        if run_stage is not None and run_start is not None and rec.stage != run_stage:
            out.append(Stay(run_stage, run_start, rec.effective))
            run_stage = run_start = None
        if rec.stage is not None and run_stage is None:
            run_stage, run_start = rec.stage, rec.effective
    if run_stage is not None and run_start is not None:
        out.append(Stay(run_stage, run_start, max(course_end, run_start)))
    return out


def direction(previous: Stage | None, current: Stage | None) -> str | None:
    """``"forward"``, ``"backward"`` or ``"same"`` from ``previous`` to ``current`` (None if either is)."""
    if previous is None or current is None:
        return None
    if current.order > previous.order:
        return "forward"
    if current.order < previous.order:
        return "backward"
    return "same"


# --------------------------------------------------------------------------------------------------------
# The dashboard


def compute_metrics(
    records: Iterable[MetricRecord],
    *,
    period_start: dt.date | None,
    period_end: dt.date,
    focus: str | None = None,
    stalled_days: int = DEFAULT_STALLED_DAYS,
    reassessment_days: int = DEFAULT_REASSESSMENT_DAYS,
    exempt_from_stalling: Iterable[Stage] = DEFAULT_EXEMPT_FROM_STALLING,
) -> PracticeMetrics:
    """Compute the practice dashboard from stage records (definitions in the module docstring).

    Args:
        records: every stage record to consider (any order; records after ``period_end`` are ignored).
        period_start: first day of the period (inclusive), or None for "from the first record".
        period_end: last day of the period (inclusive); "now" for the current state.
        focus: keep only this focus key (None = every focus, counting client-focus pairs).
        stalled_days: the practice's stall threshold in days (default 90).
        reassessment_days: the practice's default reassessment interval (a focus's own interval wins).
        exempt_from_stalling: stages never counted as stalled nor as the slowest stage (default none).

    Raises:
        UserInputError: the period starts after it ends, or a threshold is not positive.
    """
    if period_start is not None and period_start > period_end:
        raise UserInputError(
            f"The period starts ({period_start.isoformat()}) after it ends ({period_end.isoformat()})."
        )
    if stalled_days <= 0 or reassessment_days <= 0:
        raise UserInputError("The stall threshold and reassessment interval must be at least one day.")
    exempt = frozenset(exempt_from_stalling)

    # One pass per course, written for speed (60,000 records in a large practice): plain locals, stage
    # order from a dict, each course sorted once.  The figures are exactly those of the building blocks
    # above (daily_history, stays, direction); tests/core/test_metrics.py checks both.
    courses: dict[tuple[int, str], list[MetricRecord]] = {}
    for rec in records:
        if rec.effective > period_end or (focus is not None and rec.focus_key != focus):
            continue
        course_key = (rec.client_id, rec.focus_key)
        course = courses.get(course_key)
        if course is None:
            courses[course_key] = [rec]
        else:
            course.append(rec)

    # Every record kept is effective on or before the period end, so "in the period" is only the start.
    lo = dt.date.min if period_start is None else period_start
    order = STAGE_ORDER
    intervals: dict[int, dt.timedelta] = {}

    distribution = dict.fromkeys(Stage, 0)
    samples: dict[Stage, list[int]] = {s: [] for s in Stage}
    paused = moves = forward = with_pairs = recycled = stalled = due = on_time = 0
    overrides: dict[str, list[int]] = {}

    for key in sorted(courses):
        raw = courses[key]
        discharged = None
        for rec in raw:
            if rec.client_discharged_on is not None:
                discharged = rec.client_discharged_on
                break
        if discharged is not None:
            raw = [r for r in raw if r.effective <= discharged]  # records after a discharge are ignored
            if not raw:
                continue
        course_end = period_end if discharged is None else min(period_end, discharged)
        active = discharged is None or discharged > period_end

        # Fidelity — overrides: every recorded decision in the period counts, same-day ones included.
        for rec in raw:
            if rec.proposed is not None and rec.stage is not None and rec.effective >= lo:
                name = rec.clinician or UNKNOWN_CLINICIAN
                tally = overrides.get(name)
                if tally is None:
                    tally = overrides[name] = [0, 0]
                tally[0] += 1
                tally[1] += rec.is_override or rec.stage != rec.proposed

        # Records in order (effective date, then recorded order: a same-day correction comes after).
        ordered = sorted(raw, key=_DAY_ORDER) if len(raw) > 1 else raw
        n = len(ordered)
        run_stage: Stage | None = None  # the current run of one stage (the stall clock)
        run_start = lo
        prev_stage: Stage | None = None  # the latest staged record (for moves)
        has_pair = has_backward = False
        for i, rec in enumerate(ordered):
            stage, day = rec.stage, rec.effective
            if stage is None:
                run_stage = None  # a pause ends the run, starts no time in stage, is never due
                continue
            # Time in stage: this record's stage lasts until the next record (of any kind), or until the
            # course end; clipped to the period.  A same-day correction lasted 0 days, and counts as 0.
            end = ordered[i + 1].effective if i + 1 < n else max(course_end, day)
            if day >= lo:
                samples[stage].append((end - day).days)
            elif end > lo:
                samples[stage].append((end - lo).days)
            if stage != run_stage:
                run_stage, run_start = stage, day
            # Moves and recycling: consecutive staged records whose later one is in the period.
            if prev_stage is not None and day >= lo:
                has_pair = True
                step = order[stage] - order[prev_stage]
                if step > 0:
                    moves += 1
                    forward += 1
                elif step < 0:
                    moves += 1
                    has_backward = True
            prev_stage = stage
            # Fidelity — reassessments due in the period and met on time.
            interval = rec.reassessment_days or reassessment_days
            delta = intervals.get(interval)
            if delta is None:
                delta = intervals[interval] = dt.timedelta(days=interval)
            due_on = day + delta
            if due_on < lo or due_on > period_end or (discharged is not None and discharged < due_on):
                continue
            due += 1
            on_time += i + 1 < n and ordered[i + 1].effective <= due_on
        with_pairs += has_pair
        recycled += has_backward

        # Distribution and stalls (active courses only; current = the latest record).
        if active:
            current = ordered[-1].stage
            if current is None:
                paused += 1
            else:
                distribution[current] += 1
                # The current stay is the open one (run_start): a confirming record does not reset it.
                if current not in exempt and (period_end - run_start).days > stalled_days:
                    stalled += 1

    time_in_stage = {s: _stage_time(samples[s]) for s in Stage}
    return PracticeMetrics(
        period_start=period_start,
        period_end=period_end,
        focus=focus,
        distribution=distribution,
        paused=paused,
        time_in_stage=time_in_stage,
        moves=moves,
        forward_moves=forward,
        courses_with_pairs=with_pairs,
        courses_recycled=recycled,
        stalled=stalled,
        stalled_days=stalled_days,
        slowest_stage=slowest_stage(time_in_stage, exempt),
        fidelity=Fidelity(
            reassessments_due=due,
            reassessments_on_time=on_time,
            overrides={name: OverrideRate(n, k) for name, (n, k) in overrides.items()},
        ),
    )


_DAY_ORDER = operator.itemgetter(3, 4)  # MetricRecord (effective, recorded_order)


def _stage_time(values: list[int]) -> StageTime:
    if not values:
        return StageTime(0, None, None)
    return StageTime(len(values), float(statistics.median(values)), statistics.fmean(values))


def slowest_stage(time_in_stage: Mapping[Stage, StageTime], exempt: frozenset[Stage]) -> Stage | None:
    """The stage with the highest median time in stage, leaving out ``exempt`` (ties: the higher mean,
    then the earlier stage).  The dashboard leaves out maintenance, where staying is the goal."""
    candidates = [
        (t.median, t.mean or 0.0, -s.order, s)
        for s, t in time_in_stage.items()
        if s not in exempt and t.median is not None
    ]
    if not candidates:
        return None
    return max(candidates)[3]


def metrics_csv(metrics: PracticeMetrics) -> str:
    """The dashboard as CSV text: one ``section,key,value`` row per figure (empty value = no data)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    data = metrics.to_json()

    def cell(value: object) -> object:
        return "" if value is None else value

    writer.writerow(["period", "from", cell(data["period"]["from"])])
    writer.writerow(["period", "to", data["period"]["to"]])
    writer.writerow(["period", "focus", cell(data["focus"])])
    for stage, count in data["distribution"].items():
        writer.writerow(["distribution", stage, count])
    writer.writerow(["distribution", "not_staged", metrics.paused])
    for stage, figures in data["time_in_stage_days"].items():
        writer.writerow(["time_in_stage_days_median", stage, cell(figures["median"])])
        writer.writerow(["time_in_stage_days_mean", stage, cell(figures["mean"])])
    writer.writerow(["advancement_rate", "", cell(data["advancement_rate"])])
    writer.writerow(["recycling_share", "", cell(data["recycling_share"])])
    writer.writerow(["stalled", f"more than {metrics.stalled_days} days", data["stalled"]])
    writer.writerow(["slowest_stage", "", cell(data["slowest_stage"])])
    fidelity = data["fidelity"]
    writer.writerow(["reassessments", "due", fidelity["reassessments_due"]])
    writer.writerow(["reassessments", "on_time", fidelity["reassessments_on_time"]])
    writer.writerow(["reassessments", "on_time_share", cell(fidelity["on_time_share"])])
    for name, figures in fidelity["override_rate"].items():
        writer.writerow(["override_rate", name, cell(figures["rate"])])
    return out.getvalue()


def export_metrics_csv(
    session: Session, metrics: PracticeMetrics, path: Path, *, actor: str | None
) -> Done[Path]:
    """The "Export CSV" action (dashboard and ``stagewise stages metrics --csv``): write, then audit.

    Aggregate figures only, but an export all the same: every export is audited, in the caller's
    transaction.

    Raises:
        UserInputError: the file cannot be written (nothing is audited).
    """
    try:
        path.write_text(metrics_csv(metrics), encoding="utf-8")
    except OSError as exc:
        raise UserInputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    from stagewise.core.audit import trail as audit

    audit.record(session, actor, "export", "metrics", None, {"format": "csv"})
    return Done(path, OpChanges(audit=True))
