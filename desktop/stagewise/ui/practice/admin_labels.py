"""Administration categories → translatable words (the questionnaire screens' part of ``labels``)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication

from stagewise.core.enums import AdministrationMode, AdministrationStatus
from stagewise.ui.clients.client_list import format_date


def _tr(text: str) -> str:
    return QCoreApplication.translate("admin_labels", text)


def mode(value: AdministrationMode | str) -> str:
    names = {
        AdministrationMode.CLINICIAN: _tr("Entered by clinician"),
        AdministrationMode.CLIENT: _tr("Answered by client"),
    }
    return names.get(AdministrationMode(value), str(value))


def status(value: AdministrationStatus | str) -> str:
    names = {
        AdministrationStatus.IN_PROGRESS: _tr("In progress"),
        AdministrationStatus.COMPLETE: _tr("Completed"),
        AdministrationStatus.VOIDED: _tr("Voided"),
    }
    return names.get(AdministrationStatus(value), str(value))


def risk_flag(flag: str) -> str:
    """A flag code in words for the clinician (never shown to the client)."""
    names = {"phq9_item9_positive": _tr("PHQ-9 item 9 (thoughts of self-harm) answered above 'Not at all'")}
    return names.get(flag, _tr("Risk item answered") + f" ({flag.replace('_', ' ')})")


def overdue(days: int) -> str:
    """How a due date stands today: "180 days overdue", "Due today", "Due tomorrow", "Due in 3 days"."""
    if days == 1:
        return _tr("1 day overdue")
    if days > 1:
        return _tr("%n days overdue").replace("%n", str(days))
    if days == 0:
        return _tr("Due today")
    if days == -1:
        return _tr("Due tomorrow")
    return _tr("Due in %n days").replace("%n", str(-days))


def answered(count: int, total: int) -> str:
    return _tr("%1 of %2 answered").replace("%1", str(count)).replace("%2", str(total))


def local_date(value: dt.datetime | dt.date | None) -> str:
    """A stored UTC instant (or a date) as a local calendar date, ``24 Nov 2026``."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        value = aware.astimezone().date()
    return format_date(value)


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    local = aware.astimezone()
    return f"{format_date(local.date())} {local:%H:%M}"


def number(value: float | int | None) -> str:
    """A score for display: whole numbers plain, means to two decimals."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return str(int(value))
