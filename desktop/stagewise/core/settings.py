"""Practice-wide settings, kept in the ``setting`` table as one JSON value per key.

:func:`load_settings` reads every known key, falling back to the default for a key that is missing or
holds a value this version cannot use (a warning naming the key is logged).  :func:`update_settings`
validates each change and writes only the keys it changes; :func:`save_settings` is the user's "Save"
(every problem reported at once, or everything stored).  Keys this version does not know (written by
a newer Stagewise, or by the store: ``practice_id``) are never touched, so nothing is lost.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stagewise.core.changes import Done, OpChanges
from stagewise.core.enums import Stage
from stagewise.core.errors import UserInputError
from stagewise.core.stages.labels import STAGE_TABLE
from stagewise.core.storage import rawdb
from stagewise.core.text import clean_line

if TYPE_CHECKING:  # loading settings needs no SQLAlchemy: the app reads them before the ORM is imported
    from sqlalchemy.orm import Session

    from stagewise.core.storage.backup_schedule import BackupSettings

log = logging.getLogger(__name__)

# Plain, non-stigmatising wording shown to clients instead of the TTM stage names (editable per practice),
# from the stage table.
DEFAULT_CLIENT_STAGE_LABELS: Mapping[Stage, str] = {
    w.stage: w.client for w in STAGE_TABLE if w.stage is not None
}

# Shown when a risk item is endorsed (e.g. PHQ-9 item 9).  Generic on purpose: each practice edits it to
# name its own protocol and local numbers.
DEFAULT_SAFETY_TEXT = (
    "The client has endorsed a question about self-harm or suicide. Before the session ends:\n"
    "1. Ask directly about current thoughts of suicide or self-harm, any plan, access to means, "
    "and intent to act.\n"
    "2. Follow the practice's safety protocol, and record what was asked, what the client said "
    "and what was done.\n"
    "3. If there is immediate danger, call the local emergency number; give the client crisis line "
    "numbers before they leave.\n"
    "Edit this text in Practice settings to name your own protocol and local numbers."
)

# How a URICA profile is turned into a stage (the staging module implements each rule).
# The stage rules urica-32.toml offers (docs/instruments/urica-32.md): the ATTC nearest group mean (default)
# and the approximate, UNVERIFIED HABITS Lab cut-offs. "Highest subscale" is deliberately absent (the HABITS
# Lab does not endorse it).
URICA_STAGE_RULES = ("nearest_group_mean", "habits_lab_cutoffs")

# When automatic backups run (the values of backup_schedule.BackupSchedule).
BACKUP_SCHEDULES = ("daily", "weekly", "off")

_FORM_ID_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class PracticeSettings:
    """Every practice setting with its default."""

    practice_name: str = "My practice"
    idle_lock_minutes: int = 10
    reassessment_days: int = 30
    stalled_days: int = 90
    safety_text: str = DEFAULT_SAFETY_TEXT
    client_stage_labels: Mapping[Stage, str] = field(
        default_factory=lambda: dict(DEFAULT_CLIENT_STAGE_LABELS)
    )
    urica_stage_rule: str = "nearest_group_mean"
    backup_destinations: tuple[str, ...] = ()
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    backup_keep_monthly: int = 12
    backup_warn_days: int = 3
    favourite_forms: tuple[str, ...] = ()
    # "daily": at the first unlock of each day; "weekly": when the last success is 7 days old; "off".
    backup_schedule: str = "daily"

    def client_stage_label(self, stage: Stage) -> str:
        """The client-facing wording for ``stage``."""
        return self.client_stage_labels.get(stage, DEFAULT_CLIENT_STAGE_LABELS[stage])

    @property
    def backup_folders(self) -> tuple[Path, ...]:
        """The automatic-backup destinations as paths (``~`` expanded)."""
        return tuple(Path(d).expanduser() for d in self.backup_destinations)

    def backup_settings(self) -> BackupSettings:
        """The schedule, retention and warning threshold for :mod:`stagewise.core.storage.backup_schedule`."""
        from stagewise.core.storage.backup_schedule import BackupSchedule, BackupSettings, RetentionPolicy

        return BackupSettings(
            schedule=BackupSchedule(self.backup_schedule),
            retention=RetentionPolicy(
                daily=self.backup_keep_daily,
                weekly=self.backup_keep_weekly,
                monthly=self.backup_keep_monthly,
            ),
            warn_after_days=self.backup_warn_days,
        )


# --------------------------------------------------------------------------------------------------------
# Validators: each takes the raw (JSON) value and returns the typed value or raises ValueError(reason).


def _int_in(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return check


def _text(max_len: int, *, single_line: bool) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        cleaned = clean_line(value) if single_line else value.strip()
        if not cleaned:
            raise ValueError("must not be empty")
        if len(cleaned) > max_len:
            raise ValueError(f"must have at most {max_len} characters")
        return cleaned

    return check


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError("must be one of " + ", ".join(options))
        return str(value)

    return check


def _labels(value: Any) -> Mapping[Stage, str]:
    if not isinstance(value, Mapping):
        raise ValueError("must map each stage to its label")
    try:
        parsed = {Stage(str(k)): v for k, v in value.items()}
    except ValueError as exc:
        raise ValueError("has a key that is not a stage") from exc
    missing = [s.value for s in Stage if s not in parsed]
    if missing:
        raise ValueError("has no label for " + ", ".join(missing))
    check = _text(80, single_line=True)
    return {s: check(parsed[s]) for s in Stage}


def _string_list(item: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    def check(value: Any) -> tuple[str, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise ValueError("must be a list")
        items = tuple(item(v) for v in value)
        if len(set(items)) != len(items):
            raise ValueError("lists an entry twice")
        return items

    return check


def _folder(value: Any) -> str:
    text = _text(1000, single_line=True)(value)
    if not Path(text).expanduser().is_absolute():
        raise ValueError("must list full folder paths (e.g. /media/usb/stagewise or E:\\Stagewise)")
    return text


def _form_id(value: Any) -> str:
    if not isinstance(value, str) or not _FORM_ID_RE.fullmatch(value):
        raise ValueError("must list form ids (lowercase letters, digits, dots, dashes, underscores)")
    return value


_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "practice_name": _text(200, single_line=True),
    "idle_lock_minutes": _int_in(1, 240),
    "reassessment_days": _int_in(1, 3650),
    "stalled_days": _int_in(1, 3650),
    "safety_text": _text(4000, single_line=False),
    "client_stage_labels": _labels,
    "urica_stage_rule": _choice(URICA_STAGE_RULES),
    "backup_destinations": _string_list(_folder),
    "backup_keep_daily": _int_in(1, 366),
    "backup_keep_weekly": _int_in(0, 520),
    "backup_keep_monthly": _int_in(0, 600),
    "backup_warn_days": _int_in(1, 365),
    "favourite_forms": _string_list(_form_id),
    "backup_schedule": _choice(BACKUP_SCHEDULES),
}

SETTING_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(PracticeSettings))
assert set(SETTING_KEYS) == set(_VALIDATORS)


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return value


def json_value(stored: Any) -> Any:
    """A ``setting.value`` read with plain SQL, decoded as SQLAlchemy's ``JSON`` type would.

    The column's declared type JSON has NUMERIC affinity in SQLite, so a number is stored (and read back)
    as a number; everything else is JSON text.
    """
    return json.loads(stored) if isinstance(stored, str) else stored


def load_settings(db: Session | Any) -> PracticeSettings:
    """The practice's settings; defaults for anything not set (or unusable).

    Args:
        db: a session, or a plain DBAPI connection to the practice (:mod:`stagewise.core.storage.rawdb`).
    """
    conn = rawdb.dbapi_connection(db)
    marks = ", ".join("?" for _ in SETTING_KEYS)
    rows = conn.execute(f"SELECT key, value FROM setting WHERE key IN ({marks})", SETTING_KEYS).fetchall()
    values: dict[str, Any] = {}
    for key, stored in rows:
        try:
            values[key] = _VALIDATORS[key](json_value(stored))
        except (ValueError, TypeError):  # json.JSONDecodeError is a ValueError
            log.warning("stored setting %s is not usable; using its default", key)
    return PracticeSettings(**values)


def update_settings(session: Session, *, actor: str | None, **changes: Any) -> PracticeSettings:
    """Validate and store some settings; the full settings after the change.

    Args:
        session: the caller's transaction.
        actor: who changes them.
        **changes: setting name → new value (lists may be any sequence; labels a stage → text mapping).

    Raises:
        UserInputError: an unknown setting or an unacceptable value (nothing is changed).
    """
    unknown = sorted(k for k in changes if k not in _VALIDATORS)
    if unknown:
        raise UserInputError(f"There is no practice setting called {unknown[0]}.")
    parsed: dict[str, Any] = {}
    for key, value in changes.items():
        try:
            parsed[key] = _VALIDATORS[key](value)
        except (ValueError, TypeError) as exc:
            raise UserInputError(f"The setting {key} {exc}.") from exc
    from stagewise.core.audit import trail as audit
    from stagewise.core.models import Setting

    current = load_settings(session)
    changed = sorted(k for k, v in parsed.items() if getattr(current, k) != v)
    for key in changed:
        row = session.get(Setting, key)
        value = _to_json(parsed[key])
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value
    if changed:
        session.flush()
        audit.record(session, actor, "update", "settings", None, {"keys": changed})
    return dataclasses.replace(current, **{k: parsed[k] for k in changed})


class InvalidSettingsError(UserInputError):
    """Some values cannot be stored; ``problems`` maps each setting to a sentence about its value."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("Nothing was saved: correct the settings marked.")
        self.problems = dict(problems)


def setting_problems(changes: Mapping[str, Any]) -> dict[str, str]:
    """Setting → what is wrong with its new value (``Must be between 1 and 240.``); empty if all is fine."""
    problems: dict[str, str] = {}
    for key, value in changes.items():
        check = _VALIDATORS.get(key)
        if check is None:
            problems[key] = f"There is no practice setting called {key}."
            continue
        try:
            check(value)
        except (ValueError, TypeError) as exc:
            text = str(exc).rstrip(".")
            problems[key] = text[:1].upper() + text[1:] + "."
    return problems


def save_settings(
    session: Session, *, actor: str | None, values: Mapping[str, Any]
) -> Done[PracticeSettings]:
    """Check every value, then store the changed ones with one audit event: the "Save settings" action.

    Raises:
        InvalidSettingsError: one or more values are unacceptable (every problem at once; nothing is stored).
    """
    problems = setting_problems(values)
    if problems:
        raise InvalidSettingsError(problems)
    prefs = update_settings(session, actor=actor, **values)
    return Done(prefs, OpChanges(settings=True, audit=True))
