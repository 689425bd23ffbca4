"""The read model of one focus: what the Stage tab shows, read in one go as frozen values.

``load_focus_view`` runs inside the caller's session and returns plain dataclasses (the core's own
values plus the instrument score series for the timeline's second panel); the widgets only draw them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.clients.records import FocusInfo
from stagewise.core.enums import Stage
from stagewise.core.settings import load_settings
from stagewise.core.stages import records as stages
from stagewise.core.stages.interventions import InterventionLibrary, InterventionModel
from stagewise.core.stages.labels import client_label
from stagewise.core.stages.records import (
    DecisionInfo,
    FocusSuggestions,
    StageRecordInfo,
    Timeline,
)


@dataclass(frozen=True, slots=True)
class ScorePoint:
    day: dt.date
    value: float
    administration_id: int


@dataclass(frozen=True, slots=True)
class ScoreSeries:
    """One score of one instrument over time (e.g. URICA readiness), with its theoretical range."""

    form_id: str
    instrument: str  # short title ("URICA")
    score: str  # score name ("readiness")
    label: str  # "Readiness (C + A + M − PC)"
    low: float
    high: float
    points: tuple[ScorePoint, ...]


@dataclass(frozen=True, slots=True)
class FocusView:
    """Everything the Stage tab shows for one focus."""

    focus: FocusInfo
    current: StageRecordInfo | None
    history: tuple[StageRecordInfo, ...]
    timeline: Timeline
    suggestions: FocusSuggestions
    decisions: tuple[DecisionInfo, ...]
    scores: tuple[ScoreSeries, ...]
    latest_proposal: tuple[int, Stage] | None  # a newer administration's proposal not yet recorded
    client_wording: str  # how the current stage reads for the client (practice wording)

    @property
    def instruments(self) -> tuple[str, ...]:
        """Instrument ids with a series, in first-seen order."""
        seen: list[str] = []
        for s in self.scores:
            if s.form_id not in seen:
                seen.append(s.form_id)
        return tuple(seen)


def _plotted_scores(form: object) -> list[tuple[str, str]]:
    """The scores worth a line: a derived headline (URICA readiness) if any, else the subscales."""
    derived = [(d.name, d.label) for d in getattr(form, "derived", ())]
    if derived:
        return derived
    return [(s.name, s.label) for s in getattr(form, "scores", ())]


def score_series(session: Session, client_id: int, focus_id: int) -> tuple[ScoreSeries, ...]:
    """Score lines, one per (instrument, score), from the completed administrations for the focus and
    those given without a focus (PHQ-9, GAD-7: they describe the client, so every focus shows them)."""
    done = [
        a
        for a in administrations.history(session, client_id=client_id)
        if a.focus_id is None or a.focus_id == focus_id
    ]
    points: dict[tuple[str, str], list[ScorePoint]] = {}
    meta: dict[tuple[str, str], tuple[str, str, float, float]] = {}
    for info in done:
        if info.result is None:
            continue
        form = administrations.form_for(session, info.id)
        when = (info.completed_at or info.started_at).astimezone().date()
        for name, label in _plotted_scores(form):
            value = info.result.scores.get(name)
            if value is None:
                continue
            key = (info.form_id, name)
            if key not in meta:
                try:
                    low, high = form.score_range(name)
                except Exception:  # a score without a theoretical range: use what was seen
                    low, high = float(value), float(value)
                meta[key] = (form.short_title, label, low, high)
            points.setdefault(key, []).append(ScorePoint(when, float(value), info.id))
    out = []
    for key, pts in points.items():
        title, label, low, high = meta[key]
        low = min(low, *(p.value for p in pts))
        high = max(high, *(p.value for p in pts))
        out.append(ScoreSeries(key[0], title, key[1], label, low, high, tuple(pts)))
    return tuple(out)


def load_focus_view(
    session: Session,
    library: InterventionLibrary,
    focus: FocusInfo,
    *,
    models: Iterable[InterventionModel] | None = None,
    until: dt.date | None = None,
) -> FocusView:
    """Read one focus's stage, timeline, suggestions, decisions and score lines."""
    records = tuple(stages.history(session, focus.id))
    current = records[-1] if records else None
    suggestions = stages.focus_suggestions(session, library, focus.id, models=models)
    latest: tuple[int, Stage] | None = None
    done = administrations.history(session, client_id=focus.client_id, focus_id=focus.id)
    with_stage = [a for a in done if a.result is not None and a.result.stage is not None]
    if with_stage:
        last = with_stage[-1]
        used = {r.administration_id for r in records}
        if last.id not in used and last.result is not None and last.result.stage is not None:
            latest = (last.id, last.result.stage)
    overrides = load_settings(session).client_stage_labels
    wording = "" if current is None else client_label(current.stage, overrides)
    return FocusView(
        focus=focus,
        current=current,
        history=records,
        timeline=stages.timeline(session, focus.id, until=until),
        suggestions=suggestions,
        decisions=tuple(stages.decisions(session, focus_id=focus.id)),
        scores=score_series(session, focus.client_id, focus.id),
        latest_proposal=latest,
        client_wording=wording,
    )
