"""Interchange sections: how one array of records on each client is exported, validated and imported.

The shipped sections are a fixed list (:data:`stagewise.core.interchange.format.SECTIONS`); tests and
extensions may add one at run time with :func:`register_section`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

Problem = tuple[str, str]  # (JSON path, reason)

CLIENT_FIELDS = (
    "chart_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "status",
    "clinician",
    "created_at",
    "discharged_at",
    "focuses",
)

# --------------------------------------------------------------------------------------------------------
# Sections: the extension mechanism


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What a section's ``export`` may need to write one client's records."""

    client_id: int
    chart_number: str
    usernames: Mapping[int, str]  # user id → user name (ids never leave the practice)
    focus_keys: Mapping[int, str]  # this client's focus id → focus key (the file's focus "id")
    # Scratch space for this client, shared by the sections in order (e.g. administrations put the file
    # ids they gave each administration here for stage records to refer to).
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """What a section's ``validate`` may check references against (no database access needed)."""

    chart_number: str | None  # this client's, if valid
    focus_keys: frozenset[str]  # the focus ids this client's entry declares
    usernames: frozenset[str]  # accounts in the practice being imported into
    # Scratch space for this client, shared by the sections in order (e.g. the administration ids this
    # entry declares, for the stage records section to check references against).
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportContext:
    """Lookups for a section's ``import_``: the client exists, with every focus of its entry."""

    actor: str | None
    client_id: int
    chart_number: str
    user_ids: Mapping[str, int]
    focus_ids: Mapping[str, int]
    # Scratch space for this client, shared by the sections in import order (e.g. file administration
    # id → database id, written by the administrations section, read by the stage records section).
    shared: dict[str, Any] = field(default_factory=dict)

    def user_id(self, username: str | None) -> int | None:
        """The id of ``username`` (validated beforehand, so it exists); None for None."""
        return None if username is None else self.user_ids[username]

    def focus_id(self, key: str) -> int:
        """The id of this client's focus ``key`` (validated beforehand, so it exists)."""
        return self.focus_ids[key]


ExportFn = Callable[[Session, ExportContext], list[Any]]
ValidateFn = Callable[[Any, str, ValidationContext], list[Problem]]
ImportFn = Callable[[Session, ImportContext, Any], int]


@dataclass(frozen=True, slots=True)
class Section:
    """One array of records on each client.

    Attributes:
        name: the client key (``"administrations"``).
        export: ``(session, ctx) -> list`` of JSON values for ``ctx.client_id``, in a deterministic order.
        validate: ``(value, path, ctx) -> problems``; ``path`` is the section's JSON path
            (``$.clients[3].notes``).  Must not write.  Only called when the key is present.
        import_: ``(session, ctx, value) -> records created``; only called on a valid document.
        order: import order among sections (lower first); export writes sections in the same order.
    """

    name: str
    export: ExportFn
    validate: ValidateFn
    import_: ImportFn
    order: int = 100


class SectionRegistry:
    """The sections an import or export uses."""

    def __init__(self, sections: Iterable[Section] = ()) -> None:
        self._sections: dict[str, Section] = {}
        for section in sections:
            self.register(section)

    def register(self, section: Section) -> None:
        """Add a section (its name must not be a client field or another section's)."""
        if section.name in CLIENT_FIELDS:
            raise ValueError(f"section name {section.name!r} is a client field")
        existing = self._sections.get(section.name)
        if existing is not None and existing != section:
            raise ValueError(f"section {section.name!r} is registered twice")
        self._sections[section.name] = section

    @property
    def sections(self) -> tuple[Section, ...]:
        """In import (and export) order."""
        return tuple(sorted(self._sections.values(), key=lambda s: (s.order, s.name)))

    def names(self) -> frozenset[str]:
        return frozenset(self._sections)


_RUNTIME_SECTIONS: list[Section] = []  # changed only by register_section/unregister_section


def runtime_sections() -> tuple[Section, ...]:
    """The sections added by :func:`register_section`."""
    return tuple(_RUNTIME_SECTIONS)


def register_section(
    name: str, export: ExportFn, validate: ValidateFn, import_: ImportFn, *, order: int = 100
) -> Section:
    """Add a section to every registry :func:`~stagewise.core.interchange.format.default_registry` builds
    from now on."""
    section = Section(name, export, validate, import_, order)
    SectionRegistry([*_RUNTIME_SECTIONS, section])  # checks the name
    if section not in _RUNTIME_SECTIONS:
        _RUNTIME_SECTIONS.append(section)
    return section


def unregister_section(name: str) -> None:
    """Remove a section added by :func:`register_section` (for tests)."""
    _RUNTIME_SECTIONS[:] = [s for s in _RUNTIME_SECTIONS if s.name != name]
