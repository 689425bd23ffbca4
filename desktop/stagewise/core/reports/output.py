"""How a report left the practice file, and the audit event that says so.

A report is recorded for what actually happened to it, when it happened:

* ``view``: made in memory and shown on screen (the in-app preview); nothing printed or saved.
* ``print``: sent to a printer; recorded once the printer has taken every page, never before.
* ``export``: written to a file; recorded in the transaction that writes it.

The ``write_*`` report functions take ``action``: one of these (the event joins the caller's transaction),
or None to render only.  Rendering only is for printing: the caller prints, then records the print with
:func:`record_output` and the :class:`ReportEvent` the render returned.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit


class Output(enum.StrEnum):
    """What happened to a report (the audit action recorded)."""

    VIEW = "view"
    PRINT = "print"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class ReportEvent:
    """The audit event a report records: what it is about and its ids and counts (never client data)."""

    entity: str
    entity_id: str | int | None
    details: Mapping[str, Any]


def output_of(action: Output | str | None) -> Output | None:
    """``action`` checked: an :class:`Output`, or None (render only).

    Raises:
        ValueError: not ``"view"``, ``"print"`` or ``"export"``.
    """
    if action is None:
        return None
    try:
        return Output(action)
    except ValueError:
        raise ValueError("action must be 'view', 'print', 'export' or None") from None


def record_output(session: Session, actor: str | None, action: Output | str, event: ReportEvent) -> None:
    """Record that a report was viewed, printed or saved (in ``session``'s transaction)."""
    output = output_of(action)
    if output is None:
        raise ValueError("a report output needs an action")
    audit.record(session, actor, output.value, event.entity, event.entity_id, dict(event.details))
