"""The pydantic schema of an instrument file (``forms/instruments/*.toml``).

This module checks *shape* (fields, types, allowed words); :mod:`stagewise.core.instruments.loader` then
checks
*meaning* (references between sections, expressions, band coverage) and builds the frozen
:class:`~stagewise.core.instruments.model.Form`.  The format is documented for people in ``forms/README.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)
from pydantic.types import Strict

Num = StrictInt | Annotated[float, Strict(), AllowInfNan(False)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ItemId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}[a-z]?$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Version = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+){0,3}$")]
Loinc = Annotated[str, StringConstraints(pattern=r"^(LA)?[0-9]{1,6}-[0-9]$")]
StageName = Literal["precontemplation", "contemplation", "preparation", "action", "maintenance"]
# What an instrument is about: one behaviour focus (URICA, AUDIT …) or the client as a whole (PHQ-9, GAD-7).
Subject = Literal["focus", "client"]
LicenceStatus = Literal["public_domain", "free_with_attribution", "non_commercial", "permission_unverified"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LicenceModel(_Strict):
    status: LicenceStatus
    commercial_use_allowed: StrictBool | None = None
    attribution: Text
    source: Text
    note: Text | None = None


class LoincModel(_Strict):
    panel: Loinc | None = None
    total: Loinc | None = None
    total_score: Name | None = None
    third_party_only: list[Loinc] = []
    note: Text | None = None


class OptionModel(_Strict):
    value: Num
    label: str = Field(max_length=400)
    loinc: Loinc | None = None


class ScaleModel(_Strict):
    id: Name
    orientation: Literal["ascending", "descending"] = "ascending"
    options: list[OptionModel] = Field(min_length=2, max_length=101)


class ItemFlagModel(_Strict):
    name: Name
    at_least: Num
    message: Text


class ItemModel(_Strict):
    id: ItemId
    text: Text
    scale: Name
    scored: StrictBool = True
    optional: StrictBool = False
    loinc: Loinc | None = None
    flag: ItemFlagModel | None = None
    note: Text | None = None


class MissingRuleModel(_Strict):
    rule: Name
    max_missing: StrictInt = Field(ge=1)
    description: Text


class ScoreModel(_Strict):
    name: Name
    label: Text
    items: list[ItemId] = Field(min_length=1)
    method: Literal["sum", "mean"]
    reverse: list[ItemId] = []
    missing: MissingRuleModel | None = None


class DerivedModel(_Strict):
    name: Name
    label: Text
    expression: Text


class BandRangeModel(_Strict):
    min: Num
    max: Num
    label: Text
    flag: Name | None = None
    message: Text | None = None


class BandsModel(_Strict):
    score: Name
    variant: Literal["male", "female", "unspecified"] | None = None
    source: Text
    ranges: list[BandRangeModel] = Field(min_length=1)


class NormRowModel(_Strict):
    min: Num
    max: Num
    value: Num
    label: Text


class NormsModel(_Strict):
    score: Name
    output: Name
    label: Text
    source: Text
    population: Text
    rows: list[NormRowModel] = Field(min_length=1)


class ThresholdModel(_Strict):
    at_least: Num
    stage: StageName


class StageRuleModel(_Strict):
    id: Name
    kind: Literal["nearest_group_mean", "thresholds", "highest_scale"]
    description: Text
    unverified: StrictBool = False
    score: Name | None = None
    anchors: dict[StageName, Num] = {}
    thresholds: list[ThresholdModel] = []
    scales: dict[Name, StageName] = {}


class StageModel(_Strict):
    default: Name
    option: Literal["urica_stage_rule"] | None = None
    rules: list[StageRuleModel] = Field(min_length=1)


class ReferenceLineModel(_Strict):
    value: Num
    label: Text


class ChartModel(_Strict):
    title: Text | None = None
    scores: list[Name] = Field(min_length=1, max_length=6)
    axes: list[tuple[Num, Num]] = []
    shade: Name | None = None
    shade_groups: list[list[Num]] = []
    shade_labels: list[Annotated[str, StringConstraints(min_length=1, max_length=60)]] = []
    references: list[ReferenceLineModel] = []
    note: Text | None = None


class PresentationModel(_Strict):
    charts: list[ChartModel] = Field(min_length=1, max_length=8)


class FormModel(_Strict):
    id: Id
    version: Version
    scoring_version: Version
    title: Text
    short_title: Text
    order: StrictInt = 100
    subject: Subject = "focus"
    citation: Text
    # Author–year form shown on screens ("Kroenke et al. 2001"); derived from ``citation`` if absent.
    citation_short: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    # Legacy (files from before citation_short): accepted so stored snapshots still load; never shown.
    reference: Text | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
    instructions: Text
    client_instructions: Text
    behaviour_default: Text | None = None
    no_stage_note: Text | None = None
    result_notes: list[Text] = []
    wording_notes: list[Text] = []
    unverified: list[Text] = []
    scoring_unverified: StrictBool = False
    rules: list[Name] = []
    optional_rules: list[Name] = []
    licence: LicenceModel
    loinc: LoincModel = LoincModel()
    scales: list[ScaleModel] = Field(min_length=1)
    items: list[ItemModel] = Field(min_length=1, max_length=200)
    scores: list[ScoreModel] = Field(min_length=1)
    derived: list[DerivedModel] = []
    bands: list[BandsModel] = []
    norms: list[NormsModel] = []
    stage: StageModel | None = None
    presentation: PresentationModel | None = None
