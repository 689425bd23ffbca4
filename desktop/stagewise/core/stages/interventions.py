"""The intervention library: stage-matched suggestions kept as data in ``forms/interventions/*.toml``.

Each entry says what to do (a few lines, in the project's own words), which stages it fits, which model
it comes from (TTM processes of change, motivational interviewing as structured by SAMHSA TIP 35, SMART
Recovery tools described and cited, recovery-capital building) and where the idea comes from.  The
sources behind the shipped entries are listed in ``docs/interventions.md``; anything the sources did not
state is marked ``verified = false`` with a note saying what is unverified.  Screens cite an entry by its
author–year ``citation_short`` only.

Files are validated with pydantic; every problem is reported as ``file: field path: reason``.

A practice can keep its own library files in ``<data>/forms/interventions/*.toml``
(:func:`practice_interventions_dir`).  Those files use the same format and may also list
``disabled = ["id", …]``.  A practice entry whose id matches a shipped entry replaces it (so a practice
can reword an entry); a disabled id is left out of the library and of every suggestion.

Pure: no database, no Qt.  The instrument proposes, the clinician decides — suggestions are a menu, never
a plan (see ``stages.decide_intervention`` for how decisions are recorded).
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import ErrorDetails

from stagewise.core.errors import DataFileError, NotFoundError
from stagewise.core.models import Stage
from stagewise.core.paths import AppPaths, shipped_dir
from stagewise.core.text import short_citation

SCHEMA = "stagewise-interventions/1"
MAX_FILE_BYTES = 1_000_000
RECYCLING = "recycling"  # the ``transition`` of entries meant for after a move back a stage
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_ARROWS = ("→", "->")


class InterventionModel(enum.StrEnum):
    """Where an entry comes from."""

    TTM = "ttm"  # Transtheoretical Model processes of change (Prochaska, DiClemente & Norcross 1992)
    MI = "mi"  # motivational interviewing, structured by stage transition as in SAMHSA TIP 35 (2019)
    SMART = "smart"  # SMART Recovery 4-Point Program® tools, described and cited (never reproduced)
    RECOVERY_CAPITAL = "recovery_capital"  # building recovery capital (ARC / BARC-10 domains)

    @property
    def label(self) -> str:
        """A short technical label for clinician views."""
        return _MODEL_LABELS[self]


_MODEL_LABELS = {
    InterventionModel.TTM: "TTM process of change",
    InterventionModel.MI: "Motivational interviewing",
    InterventionModel.SMART: "SMART Recovery tool",
    InterventionModel.RECOVERY_CAPITAL: "Recovery capital",
}


@dataclass(frozen=True, slots=True)
class InterventionEntry:
    """One library entry.

    Attributes:
        id: stable identifier (``ttm.consciousness-raising``); decisions store it.
        title: short name shown in lists.
        summary: what to do, a few lines, in the project's own words.
        stages: the stages it fits; empty means "not stage-specific" (offered only on request).
        model: which model it comes from.
        rationale: why it fits those stages.
        source: the full citation text.
        citation_short: the author–year form shown on screens ("Prochaska et al. 1992").
        transition: the stage transition it serves (``"precontemplation→contemplation"``), or
            ``"recycling"`` for entries meant for after a move back a stage; None when not tied to one.
        source_url: where to read more (optional).
        verified: False when the stage mapping or a detail could not be checked against a source.
        notes: what is unverified, or other remarks for the clinician.
        notice: a copyright or licence notice to show with the entry (e.g. for SMART Recovery tools).
        category: a grouping within the model (``experiential``, ``Point 2`` …), optional.
        origin: ``"shipped"`` or the practice file's name.
        client_wording: what the client and clinician will do together, in plain, kind words for the
            client-facing summary (no model or process names); None in a practice file that has none.
    """

    id: str
    title: str
    summary: str
    stages: tuple[Stage, ...]
    model: InterventionModel
    rationale: str
    source: str
    citation_short: str = ""
    transition: str | None = None
    source_url: str | None = None
    verified: bool = True
    notes: str | None = None
    notice: str | None = None
    category: str | None = None
    origin: str = "shipped"
    client_wording: str | None = None

    @property
    def stage_specific(self) -> bool:
        """False for entries offered regardless of stage (e.g. social liberation)."""
        return bool(self.stages)

    @property
    def for_recycling(self) -> bool:
        """True for entries meant for after a move back a stage."""
        return self.transition == RECYCLING

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-ready dict (the shape ``stagewise interventions --json`` prints)."""
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "stages": [s.value for s in self.stages],
            "transition": self.transition,
            "model": self.model.value,
            "category": self.category,
            "rationale": self.rationale,
            "source": self.source,
            "citation_short": self.citation_short,
            "source_url": self.source_url,
            "verified": self.verified,
            "notes": self.notes,
            "notice": self.notice,
            "origin": self.origin,
            "client_wording": self.client_wording,
        }


# --------------------------------------------------------------------------------------------------------
# File schema (pydantic)


def _clean(text: str) -> str:
    """Collapse the indentation of TOML multi-line strings into plain paragraphs."""
    return " ".join(text.split())


class _Defaults(BaseModel):
    """Values every entry of the file inherits unless it sets its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: InterventionModel | None = None
    source: str | None = None
    citation_short: str | None = None
    source_url: str | None = None
    notice: str | None = None
    category: str | None = None
    verified: bool | None = None
    notes: str | None = None


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=1, max_length=200)
    client_wording: str | None = Field(default=None, min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=2000)
    stages: list[Stage]
    transition: str | None = None
    model: InterventionModel | None = None
    rationale: str = Field(min_length=1, max_length=2000)
    source: str | None = None
    citation_short: str | None = Field(default=None, min_length=1, max_length=120)
    source_url: str | None = None
    verified: bool | None = None
    notes: str | None = None
    notice: str | None = None
    category: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                "ids are 2–64 characters: lower-case letters, digits, '.', '_' or '-', starting with a "
                "letter or digit"
            )
        return value

    @field_validator("title", "summary", "rationale")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, value: list[Stage]) -> list[Stage]:
        if len(set(value)) != len(value):
            raise ValueError("a stage is listed twice")
        return sorted(value, key=lambda s: s.order)

    @field_validator("transition")
    @classmethod
    def _transition_shape(cls, value: str | None) -> str | None:
        if value is None or value == RECYCLING:
            return value
        for arrow in _ARROWS:
            if arrow in value:
                before, _, after = value.partition(arrow)
                try:
                    a, b = Stage(before.strip()), Stage(after.strip())
                except ValueError:
                    break
                if a == b:
                    raise ValueError("a transition goes between two different stages")
                return f"{a.value}→{b.value}"
        raise ValueError(
            f"a transition is 'recycling' or two stages joined by → (e.g. 'precontemplation→contemplation'), "
            f"not {value!r}"
        )

    @field_validator("source_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("a source URL starts with https:// or http://")
        return value


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: str = Field(alias="schema")
    defaults: _Defaults = _Defaults()
    intervention: list[_EntryModel] = []
    disabled: list[str] = []

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, value: str) -> str:
        if value != SCHEMA:
            raise ValueError(f"this version of Stagewise reads schema {SCHEMA!r}, not {value!r}")
        return value


# --------------------------------------------------------------------------------------------------------
# Errors


class InterventionFileError(DataFileError):
    """One intervention library file is invalid (see :class:`~stagewise.core.errors.DataFileError`)."""


class UnknownInterventionError(NotFoundError):
    """The asked-for intervention id is not in the library (or is disabled)."""


def _loc(loc: Sequence[int | str]) -> str:
    """pydantic location → ``intervention[4].stages[1]`` (positions counted from 1, as people count)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part in {"str", "int", "float", "bool", "list[str]"} or part.startswith(
            ("constrained-", "function-")
        ):
            continue
        else:
            name = "schema" if part == "schema_" else part
            out += f".{name}" if out else name
    return out or "$"


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see forms/interventions/README.md)"
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{error.get('input')!r} is not one of {expected}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else kind


# --------------------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """One validated file: its entries (defaults applied) and the ids it disables."""

    path: Path
    entries: tuple[InterventionEntry, ...]
    disabled: tuple[str, ...]


def parse_library_file(path: Path, *, origin: str = "shipped") -> LibraryFile:
    """Read and validate one library file.

    Args:
        path: the ``.toml`` file.
        origin: recorded on each entry (``"shipped"`` or the practice file's name).

    Raises:
        InterventionFileError: the file is unreadable, not TOML, or fails validation (every problem is
            listed with its field path).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InterventionFileError(path, [("$", f"cannot be read ({exc.strerror or exc})")]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise InterventionFileError(path, [("$", "the file is larger than 1 MB")])
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InterventionFileError(path, [("$", "the file is not UTF-8 text")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InterventionFileError(path, [("$", f"not valid TOML: {exc}")]) from exc
    try:
        model = _FileModel.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InterventionFileError(
            path, [(_loc(tuple(e["loc"])), _reason(e)) for e in exc.errors()]
        ) from exc
    entries: list[InterventionEntry] = []
    problems: list[tuple[str, str]] = []
    d = model.defaults
    seen: set[str] = set()
    for n, e in enumerate(model.intervention, start=1):
        where = f"intervention[{n}]"
        if e.id in seen:
            problems.append((f"{where}.id", f"the id {e.id!r} is used twice in this file"))
        seen.add(e.id)
        entry_model = e.model or d.model
        source = e.source or d.source
        verified = e.verified if e.verified is not None else (d.verified if d.verified is not None else True)
        notes = e.notes or d.notes
        if entry_model is None:
            problems.append((f"{where}.model", "this field is required (here or in [defaults])"))
        if source is None or not source.strip():
            problems.append((f"{where}.source", "every entry cites a source (here or in [defaults])"))
        if not verified and not (notes and notes.strip()):
            problems.append((f"{where}.notes", "an unverified entry needs notes saying what is unverified"))
        if not e.stages and e.transition not in (None, RECYCLING):
            problems.append((f"{where}.stages", "an entry for a transition names the stages it fits"))
        if problems or entry_model is None or source is None:
            continue
        entries.append(
            InterventionEntry(
                id=e.id,
                title=_clean(e.title),
                summary=_clean(e.summary),
                stages=tuple(e.stages),
                model=entry_model,
                rationale=_clean(e.rationale),
                source=_clean(source),
                citation_short=_clean(e.citation_short or d.citation_short or short_citation(_clean(source))),
                transition=e.transition,
                source_url=e.source_url or d.source_url,
                verified=verified,
                notes=_clean(notes) if notes else None,
                notice=_clean(e.notice or d.notice or "") or None,
                category=e.category or d.category,
                origin=origin,
                client_wording=_clean(e.client_wording) if e.client_wording else None,
            )
        )
    if problems:
        raise InterventionFileError(path, problems)
    return LibraryFile(path, tuple(entries), tuple(model.disabled))


def shipped_interventions_dir() -> Path:
    """The shipped library folder (``forms/interventions``)."""
    return shipped_dir("forms") / "interventions"


def practice_interventions_dir(paths: AppPaths | None = None) -> Path:
    """The practice's own library folder, ``<data>/forms/interventions`` (may not exist)."""
    return (paths or AppPaths.resolve()).data / "forms" / "interventions"


@dataclass(frozen=True, slots=True)
class InterventionLibrary:
    """The validated library: shipped entries, then practice additions, minus disabled ids.

    Attributes:
        entries: every enabled entry, in model order then file order.
        disabled: ids a practice file disabled (whether or not they existed).
    """

    entries: tuple[InterventionEntry, ...]
    disabled: frozenset[str] = field(default_factory=frozenset)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every enabled id."""
        return tuple(e.id for e in self.entries)

    def get(self, intervention_id: str) -> InterventionEntry:
        """The entry with this id.

        Raises:
            UnknownInterventionError: no enabled entry has this id.
        """
        for entry in self.entries:
            if entry.id == intervention_id:
                return entry
        if intervention_id in self.disabled:
            raise UnknownInterventionError(
                f"The intervention {intervention_id!r} is disabled in this practice's library."
            )
        raise UnknownInterventionError(f"There is no intervention {intervention_id!r} in the library.")

    def suggest(
        self,
        stage: Stage,
        *,
        models: Iterable[InterventionModel] | None = None,
        recycling: bool = False,
        include_general: bool = False,
    ) -> list[InterventionEntry]:
        """The entries matched to ``stage``, filtered by model.

        Args:
            stage: the clinician's current stage for the focus.
            models: keep only these models (None = all).
            recycling: the last move was back a stage; also offer the entries for recycling that fit
                ``stage`` (renewing the work without disappointment, SAMHSA TIP 35).
            include_general: also offer entries that are not stage-specific (e.g. social liberation).

        Returns:
            Matching entries, in model order (TTM, MI, SMART, recovery capital), then library order.
        """
        return suggest(self, stage, models=models, recycling=recycling, include_general=include_general)

    def filter(
        self, *, stage: Stage | None = None, models: Iterable[InterventionModel] | None = None
    ) -> list[InterventionEntry]:
        """Entries for a listing: every entry fitting ``stage`` (recycling ones included) and ``models``."""
        wanted = None if models is None else frozenset(models)
        return [
            e
            for e in self.entries
            if (wanted is None or e.model in wanted) and (stage is None or stage in e.stages)
        ]


def suggest(
    library: InterventionLibrary,
    stage: Stage,
    *,
    models: Iterable[InterventionModel] | None = None,
    recycling: bool = False,
    include_general: bool = False,
) -> list[InterventionEntry]:
    """The entries matched to ``stage`` (see :meth:`InterventionLibrary.suggest`)."""
    wanted = None if models is None else frozenset(models)
    out: list[InterventionEntry] = []
    for entry in library.entries:
        if wanted is not None and entry.model not in wanted:
            continue
        if not entry.stage_specific:
            if include_general:
                out.append(entry)
            continue
        if stage not in entry.stages:
            continue
        if entry.for_recycling and not recycling:
            continue
        out.append(entry)
    return out


_MODEL_ORDER = {m: i for i, m in enumerate(InterventionModel)}


def build_library(
    files: Sequence[LibraryFile], practice_files: Sequence[LibraryFile] = ()
) -> InterventionLibrary:
    """Combine validated files into one library.

    Shipped ids must be unique across shipped files; a practice entry replaces a shipped entry with the
    same id; practice ids must be unique across practice files; ``disabled`` ids are removed.

    Raises:
        InterventionFileError: an id is used twice among shipped files or among practice files.
    """
    merged: dict[str, InterventionEntry] = {}
    for group in (files, practice_files):
        seen_here: dict[str, Path] = {}
        for lf in group:
            for n, entry in enumerate(lf.entries, start=1):
                if entry.id in seen_here:
                    raise InterventionFileError(
                        lf.path,
                        [
                            (
                                f"intervention[{n}].id",
                                f"{entry.id!r} is already used in {seen_here[entry.id].name}",
                            )
                        ],
                    )
                seen_here[entry.id] = lf.path
                merged[entry.id] = entry
    disabled = frozenset(i for lf in (*files, *practice_files) for i in lf.disabled)
    ordered = sorted(
        (e for e in merged.values() if e.id not in disabled),
        key=lambda e: _MODEL_ORDER[e.model],
    )  # sorted() is stable: file order is kept within a model
    return InterventionLibrary(tuple(ordered), disabled)


def _toml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.toml") if p.is_file()) if folder.is_dir() else []


def load_interventions(
    extra_dirs: Iterable[Path] = (), *, shipped: Path | None = None, paths: AppPaths | None = None
) -> InterventionLibrary:
    """Load the shipped library plus the practice's own files.

    Args:
        extra_dirs: practice library folders; by default ``<data>/forms/interventions`` (if it exists).
        shipped: the shipped folder (tests only; default :func:`shipped_interventions_dir`).
        paths: where the practice folder is, when ``extra_dirs`` is empty.

    Raises:
        InterventionFileError: a file is malformed (the message names the file, field path and reason).
    """
    base = shipped if shipped is not None else shipped_interventions_dir()
    shipped_files = [parse_library_file(p) for p in _toml_files(base)]
    dirs = list(extra_dirs) or [practice_interventions_dir(paths)]
    practice_files = [
        parse_library_file(p, origin=p.name)
        for d in dirs
        if d.resolve() != base.resolve()
        for p in _toml_files(d)
    ]
    return build_library(shipped_files, practice_files)
