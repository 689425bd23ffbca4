"""Instrument files as data: schema, loader and the frozen :class:`Form` they load into.

Public API::

    from stagewise.core.instruments import load_library, load_form, Form, Library
    library = load_library()              # shipped instruments (+ practice folders)
    form = library.get("urica-32")
"""

from __future__ import annotations

from stagewise.core.instruments.loader import (
    FormFileError,
    Library,
    UnknownFormError,
    charts_for,
    instrument_files,
    load_form,
    load_library,
    parse_form,
    practice_forms_dir,
    shipped_instruments_dir,
    short_title,
)
from stagewise.core.instruments.model import (
    Band,
    BandSet,
    ChartSpec,
    Derived,
    Form,
    Item,
    ItemFlag,
    Licence,
    LicenceStatus,
    LoincCodes,
    NormRow,
    NormTable,
    ReferenceLine,
    ResponseOption,
    Scale,
    ScoreDef,
    ScoreMethod,
    ShadedBand,
    StageRule,
    StageRuleKind,
    StageSpec,
)

__all__ = [
    "Band",
    "BandSet",
    "ChartSpec",
    "Derived",
    "Form",
    "FormFileError",
    "Item",
    "ItemFlag",
    "Library",
    "Licence",
    "LicenceStatus",
    "LoincCodes",
    "NormRow",
    "NormTable",
    "ReferenceLine",
    "ResponseOption",
    "Scale",
    "ScoreDef",
    "ScoreMethod",
    "ShadedBand",
    "StageRule",
    "StageRuleKind",
    "StageSpec",
    "UnknownFormError",
    "charts_for",
    "instrument_files",
    "load_form",
    "load_library",
    "parse_form",
    "practice_forms_dir",
    "shipped_instruments_dir",
    "short_title",
]
