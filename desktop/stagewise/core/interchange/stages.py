"""Stage records and intervention decisions in the interchange format.

Listed in :data:`stagewise.core.interchange.format.SECTIONS` through ``INTERCHANGE_SECTIONS``.  Stage
records import after administrations (order 20) and before the
intervention decisions that link to them.  The record shapes are documented in ``docs/interchange.md``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stagewise.core.interchange import stage_records as stages
from stagewise.core.interchange.sections import (
    ExportContext,
    ImportContext,
    Problem,
    Section,
    ValidationContext,
)


def _client_path(path: str, section: str) -> str:
    suffix = f".{section}"
    return path[: -len(suffix)] if path.endswith(suffix) else path


def _exporter(section: str) -> Any:
    def export(session: Session, ctx: ExportContext) -> list[Any]:
        return list(stages.export_client_sections(session, ctx.client_id)[section])

    return export


def _validator(section: str) -> Any:
    def validate(value: Any, path: str, ctx: ValidationContext) -> list[Problem]:
        return stages.validate_client_sections(
            {section: value},
            _client_path(path, section),
            focus_keys=set(ctx.focus_keys),
            usernames=set(ctx.usernames),
        )

    return validate


def _importer(section: str) -> Any:
    def import_(session: Session, ctx: ImportContext, value: Any) -> int:
        records, decisions = stages.import_client_sections(
            session,
            ctx.client_id,
            {section: value},
            focus_ids=dict(ctx.focus_ids),
            user_ids=dict(ctx.user_ids),
            actor=ctx.actor,
        )
        return records + decisions

    return import_


INTERCHANGE_SECTIONS = (
    Section(
        "stage_records",
        _exporter("stage_records"),
        _validator("stage_records"),
        _importer("stage_records"),
        order=30,
    ),
    Section(
        "intervention_decisions",
        _exporter("intervention_decisions"),
        _validator("intervention_decisions"),
        _importer("intervention_decisions"),
        order=40,
    ),
)
