"""Dates and times on screen, in the system locale (files and the command line keep ISO 8601).

One place for every screen: :func:`format_date` ("12/4/2026" in en_US, "04/12/2026" in en_GB, "4.12.2026"
in de_DE — always with a four-digit year, so a date of birth is never ambiguous), :func:`format_time`,
:func:`format_datetime` for a stored UTC instant shown in local time, and :func:`configure_date_edit` so
date fields read the same way.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale, QTime
from PySide6.QtWidgets import QDateEdit

# The "C" locale (no language set, e.g. a bare service account or CI) has no real date style: "7 Mar 1985".
C_PATTERN = "d MMM yyyy"


def date_pattern(locale: QLocale | None = None) -> str:
    """The locale's short date pattern with a four-digit year."""
    loc = locale or QLocale()
    if loc.language() == QLocale.Language.C:
        return C_PATTERN
    pattern = loc.dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in pattern:
        pattern = pattern.replace("yy", "yyyy")
    return pattern


def format_date(value: dt.date | None, locale: QLocale | None = None) -> str:
    """A calendar date in the locale's short form with a four-digit year ("" for None)."""
    if value is None:
        return ""
    loc = locale or QLocale()
    return loc.toString(QDate(value.year, value.month, value.day), date_pattern(loc))


def format_time(value: dt.time | dt.datetime, locale: QLocale | None = None, *, seconds: bool = False) -> str:
    """A time of day in the locale's short form ("2:05 PM", "14:05"; with seconds, "14:05:07")."""
    loc = locale or QLocale()
    pattern = loc.timeFormat(QLocale.FormatType.ShortFormat)
    if seconds and "ss" not in pattern:
        pattern = pattern.replace("mm", "mm:ss")
    return loc.toString(QTime(value.hour, value.minute, value.second), pattern)


def local(value: dt.datetime) -> dt.datetime:
    """A stored instant (UTC when naive) in the computer's time zone."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone()


def format_datetime(
    value: dt.datetime | None, locale: QLocale | None = None, *, seconds: bool = False
) -> str:
    """A stored instant as local date and time ("" for None)."""
    if value is None:
        return ""
    here = local(value)
    return f"{format_date(here.date(), locale)} {format_time(here, locale, seconds=seconds)}"


def configure_date_edit(edit: QDateEdit) -> QDateEdit:
    """A date field showing dates as every other screen does, with a calendar pop-up."""
    edit.setDisplayFormat(date_pattern())
    edit.setCalendarPopup(True)
    return edit
