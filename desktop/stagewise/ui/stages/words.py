"""Words for the stage screens: technical stage names (clinician views), bases, decisions, models, moves.

Kept apart from ``labels.py`` (another screen's module); the core's :mod:`stagewise.core.stages.labels`
holds the canonical technical names and the client-facing wording, and this module only translates.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from stagewise.core.enums import DecisionKind, Stage, StageBasis
from stagewise.core.stages.interventions import InterventionModel
from stagewise.core.stages.labels import NOT_STAGED_WORDING, abbreviation, clinician_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("stage_labels", text)


def stage(value: Stage | None) -> str:
    """The technical name for clinician views; None → "Not staged for now"."""
    return _tr(clinician_label(value))


def stage_short(value: Stage | None) -> str:
    """The stage table's abbreviation (``PC`` … ``M``; ``—`` for not staged)."""
    return _tr(abbreviation(value))


def basis(value: StageBasis) -> str:
    names = {
        StageBasis.INSTRUMENT: _tr("as proposed by the questionnaire"),
        StageBasis.OVERRIDE: _tr("clinician's stage (differs from the proposal)"),
        StageBasis.CLINICAL_JUDGEMENT: _tr("clinical judgement"),
        StageBasis.NOT_STAGED: _tr(NOT_STAGED_WORDING.lower()),
    }
    return names[StageBasis(value)]


def decision(value: DecisionKind) -> str:
    names = {
        DecisionKind.ACCEPTED: _tr("Accepted"),
        DecisionKind.DECLINED: _tr("Declined"),
        DecisionKind.ADDED: _tr("Added (own)"),
    }
    return names[DecisionKind(value)]


def model(value: InterventionModel | None) -> str:
    if value is None:
        return _tr("Own intervention")
    return _tr(InterventionModel(value).label)


def model_short(value: InterventionModel) -> str:
    names = {
        InterventionModel.TTM: "TTM",
        InterventionModel.MI: "MI",
        InterventionModel.SMART: "SMART",
        InterventionModel.RECOVERY_CAPITAL: _tr("Recovery capital"),
    }
    return names[InterventionModel(value)]


def direction(value: str | None) -> str:
    """A record's move relative to the previous stage; a move back is ordinary, said plainly."""
    names = {
        "forward": _tr("moved forward"),
        "backward": _tr("moved back (recycling)"),
        "same": _tr("same stage (confirmed)"),
    }
    return names.get(value or "", "")


RECYCLING_LEGEND = "moved back (recycling)"
OVERRIDE_LEGEND = "differs from the proposed stage"
NOT_STAGED_SPAN = NOT_STAGED_WORDING.lower()  # the words on a hatched span of the timeline
PAUSED_LEGEND = f"{NOT_STAGED_SPAN} (reminders paused)"
DECISION_LEGEND = "intervention decision"


def legend(text: str) -> str:
    return _tr(text)
