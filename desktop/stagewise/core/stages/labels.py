"""Stage names: plain-language labels for clients, technical names for clinicians.

A stage is a snapshot of readiness for one behaviour, not an identity, so the client-facing wording
describes where someone is with a change ("Thinking about change"), never who they are.  A practice may
reword any label; the practice settings keep the overrides as a ``client_stage_labels`` mapping from
stage value (or ``"not_staged"``) to text, and callers pass that mapping in here.

Pure: no database, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stagewise.core.errors import UserInputError
from stagewise.core.models import Stage

NOT_STAGED = "not_staged"  # the key for "not staged for now" in label mappings
MAX_LABEL_LENGTH = 80

DEFAULT_CLIENT_LABELS: Mapping[str, str] = {
    Stage.PRECONTEMPLATION.value: "Not yet sure change is needed",
    Stage.CONTEMPLATION.value: "Thinking about change",
    Stage.PREPARATION.value: "Getting ready to change",
    Stage.ACTION.value: "Making changes",
    Stage.MAINTENANCE.value: "Keeping changes going",
    NOT_STAGED: "Taking a pause from stage check-ins",
}

# Technical names for clinician views (Prochaska, DiClemente & Norcross 1992).
CLINICIAN_LABELS: Mapping[str, str] = {
    Stage.PRECONTEMPLATION.value: "Precontemplation",
    Stage.CONTEMPLATION.value: "Contemplation",
    Stage.PREPARATION.value: "Preparation",
    Stage.ACTION.value: "Action",
    Stage.MAINTENANCE.value: "Maintenance",
    NOT_STAGED: "Not staged for now",
}


def _key(stage: Stage | None) -> str:
    return NOT_STAGED if stage is None else Stage(stage).value


def client_label(stage: Stage | None, overrides: Mapping[Any, str] | None = None) -> str:
    """The plain-language label a client sees for ``stage`` (None = not staged for now).

    Args:
        stage: the stage, or None for "not staged for now".
        overrides: the practice's wording (stage or stage value, or ``"not_staged"`` → text); blank values and
            unknown keys are ignored, so a damaged setting can never hide a stage.

    Returns:
        The practice's label if it set one, else the default.
    """
    key = _key(stage)
    if overrides:
        text = overrides.get(key)
        if isinstance(text, str) and text.strip():
            return " ".join(text.split())
    return DEFAULT_CLIENT_LABELS[key]


def clinician_label(stage: Stage | None) -> str:
    """The technical name a clinician sees ("Precontemplation", … "Not staged for now")."""
    return CLINICIAN_LABELS[_key(stage)]


def client_labels(overrides: Mapping[Any, str] | None = None) -> dict[str, str]:
    """Every client-facing label (five stages, then not staged), with the practice's overrides applied."""
    return {
        key: client_label(None if key == NOT_STAGED else Stage(key), overrides)
        for key in DEFAULT_CLIENT_LABELS
    }


def validate_label_overrides(overrides: Mapping[str, object]) -> dict[str, str]:
    """Check a practice's label overrides before they are saved.

    Args:
        overrides: stage value or ``"not_staged"`` → label text.

    Returns:
        The cleaned mapping (whitespace collapsed, blank entries dropped: a blank means "use the default").

    Raises:
        UserInputError: an unknown key, a label that is not text, or one longer than 80 characters.
    """
    cleaned: dict[str, str] = {}
    for key, text in overrides.items():
        if key not in DEFAULT_CLIENT_LABELS:
            known = ", ".join(DEFAULT_CLIENT_LABELS)
            raise UserInputError(f"{key!r} is not a stage; labels can be set for: {known}.")
        if not isinstance(text, str):
            raise UserInputError(f"The label for {key} must be text.")
        text = " ".join(text.split())
        if len(text) > MAX_LABEL_LENGTH:
            raise UserInputError(
                f"The label for {key} is {len(text)} characters long; keep it under {MAX_LABEL_LENGTH}."
            )
        if text:
            cleaned[key] = text
    return cleaned
