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
from stagewise.core.instruments.loader import charts_for
from stagewise.core.instruments.model import ChartSpec, ReferenceLine, ShadedBand
from stagewise.core.reports.geometry import score_axis
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
    """One score over time (e.g. URICA readiness), drawn on one of its instrument's charts.

    ``low``/``high`` is the chart's axis for the values shown; ``bands`` and ``references`` are the chart's
    (every line of a chart carries the same), all from the instrument file's ``[presentation]``.
    """

    form_id: str
    instrument: str  # the chart's title ("URICA readiness score")
    score: str  # score name ("readiness")
    label: str  # "Readiness (C + A + M − PC)"
    low: float
    high: float
    points: tuple[ScorePoint, ...]
    chart: str = ""  # "urica-32" for an instrument's first chart, "urica-32#2" for its second
    bands: tuple[ShadedBand, ...] = ()
    references: tuple[ReferenceLine, ...] = ()


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
    def charts(self) -> tuple[tuple[str, str], ...]:
        """(chart key, chart title) of every chart with a line, in first-seen order."""
        seen: dict[str, str] = {}
        for s in self.scores:
            seen.setdefault(s.chart, s.instrument)
        return tuple(seen.items())


def chart_key(form_id: str, index: int) -> str:
    """``urica-32`` for an instrument's first chart, ``urica-32#2`` for its second, …"""
    return form_id if index == 0 else f"{form_id}#{index + 1}"


def score_series(session: Session, client_id: int, focus_id: int) -> tuple[ScoreSeries, ...]:
    """Score lines, one per (chart, score) of each instrument's ``[presentation]`` charts, from the completed
    administrations for the focus and those given without a focus (PHQ-9, GAD-7: they describe the client,
    so every focus shows them)."""
    done = [
        a
        for a in administrations.history(session, client_id=client_id)
        if a.focus_id is None or a.focus_id == focus_id
    ]
    charts: dict[str, tuple[str, ChartSpec]] = {}
    points: dict[tuple[str, str], list[ScorePoint]] = {}
    specs: dict[str, tuple[ChartSpec, ...]] = {}
    for info in done:
        if info.result is None:
            continue
        if info.form_id not in specs:
            specs[info.form_id] = charts_for(info.form_id, administrations.form_for(session, info.id))
        when = (info.completed_at or info.started_at).astimezone().date()
        for index, spec in enumerate(specs[info.form_id]):
            key = chart_key(info.form_id, index)
            charts.setdefault(key, (info.form_id, spec))
            for name, _label in spec.scores:
                value = info.result.scores.get(name)
                if value is not None:
                    points.setdefault((key, name), []).append(ScorePoint(when, float(value), info.id))
    out = []
    for key, (form_id, spec) in charts.items():
        lines = [(name, label, points[(key, name)]) for name, label in spec.scores if (key, name) in points]
        values = [p.value for _n, _l, pts in lines for p in pts]
        low, high = score_axis(spec.axis_for(values), values)
        for name, label, pts in lines:
            out.append(
                ScoreSeries(
                    form_id, spec.title, name, label, low, high, tuple(pts), key, spec.bands, spec.references
                )
            )
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
