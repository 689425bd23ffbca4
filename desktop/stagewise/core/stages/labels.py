"""The stage table: technical names for clinicians, plain-language labels for clients, abbreviations, and the
one wording for "not staged for now".  Every screen, report and command takes its stage words from here.

A stage is a snapshot of readiness for one behaviour, not an identity, so the client-facing wording
describes where someone is with a change ("Thinking about change"), never who they are.  A practice may
reword any label; the practice settings keep the overrides as a ``client_stage_labels`` mapping from
stage value (or ``"not_staged"``) to text, and callers pass that mapping in here.

Pure: no database, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stagewise.core.enums import STAGE_ORDER, Stage
from stagewise.core.errors import UserInputError

NOT_STAGED = "not_staged"  # the key for "not staged for now" in label mappings
MAX_LABEL_LENGTH = 80


@dataclass(frozen=True, slots=True)
class StageWords:
    """How one stage (or "not staged for now", ``stage`` None) reads: the technical name clinicians see,
    the default plain wording clients see (a practice may reword it) and the abbreviation for tight spaces."""

    stage: Stage | None
    clinician: str
    client: str
    abbreviation: str

    @property
    def key(self) -> str:
        """The stage value, or ``"not_staged"`` (the keys of the practice's label overrides)."""
        return NOT_STAGED if self.stage is None else self.stage.value


# THE stage table: the five stages in TTM order (precontemplation first; the order is the enum's, see
# ``Stage.order``), then "not staged for now".  Technical names: Prochaska, DiClemente & Norcross (1992).
STAGE_TABLE: tuple[StageWords, ...] = (
    StageWords(Stage.PRECONTEMPLATION, "Precontemplation", "Not yet sure change is needed", "PC"),
    StageWords(Stage.CONTEMPLATION, "Contemplation", "Thinking about change", "C"),
    StageWords(Stage.PREPARATION, "Preparation", "Getting ready to change", "P"),
    StageWords(Stage.ACTION, "Action", "Making changes", "A"),
    StageWords(Stage.MAINTENANCE, "Maintenance", "Keeping changes going", "M"),
    StageWords(None, "Not staged for now", "Taking a pause from stage check-ins", "—"),
)
if [w.stage for w in STAGE_TABLE[:-1]] != sorted(Stage, key=STAGE_ORDER.__getitem__):  # pragma: no cover
    raise RuntimeError("the stage table must list every stage once, in TTM order")

# A questionnaire that assigns no stage (PHQ-9, BARC-10, …) has proposed nothing: that is not a pause.
NO_INSTRUMENT_STAGE = "No stage"

_BY_KEY: Mapping[str, StageWords] = {w.key: w for w in STAGE_TABLE}
DEFAULT_CLIENT_LABELS: Mapping[str, str] = {w.key: w.client for w in STAGE_TABLE}
CLINICIAN_LABELS: Mapping[str, str] = {w.key: w.clinician for w in STAGE_TABLE}
CLINICIAN_NAMES: Mapping[Stage, str] = {w.stage: w.clinician for w in STAGE_TABLE if w.stage is not None}
NOT_STAGED_WORDING = _BY_KEY[NOT_STAGED].clinician  # the one wording: "Not staged for now"


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


def abbreviation(stage: Stage | None) -> str:
    """``PC``, ``C``, ``P``, ``A``, ``M`` (the TTM literature's usual abbreviations); ``—`` for not staged."""
    return _BY_KEY[_key(stage)].abbreviation


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
