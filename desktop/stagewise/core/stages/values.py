"""The values the stage-record API returns (frozen dataclasses): records, the timeline, decisions and the
suggestions for a focus."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from stagewise.core.models import (
    DecisionKind,
    Stage,
    StageBasis,
)
from stagewise.core.stages.interventions import (
    InterventionEntry,
    InterventionModel,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StageRecordInfo:
    """One stage record.

    Attributes:
        proposed: the stage an administration proposed, or None.
        stage: the clinician's stage; None = not staged for now.
        basis: how the stage was reached (derived from ``proposed`` and ``stage``).
        is_override: the clinician's stage differs from a proposed one.
        direction: ``"forward"``, ``"backward"`` (recycling) or ``"same"`` relative to the latest staged
            record of an earlier day; None for the first staged record and for "not staged" records.
    """

    id: int
    client_id: int
    focus_id: int
    focus_key: str
    proposed: Stage | None
    stage: Stage | None
    basis: StageBasis
    reason: str | None
    administration_id: int | None
    by_user_id: int | None
    by_username: str | None
    by_name: str | None  # the person, as shown (``users.person_label``)
    recorded_at: dt.datetime
    effective: dt.date
    is_override: bool
    direction: str | None

    @property
    def is_recycling(self) -> bool:
        """A move back a stage (ordinary in recovery)."""
        return self.direction == "backward"

    @property
    def not_staged(self) -> bool:
        return self.stage is None


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """A record on the timeline, with its markers."""

    record: StageRecordInfo
    superseded: bool  # a later record the same day replaced it (a same-day correction)

    @property
    def effective(self) -> dt.date:
        return self.record.effective

    @property
    def stage(self) -> Stage | None:
        return self.record.stage

    @property
    def basis(self) -> StageBasis:
        return self.record.basis

    @property
    def is_override(self) -> bool:
        return self.record.is_override

    @property
    def is_recycling(self) -> bool:
        return self.record.is_recycling


@dataclass(frozen=True, slots=True)
class TimelineSegment:
    """A span with one stage (or not staged), from ``start`` up to (not including) ``end``."""

    start: dt.date
    end: dt.date
    stage: Stage | None
    record_ids: tuple[int, ...]  # the records that make up the span (reassessments confirming it)
    open_ended: bool  # the current span: it ends at the timeline's ``until`` date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def not_staged(self) -> bool:
        return self.stage is None


@dataclass(frozen=True, slots=True)
class Timeline:
    """A focus's stage history for drawing: points (every record) and segments (spans between them).

    Consecutive records with the same stage form one segment; a same-day correction leaves a point
    (``superseded``) but no segment.  The last segment is open-ended up to ``until``.
    """

    focus_id: int
    until: dt.date
    points: tuple[TimelinePoint, ...]
    segments: tuple[TimelineSegment, ...]

    @property
    def not_staged_spans(self) -> tuple[TimelineSegment, ...]:
        return tuple(s for s in self.segments if s.not_staged)

    @property
    def recycling_points(self) -> tuple[TimelinePoint, ...]:
        return tuple(p for p in self.points if p.is_recycling and not p.superseded)

    @property
    def override_points(self) -> tuple[TimelinePoint, ...]:
        return tuple(p for p in self.points if p.is_override)


@dataclass(frozen=True, slots=True)
class DecisionInfo:
    """A clinician's decision about an intervention for a focus."""

    id: int
    client_id: int
    focus_id: int
    focus_key: str
    stage_record_id: int | None
    intervention_id: str | None  # None for the clinician's own ("added")
    title: str
    model: InterventionModel | None
    stage: Stage | None
    decision: DecisionKind
    reason: str | None
    by_user_id: int | None
    by_username: str | None
    by_name: str | None  # the person, as shown (``users.person_label``)
    decided_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FocusSuggestions:
    """What the library offers for a focus's current stage."""

    focus_id: int
    current: StageRecordInfo | None
    entries: tuple[InterventionEntry, ...]

    @property
    def stage(self) -> Stage | None:
        return None if self.current is None else self.current.stage

    @property
    def paused(self) -> bool:
        """The focus is not staged for now: nothing is suggested."""
        return self.current is not None and self.current.stage is None

    @property
    def recycling(self) -> bool:
        return self.current is not None and self.current.is_recycling
