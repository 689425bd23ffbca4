"""Plugs notes into the practice interchange file as each client's ``notes`` array.

Listed in :data:`stagewise.core.interchange.format.SECTIONS` through ``INTERCHANGE_SECTIONS``; the
work is done by :func:`~stagewise.core.notes.chain.export_client_notes`,
:func:`~stagewise.core.notes.chain.validate_client_notes` and
:func:`~stagewise.core.notes.chain.import_client_notes` (shape and hash rules: ``docs/notes.md``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stagewise.core.interchange.sections import (
    ExportContext,
    ImportContext,
    Problem,
    Section,
    ValidationContext,
)
from stagewise.core.notes.chain import export_client_notes, import_client_notes, validate_client_notes
from stagewise.core.notes.templates import default_templates


def _export(session: Session, ctx: ExportContext) -> list[Any]:
    return list(export_client_notes(session, ctx.client_id))


def _validate(value: Any, path: str, ctx: ValidationContext) -> list[Problem]:
    return validate_client_notes(value, path, usernames=set(ctx.usernames), templates=default_templates())


def _import(session: Session, ctx: ImportContext, value: Any) -> int:
    return import_client_notes(
        session, ctx.client_id, value, user_ids=ctx.user_ids, actor=ctx.actor, templates=default_templates()
    )


# Notes refer to users only (links to administrations are not exported), so they may import last.
INTERCHANGE_SECTIONS = (Section("notes", _export, _validate, _import, order=50),)
