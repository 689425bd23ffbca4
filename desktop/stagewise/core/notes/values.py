"""The values the notes API returns (frozen dataclasses), its errors, and helpers shared by its modules.

Part of :mod:`stagewise.core.notes.drafts` (import from there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import NotFoundError, PermissionDeniedError, UserInputError
from stagewise.core.models import Addendum, Note, NoteLink, NoteStatus, Role, User, utcnow
from stagewise.core.users import people


class NoteFieldsError(UserInputError):
    """Some of a note's fields stop it being signed.  ``fields`` are the labels, ``field_ids`` the ids."""

    def __init__(self, message: str, fields: Sequence[str], field_ids: Sequence[str]) -> None:
        super().__init__(message)
        self.fields = tuple(fields)
        self.field_ids = tuple(field_ids)


class MissingFieldsError(NoteFieldsError):
    """Required fields are empty."""


class InvalidFieldsError(NoteFieldsError):
    """Filled date fields do not hold a real date."""


# --------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class AddendumInfo:
    id: int
    note_id: int
    author_id: int
    author_username: str
    author_name: str  # the person, as shown and printed (``users.person_label``)
    written_at: dt.datetime
    text: str
    signed_at: dt.datetime
    hash: str
    prev_hash: str | None


@dataclass(frozen=True, slots=True)
class NoteLinkInfo:
    administration_id: int | None
    stage_record_id: int | None


@dataclass(frozen=True, slots=True)
class NoteInfo:
    id: int
    client_id: int
    template_id: str
    template_version: str
    author_id: int
    author_username: str
    author_name: str  # people as shown and printed (``users.person_label``); user names identify them
    written_at: dt.datetime
    updated_at: dt.datetime
    status: NoteStatus
    fields: dict[str, str]  # a copy; changing it changes nothing stored
    signed_at: dt.datetime | None
    signed_by_username: str | None
    signed_by_name: str | None
    hash: str | None
    prev_hash: str | None
    cosigned_by_username: str | None
    cosigned_by_name: str | None
    cosigned_at: dt.datetime | None
    addenda: tuple[AddendumInfo, ...]
    links: tuple[NoteLinkInfo, ...]

    @property
    def editable(self) -> bool:
        return self.status is NoteStatus.DRAFT


@dataclass(frozen=True, slots=True)
class NoteSummary:
    id: int
    client_id: int
    chart_number: str
    template_id: str
    author_id: int
    author_username: str
    author_name: str  # the person, as shown (``users.person_label``)
    client_name: str  # "Given Family", beside the chart number in practice-wide lists
    written_at: dt.datetime
    updated_at: dt.datetime
    status: NoteStatus
    signed_at: dt.datetime | None
    cosigned_at: dt.datetime | None
    preview: str  # the start of the note's text, for lists (never log it)


@dataclass(frozen=True, slots=True)
class DraftSaved:
    note_id: int
    updated_at: dt.datetime
    changed: bool  # False: the content was already stored; nothing was written
    version_saved: bool  # a history snapshot was taken


@dataclass(frozen=True, slots=True)
class FieldChange:
    field_id: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class DraftVersion:
    id: int
    note_id: int
    saved_at: dt.datetime
    fields: dict[str, str]
    changed_fields: tuple[str, ...]  # field ids that differ from the previous snapshot (all, for the first)


@dataclass(frozen=True, slots=True)
class TodoList:
    drafts: tuple[NoteSummary, ...]  # the user's unsigned drafts
    to_cosign: tuple[NoteSummary, ...]  # others' notes awaiting co-signature (supervisors only)
    awaiting_cosign: tuple[NoteSummary, ...]  # the user's notes awaiting a supervisor's co-signature

    @property
    def count(self) -> int:
        return len(self.drafts) + len(self.to_cosign) + len(self.awaiting_cosign)


# --------------------------------------------------------------------------------------------------------
# Helpers


def now_ms(value: dt.datetime | None) -> dt.datetime:
    """``value`` (default now) in UTC, truncated to the stored millisecond precision."""
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def load_note(session: Session, note_id: int) -> Note:
    """The note row (NotFoundError if there is none)."""
    note = session.get(Note, note_id)
    if note is None:
        raise NotFoundError(f"There is no note {note_id}.")
    return note


def active_user(session: Session, user_id: int, *, what: str = "user") -> User:
    """The user row; NotFoundError if missing, PermissionDeniedError if deactivated."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"There is no {what} with id {user_id}.")
    if not user.active:
        raise PermissionDeniedError(f"User {user.username} is deactivated and cannot write or sign notes.")
    return user


def writer(session: Session, user_id: int) -> User:
    """An active user allowed to write clinical notes (a clinician or supervisor)."""
    user = active_user(session, user_id, what="author")
    if not user.role_set & {Role.CLINICIAN, Role.SUPERVISOR}:
        raise PermissionDeniedError(
            f"User {user.username} is not a clinician or supervisor and cannot write clinical notes."
        )
    return user


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    """User id → user name for the given ids (None ignored)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all()
    return {uid: name for uid, name in rows}


def note_info(session: Session, note: Note) -> NoteInfo:
    """The frozen view of a note row, with its addenda (in order) and links."""
    addenda = (
        session.execute(select(Addendum).where(Addendum.note_id == note.id).order_by(Addendum.id))
        .scalars()
        .all()
    )
    links = session.execute(
        select(NoteLink.administration_id, NoteLink.stage_record_id)
        .where(NoteLink.note_id == note.id)
        .order_by(NoteLink.id)
    ).all()
    names = usernames(
        session,
        {note.author_id, note.signed_by_id, note.cosigned_by_id, *(a.author_id for a in addenda)},
    )
    person = people(session)
    return NoteInfo(
        id=note.id,
        client_id=note.client_id,
        template_id=note.template_id,
        template_version=note.template_version,
        author_id=note.author_id,
        author_username=names[note.author_id],
        author_name=person[note.author_id],
        written_at=note.written_at,
        updated_at=note.updated_at,
        status=NoteStatus(note.status),
        fields={str(k): str(v) for k, v in note.fields.items()},
        signed_at=note.signed_at,
        signed_by_username=names.get(note.signed_by_id) if note.signed_by_id else None,
        signed_by_name=person.get(note.signed_by_id) if note.signed_by_id else None,
        hash=note.hash,
        prev_hash=note.prev_hash,
        cosigned_by_username=names.get(note.cosigned_by_id) if note.cosigned_by_id else None,
        cosigned_by_name=person.get(note.cosigned_by_id) if note.cosigned_by_id else None,
        cosigned_at=note.cosigned_at,
        addenda=tuple(
            AddendumInfo(
                a.id,
                a.note_id,
                a.author_id,
                names[a.author_id],
                person[a.author_id],
                a.written_at,
                a.text,
                a.signed_at,
                a.hash,
                a.prev_hash,
            )
            for a in addenda
        ),
        links=tuple(NoteLinkInfo(a, s) for a, s in links),
    )


def check_values(fields: Mapping[str, str], known: Mapping[str, Any]) -> None:
    """Refuse field ids the note does not have and values that are not text (nothing is written)."""
    for key, value in fields.items():
        if key not in known:
            raise UserInputError(f"This note has no field {key!r}; nothing was saved.")
        if not isinstance(value, str):
            raise UserInputError(f"Field {key!r} must be text; nothing was saved.")


def diff_fields(before: Mapping[str, str], after: Mapping[str, str]) -> list[FieldChange]:
    """The fields whose text differs between two versions, in ``after``'s order."""
    keys = list(after) + [k for k in before if k not in after]
    return [
        FieldChange(k, before.get(k, ""), after.get(k, ""))
        for k in keys
        if before.get(k, "") != after.get(k, "")
    ]
