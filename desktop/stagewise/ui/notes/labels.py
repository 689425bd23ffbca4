"""Note categories and times → translatable words (the clinical notes' part of ``labels``)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication

from stagewise.core.enums import NoteStatus
from stagewise.ui.dates import format_date, format_datetime, format_time


def _tr(text: str) -> str:
    return QCoreApplication.translate("note_labels", text)


def status(value: NoteStatus | str) -> str:
    names = {
        NoteStatus.DRAFT: _tr("Draft"),
        NoteStatus.AWAITING_COSIGN: _tr("Awaiting co-signature"),
        NoteStatus.SIGNED: _tr("Signed"),
    }
    return names.get(NoteStatus(value), str(value))


def status_state(value: NoteStatus | str) -> str:
    """A status badge's ``state`` property (``draft``, ``awaiting`` or ``signed``) for the style sheet."""
    return {
        NoteStatus.DRAFT: "draft",
        NoteStatus.AWAITING_COSIGN: "awaiting",
        NoteStatus.SIGNED: "signed",
    }.get(NoteStatus(value), "draft")


def _local(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone()


def local_date(value: dt.datetime | None) -> str:
    """A stored UTC instant as a local date, ``24 Nov 2026``."""
    return format_date(_local(value).date()) if value is not None else "—"


def local_time(value: dt.datetime | None) -> str:
    """A stored UTC instant as local date and time, ``24 Nov 2026 14:02``."""
    if value is None:
        return "—"
    return format_datetime(value)


def saved(value: dt.datetime, *, today: dt.date | None = None) -> str:
    """The autosave indicator: ``Saved 14:02`` today, ``Saved 23 Nov 2026 17:40`` on another day."""
    local = _local(value)
    today = today or dt.date.today()
    when = format_time(local) if local.date() == today else local_time(value)
    return _tr("Saved %1").replace("%1", when)


def not_saved(reason: str) -> str:
    return _tr("Not saved: %1 Your text is still here.").replace("%1", reason)


def signed_line(by: str | None, at: dt.datetime | None) -> str:
    return _tr("Signed by %1 on %2").replace("%1", by or "?").replace("%2", local_time(at))


def cosigned_line(by: str | None, at: dt.datetime | None) -> str:
    return _tr("Co-signed by %1 on %2").replace("%1", by or "?").replace("%2", local_time(at))


def awaiting_line() -> str:
    return _tr("Awaiting a supervisor's co-signature.")


def written_line(author: str, at: dt.datetime) -> str:
    return _tr("Written by %1 · started %2").replace("%1", author).replace("%2", local_time(at))


def hash_line(digest: str | None) -> str:
    return _tr("Fingerprint (SHA-256): %1").replace("%1", digest or "—")


def addendum_heading(author: str, at: dt.datetime) -> str:
    return _tr("Addendum by %1 · %2").replace("%1", author).replace("%2", local_time(at))


def unsigned_drafts(count: int) -> str:
    if count == 1:
        return _tr("You have 1 unsigned draft")
    return _tr("You have %n unsigned drafts").replace("%n", str(count))


def missing_fields(labels: tuple[str, ...] | list[str]) -> str:
    return _tr("Fill in these fields before signing: %1. The draft is kept.").replace("%1", ", ".join(labels))


def invalid_dates(labels: tuple[str, ...] | list[str]) -> str:
    return _tr("Enter a real date (YYYY-MM-DD) in: %1. The draft is kept.").replace("%1", ", ".join(labels))


def changed_fields(labels: list[str]) -> str:
    if not labels:
        return _tr("no change")
    return _tr("changed: %1").replace("%1", ", ".join(labels))


def results(count: int, limit: int) -> str:
    if count == 0:
        return _tr("No notes match.")
    if count >= limit:
        return _tr("The newest %n matching notes.").replace("%n", str(count))
    if count == 1:
        return _tr("1 note matches.")
    return _tr("%n notes match.").replace("%n", str(count))


def need_attention(count: int) -> str:
    if count == 0:
        return _tr("Nothing is waiting for a signature.")
    if count == 1:
        return _tr("1 note needs attention. Enter opens the selected one.")
    return _tr("%n notes need attention. Enter opens the selected one.").replace("%n", str(count))
