"""What a client's and a focus's fields may hold: the validators and the input value for a focus.

The validators (``*_problem``) return a reason (lowercase, for "<field>: <reason>") or None;
:mod:`stagewise.core.interchange.format` uses them to collect every problem of an import file, and
:mod:`stagewise.core.clients.records` raises the first one through :func:`raise_problem`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from stagewise.core.errors import UserInputError
from stagewise.core.text import clean_line, name_key

MAX_NAME = 200
MAX_CHART_NUMBER = 40
MAX_FOCUS_KEY = 64
MAX_LABEL = 200
MAX_REASSESSMENT_DAYS = 3650
EARLIEST_BIRTH = dt.date(1900, 1, 1)
FOCUS_KEY_RE = re.compile(r"[a-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class FocusInput:
    """A focus to add: ``key`` is a slug (``alcohol``), ``label`` the wording (``Alcohol``)."""

    key: str
    label: str
    behaviour_phrase: str | None = None
    reassessment_days: int | None = None


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def name_problem(value: object) -> str | None:
    """Why ``value`` cannot be a given or family name."""
    if not isinstance(value, str):
        return "must be text"
    cleaned = clean_line(value)
    if not cleaned:
        return "must not be empty"
    if len(cleaned) > MAX_NAME:
        return f"must have at most {MAX_NAME} characters"
    if _has_control(cleaned):
        return "must not contain control characters"
    if not name_key(cleaned):
        return "must contain at least one letter or digit"
    return None


def chart_number_problem(value: object) -> str | None:
    """Why ``value`` cannot be a chart number (1–40 printable characters)."""
    if not isinstance(value, str):
        return "must be text"
    cleaned = value.strip()
    if not cleaned:
        return "must not be empty"
    if len(cleaned) > MAX_CHART_NUMBER:
        return f"must have at most {MAX_CHART_NUMBER} characters"
    if not cleaned.isprintable():
        return "must contain only printable characters"
    return None


def date_of_birth_problem(value: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` cannot be a date of birth (not in the future, not before 1900)."""
    today = today or dt.date.today()
    if value > today:
        return "is in the future"
    if value < EARLIEST_BIRTH:
        return "is before 1900"
    return None


def focus_key_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    if not FOCUS_KEY_RE.fullmatch(value):
        return f"must be 1 to {MAX_FOCUS_KEY} lowercase letters, digits, dashes or underscores (like alcohol)"
    return None


def label_problem(value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        return "must be text"
    cleaned = clean_line(value)
    if not cleaned and not optional:
        return "must not be empty"
    if len(cleaned) > MAX_LABEL:
        return f"must have at most {MAX_LABEL} characters"
    if _has_control(cleaned):
        return "must not contain control characters"
    return None


def reassessment_days_problem(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number of days"
    if not 1 <= value <= MAX_REASSESSMENT_DAYS:
        return f"must be between 1 and {MAX_REASSESSMENT_DAYS} days"
    return None


def focus_problems(focus: FocusInput) -> list[tuple[str, str]]:
    """Every problem of a focus, as ``(field, reason)``."""
    checks = (
        ("key", focus_key_problem(focus.key)),
        ("label", label_problem(focus.label)),
        ("behaviour_phrase", label_problem(focus.behaviour_phrase, optional=True)),
        ("reassessment_days", reassessment_days_problem(focus.reassessment_days)),
    )
    return [(name, reason) for name, reason in checks if reason]


_FIELD_WORDS = {
    "given_name": "given name",
    "family_name": "family name",
    "chart_number": "chart number",
    "date_of_birth": "date of birth",
    "key": "focus id",
    "label": "focus label",
    "behaviour_phrase": "behaviour phrase",
    "reassessment_days": "reassessment interval",
}


def raise_problem(field_name: str, problem: str | None) -> None:
    if problem:
        raise UserInputError(f"The {_FIELD_WORDS.get(field_name, field_name)} {problem}.")


def check_focus(focus: FocusInput) -> None:
    for name, reason in focus_problems(focus):
        raise_problem(name, reason)


def optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = clean_line(value)
    return cleaned or None
