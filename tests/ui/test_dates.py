"""Dates on screen follow the system locale, always with a four-digit year; files and the CLI keep ISO."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QDateEdit

from stagewise.ui.dates import configure_date_edit, format_date, format_datetime, format_time

BORN = dt.date(1955, 8, 10)


def test_each_locale_writes_dates_its_own_way_with_four_digit_years(qapp: QApplication) -> None:
    assert format_date(BORN, QLocale("en_US")) == "8/10/1955"
    assert format_date(BORN, QLocale("en_GB")) == "10/08/1955"
    assert format_date(BORN, QLocale("de_DE")) == "10.08.1955"
    assert format_date(BORN, QLocale("es_ES")) == "10/8/1955"
    assert format_date(BORN, QLocale.c()) == "10 Aug 1955"  # no locale set: unambiguous
    assert format_date(None) == ""


def test_times_are_local_and_follow_the_locale(qapp: QApplication) -> None:
    at = dt.datetime(2026, 12, 4, 14, 5, 7, tzinfo=dt.UTC)
    here = at.astimezone()
    assert format_time(here, QLocale("en_GB")) == f"{here:%H:%M}"
    assert format_time(here, QLocale("en_GB"), seconds=True) == f"{here:%H:%M:%S}"
    us = format_time(here, QLocale("en_US"))
    assert us.endswith(("AM", "PM"))
    assert format_datetime(at, QLocale("de_DE")) == f"{here:%d.%m.%Y} {here:%H:%M}"


def test_date_fields_read_like_the_rest_of_the_screen(qapp: QApplication) -> None:
    previous = QLocale()
    QLocale.setDefault(QLocale("en_GB"))
    try:
        edit = configure_date_edit(QDateEdit())
        assert edit.displayFormat() == "dd/MM/yyyy"
        assert edit.calendarPopup()
    finally:
        QLocale.setDefault(previous)
