"""Note templates (SOAP, DAP, BIRP, free text, treatment plan, and a practice's own) as validated data.

A template is a TOML file (format: ``forms/templates/README.md``).  Files are validated with pydantic when
loaded; any mistake raises :class:`~stagewise.core.errors.FormError` naming the file, the path of the
offending key (``fields[2].kind``) and the reason.  Loading returns frozen dataclasses only.
"""

from __future__ import annotations

import datetime as dt
import enum
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stagewise.core.errors import FormError, NotFoundError
from stagewise.core.paths import AppPaths, shipped_dir

ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
SHIPPED_IDS = ("soap", "dap", "birp", "free_text", "treatment_plan")


class FieldKind(enum.StrEnum):
    TEXT = "text"  # one line
    MULTILINE = "multiline"
    DATE = "date"  # YYYY-MM-DD
    LIST = "list"  # one item per line


@dataclass(frozen=True, slots=True)
class TemplateField:
    id: str
    label: str
    kind: FieldKind
    required: bool = False
    help: str = ""
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    version: str
    title: str
    fields: tuple[TemplateField, ...]
    description: str = ""
    source: str = ""  # the file it came from (for messages)

    def field(self, field_id: str) -> TemplateField:
        """The field with ``field_id`` (KeyError if absent)."""
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def empty_fields(self) -> dict[str, str]:
        """A new note's fields: every field id mapped to an empty string, in display order."""
        return {f.id: "" for f in self.fields}

    def missing_required(self, values: Mapping[str, str]) -> list[TemplateField]:
        """Required fields whose value is empty or only whitespace, in display order."""
        return [f for f in self.fields if f.required and not str(values.get(f.id, "")).strip()]

    def invalid_dates(self, values: Mapping[str, str]) -> list[TemplateField]:
        """Filled ``date`` fields that do not hold a real YYYY-MM-DD date."""
        bad = []
        for f in self.fields:
            value = str(values.get(f.id, "")).strip()
            if f.kind is FieldKind.DATE and value:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    bad.append(f)
        return bad


@dataclass(frozen=True, slots=True)
class TemplateLibrary:
    """Every loaded template, by id, in menu order (shipped first, then the practice's own)."""

    templates: tuple[Template, ...]

    def get(self, template_id: str) -> Template:
        """The template with ``template_id``.

        Raises:
            NotFoundError: no such template is installed.
        """
        for t in self.templates:
            if t.id == template_id:
                return t
        raise NotFoundError(
            f"There is no note template {template_id!r}; choose one of: {', '.join(self.ids())}."
        )

    def find(self, template_id: str) -> Template | None:
        """The template with ``template_id``, or None."""
        return next((t for t in self.templates if t.id == template_id), None)

    def ids(self) -> list[str]:
        return [t.id for t in self.templates]

    def __iter__(self) -> Iterator[Template]:
        return iter(self.templates)

    def __len__(self) -> int:
        return len(self.templates)

    def __contains__(self, template_id: object) -> bool:
        return any(t.id == template_id for t in self.templates)


# --------------------------------------------------------------------------------------------------------
# File schema


class _FieldModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=200)
    kind: Literal["text", "multiline", "date", "list"]
    required: bool = False
    help: str = ""
    placeholder: str = ""


class _TemplateModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z.\-]+$")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    fields: list[_FieldModel] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _unique_ids(cls, value: list[_FieldModel]) -> list[_FieldModel]:
        seen: set[str] = set()
        for f in value:
            if f.id in seen:
                raise ValueError(f"field id {f.id!r} is used twice")
            seen.add(f.id)
        return value


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def parse_template(text: str, source: str) -> Template:
    """Validate one template file's text.

    Args:
        text: the TOML source.
        source: the file name, used in messages.

    Raises:
        FormError: "<source>: <key path>: <reason>".
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormError(f"{source}: not valid TOML: {exc}") from exc
    try:
        model = _TemplateModel.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        reason = str(err["msg"])
        if err["type"] == "extra_forbidden":
            reason = "unknown key (check the spelling)"
        elif err["type"] == "missing":
            reason = "required key is missing"
        raise FormError(f"{source}: {_loc(tuple(err['loc']))}: {reason}") from exc
    return Template(
        id=model.id,
        version=model.version,
        title=model.title,
        description=model.description,
        source=source,
        fields=tuple(
            TemplateField(f.id, f.label, FieldKind(f.kind), f.required, f.help, f.placeholder)
            for f in model.fields
        ),
    )


def load_template(path: Path) -> Template:
    """Read and validate one template file (FormError names the file on any problem)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(f"{path.name}: cannot be read ({type(exc).__name__})") from exc
    return parse_template(text, path.name)


def practice_template_dir(paths: AppPaths) -> Path:
    """Where a practice keeps its own templates: ``<data>/forms/templates``."""
    return paths.data / "forms" / "templates"


def load_templates(extra_dirs: Iterable[Path] = ()) -> TemplateLibrary:
    """Load the shipped templates, then every ``*.toml`` in ``extra_dirs`` (missing folders are skipped).

    Raises:
        FormError: a file is malformed, or two files define the same template id.
    """
    found: list[Template] = []
    where: dict[str, str] = {}
    folders = [shipped_dir("forms") / "templates", *(Path(d) for d in extra_dirs)]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            template = load_template(path)
            if template.id in where:
                raise FormError(
                    f"{path.name}: id: template id {template.id!r} is already defined by "
                    f"{where[template.id]}; give the practice's template its own id"
                )
            where[template.id] = path.name
            found.append(template)
    order = {tid: i for i, tid in enumerate(SHIPPED_IDS)}
    found.sort(key=lambda t: (order.get(t.id, len(order)),))  # stable: practice templates keep file order
    return TemplateLibrary(tuple(found))


def default_templates(paths: AppPaths | None = None) -> TemplateLibrary:
    """Shipped templates plus the practice's own from ``<data>/forms/templates``."""
    paths = paths if paths is not None else AppPaths.resolve()
    return load_templates((practice_template_dir(paths),))
