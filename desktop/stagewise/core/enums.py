"""The practice's categories and timestamp format, free of SQLAlchemy (the app's start-up path reads them).

:mod:`stagewise.core.models` re-exports every name here, so ``from stagewise.core.models import Stage`` keeps
working; modules on the start-up path (the main window, the client list) import from here instead.
"""

from __future__ import annotations

import datetime as dt
import enum


def utcnow() -> dt.datetime:
    """Now, in UTC, truncated to milliseconds (the precision stored)."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso_utc(value: dt.datetime) -> str:
    """``2026-01-05T09:30:00.123Z`` for an aware datetime (naive ones are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_utc(text: str, *, strict: bool = False) -> dt.datetime:
    """Inverse of :func:`iso_utc`; also accepts any ISO-8601 string with an offset.

    A time without an offset is taken as UTC, except with ``strict`` (times in import files), where it
    is refused with ``ValueError``: a time of day that does not say where it was is ambiguous.
    """
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        if strict:
            raise ValueError("a time without a UTC offset (add Z or +01:00, say)")
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class Stage(enum.StrEnum):
    """The five stages of the Transtheoretical Model (Prochaska, DiClemente & Norcross 1992)."""

    PRECONTEMPLATION = "precontemplation"
    CONTEMPLATION = "contemplation"
    PREPARATION = "preparation"
    ACTION = "action"
    MAINTENANCE = "maintenance"

    @property
    def order(self) -> int:
        """0 for precontemplation … 4 for maintenance."""
        return STAGE_ORDER[self]


# The TTM order is the declaration order above; this is its only definition (hot paths index it directly).
STAGE_ORDER: dict[Stage, int] = {stage: n for n, stage in enumerate(Stage)}


class Role(enum.StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    SUPERVISOR = "supervisor"


class ClientStatus(enum.StrEnum):
    ACTIVE = "active"
    DISCHARGED = "discharged"


class AdministrationMode(enum.StrEnum):
    CLINICIAN = "clinician"
    CLIENT = "client"


class AdministrationStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    VOIDED = "voided"


class StageBasis(enum.StrEnum):
    """Why a stage record says what it says."""

    INSTRUMENT = "instrument"  # the clinician accepted the stage an administration proposed
    OVERRIDE = "override"  # the clinician chose a different stage than proposed (reason required)
    CLINICAL_JUDGEMENT = "clinical_judgement"  # no instrument; the clinician's own assessment
    NOT_STAGED = "not_staged"  # staging paused for now (crisis, detox, very short stay)


class DecisionKind(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ADDED = "added"  # the clinician's own intervention, not from the library


class NoteStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_COSIGN = "awaiting_cosign"
    SIGNED = "signed"
