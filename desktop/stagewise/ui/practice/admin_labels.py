"""Administration categories → translatable words (the questionnaire screens' part of ``labels``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from stagewise.core.enums import AdministrationMode, AdministrationStatus
from stagewise.ui.dates import format_date, format_datetime

if TYPE_CHECKING:  # annotations only: the start-up path imports this module
    from stagewise.core.instruments.model import Form
    from stagewise.core.instruments.scoring import Result


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


def caveat_lines(short_title: str, citation_short: str, caveats: tuple[str, ...]) -> list[str]:
    """What is unverified about an instrument, for the clinician (never the hand-over screen).

    A heading naming the instrument by author and year, then one line per specific caveat (the file's own
    words); no caveats → no lines.
    """
    if not caveats:
        return []
    heading = _tr("⚠ Not verified for %1 (%2):").replace("%1", short_title).replace("%2", citation_short)
    return [heading] + [f"• {c}" for c in caveats]


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
    return format_datetime(value)


def number(value: float | int | None) -> str:
    """A score for display: whole numbers plain, means to two decimals."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return str(int(value))


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _score_name(label: str) -> str:
    """A score's label without its range: "Importance (0–10)" → "Importance"."""
    return label.split(" (")[0].strip()


def result_cell(form: Form | None, result: Result) -> str:
    """One line for a list of administrations.

    The score with its band ("10 · moderate"); the values of an instrument without bands ("Importance 8 ·
    Confidence 6 · Readiness 7"), a single score on a scale from 0 out of its maximum (the ladder:
    "7 of 10"); else the stage the instrument proposed.
    """
    from stagewise.ui import labels

    if form is None:
        return labels.stage(result.stage) if result.stage is not None else ""
    named: list[tuple[str, str]] = [(s.name, s.label) for s in form.scores]
    named += [(d.name, d.label) for d in form.derived]
    scores = [(name, label) for name, label in named if result.scores.get(name) is not None]
    if result.bands:
        key, band = next(iter(result.bands.items()))
        value = result.scores.get(key)
        return band if value is None else f"{_number(value)} · {band}"
    if result.stage is not None:
        return labels.stage(result.stage)
    if len(scores) == 1:
        name, label = scores[0]
        value = result.scores[name]
        assert value is not None
        low, high = form.score_range(name)
        return (
            _tr("%1 of %2").replace("%1", _number(value)).replace("%2", _number(high))
            if low == 0
            else _number(value)
        )
    parts = []
    for name, label in scores:
        value = result.scores[name]
        assert value is not None
        parts.append(f"{_score_name(label)} {_number(value)}")
    return " · ".join(parts)
