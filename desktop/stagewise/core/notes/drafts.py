"""Clinical notes: drafts with autosave and history, signing, co-signature, addenda, the to-do view.

Every function takes the caller's session (``with practice.session_factory.begin() as s:``) and returns
frozen dataclasses.  Changes are audited in the same session, with one exception: **draft autosaves are
not audited** — they run every few seconds while a clinician types and must stay cheap; a draft's
creation, session-summary insertion, discarding, signing, co-signing and addenda are.

Autosave policy: the UI calls :func:`save_draft` a few seconds after typing stops and on every focus
change, lock and close, each in its own short transaction (so a crash loses at most the unsaved
interval).  Saving unchanged content writes nothing.

Version-history policy ("what changed, when"): a draft's history is a list of snapshots.  A snapshot is
taken when a draft is created with content, and on a save that changes the content when the newest
snapshot is older than :data:`VERSION_INTERVAL` (60 s) — so continuous typing leaves one snapshot a minute,
not one per autosave.  The note row always holds the latest content; :func:`draft_history` lists the
snapshots oldest first with the fields each one changed.  History stops at signing (triggers freeze it).

Values and errors: :mod:`stagewise.core.notes.values`.  Signing and addenda:
:mod:`stagewise.core.notes.signing`; hashing and the chain: :mod:`stagewise.core.notes.chain` and
``docs/notes.md``.
Search: :mod:`stagewise.core.notes.search`.  Session summaries: :mod:`stagewise.core.notes.summary`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, NotFoundError
from stagewise.core.models import Client, Note, NoteStatus, NoteVersion, Role, User
from stagewise.core.notes.chain import (
    GENESIS,
    export_client_notes,
    import_client_notes,
    validate_client_notes,
    verify_chains,
)
from stagewise.core.notes.search import SearchHit, search_notes
from stagewise.core.notes.signing import add_addendum, check_signable, cosign_note, sign_note
from stagewise.core.notes.templates import TemplateLibrary, default_templates, load_templates
from stagewise.core.notes.values import (
    AddendumInfo,
    DraftSaved,
    DraftVersion,
    FieldChange,
    InvalidFieldsError,
    MissingFieldsError,
    NoteFieldsError,
    NoteInfo,
    NoteLinkInfo,
    NoteSummary,
    TodoList,
    check_values,
    diff_fields,
    load_note,
    note_info,
    now_ms,
    usernames,
    writer,
)
from stagewise.core.users import people, require_clinical

__all__ = [
    "GENESIS",
    "VERSION_INTERVAL",
    "AddendumInfo",
    "DraftSaved",
    "DraftVersion",
    "FieldChange",
    "InvalidFieldsError",
    "MissingFieldsError",
    "NoteFieldsError",
    "NoteInfo",
    "NoteLinkInfo",
    "NoteStatus",
    "NoteSummary",
    "SearchHit",
    "TodoList",
    "add_addendum",
    "check_signable",
    "cosign_note",
    "create_draft",
    "diff_fields",
    "discard_draft",
    "draft_history",
    "export_client_notes",
    "get_note",
    "import_client_notes",
    "list_notes",
    "load_templates",
    "recoverable_drafts",
    "save_draft",
    "search_notes",
    "sign_note",
    "todo",
    "validate_client_notes",
    "verify_chains",
]

VERSION_INTERVAL = dt.timedelta(seconds=60)
PREVIEW_CHARS = 120


# --------------------------------------------------------------------------------------------------------
# Drafts


def create_draft(
    session: Session,
    *,
    client_id: int,
    template_id: str,
    author_id: int,
    actor: str | None,
    fields: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    templates: TemplateLibrary | None = None,
) -> NoteInfo:
    """Start a new draft note for a client from a template (audited).

    Args:
        session: the caller's transaction.
        client_id: whose chart the note belongs to.
        template_id: e.g. ``"soap"``; the template's current version is stored with the note.
        author_id: the clinician writing it.
        actor: user name for the audit log.
        fields: initial text for some of the template's fields.
        now: the creation time (default: now).
        templates: the installed templates (default: shipped plus the practice's own).

    Raises:
        NotFoundError: unknown client, author or template.  UserInputError: a field not in the template.
    """
    if session.get(Client, client_id) is None:
        raise NotFoundError(f"There is no client with id {client_id}.")
    writer(session, author_id)
    template = (templates if templates is not None else default_templates()).get(template_id)
    values = template.empty_fields()
    check_values(fields or {}, values)
    values.update(fields or {})
    moment = now_ms(now)
    note = Note(
        client_id=client_id,
        template_id=template.id,
        template_version=template.version,
        author_id=author_id,
        written_at=moment,
        updated_at=moment,
        status=NoteStatus.DRAFT.value,
        fields=values,
    )
    session.add(note)
    session.flush()
    if any(v for v in values.values()):
        session.add(NoteVersion(note_id=note.id, saved_at=moment, fields=dict(values)))
    audit.record(session, actor, "create", "note", note.id, {"client_id": client_id, "template": template.id})
    session.flush()
    return note_info(session, note)


def save_draft(
    session: Session, note_id: int, fields: Mapping[str, str], *, now: dt.datetime | None = None
) -> DraftSaved:
    """Autosave a draft's fields (the fast path; not audited, see the module docstring).

    ``fields`` may hold all or some of the note's fields; the others keep their text.  Unchanged content
    writes nothing.  A history snapshot is taken per the version-history policy.

    Raises:
        NotFoundError: no such note.  ConflictError: the note is no longer a draft.
        UserInputError: a field the note does not have, or a value that is not text.
    """
    row = session.execute(select(Note.status, Note.fields).where(Note.id == note_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"There is no note {note_id}.")
    status, stored = row
    if status != NoteStatus.DRAFT.value:
        raise ConflictError(
            f"Note {note_id} is signed and can no longer be edited; add an addendum to correct it."
        )
    check_values(fields, stored)
    moment = now_ms(now)
    merged = {**stored, **fields}
    if merged == stored:
        return DraftSaved(note_id, moment, changed=False, version_saved=False)
    done = session.execute(
        update(Note)
        .where(Note.id == note_id, Note.status == NoteStatus.DRAFT.value)
        .values(fields=merged, updated_at=moment)
        .execution_options(synchronize_session="evaluate")
    )
    if getattr(done, "rowcount", 1) != 1:
        raise ConflictError(f"Note {note_id} was signed meanwhile; add an addendum instead.")
    last = session.execute(
        select(NoteVersion.saved_at)
        .where(NoteVersion.note_id == note_id)
        .order_by(NoteVersion.id.desc())
        .limit(1)
    ).scalar()
    snapshot = last is None or moment - last >= VERSION_INTERVAL
    if snapshot:
        session.execute(insert(NoteVersion).values(note_id=note_id, saved_at=moment, fields=merged))
    return DraftSaved(note_id, moment, changed=True, version_saved=snapshot)


def get_note(session: Session, note_id: int, *, actor: str | None = None) -> NoteInfo:
    """One note with its addenda (in order) and links; with ``actor``, the viewing is audited.

    Raises:
        ClinicalRoleRequiredError: ``actor`` is an account without a clinical role.
    """
    require_clinical(session, actor)
    note = load_note(session, note_id)
    if actor is not None:
        audit.record(session, actor, "view", "note", note_id, {"client_id": note.client_id})
    return note_info(session, note)


def draft_history(session: Session, note_id: int) -> list[DraftVersion]:
    """A note's draft snapshots, oldest first, each with the fields it changed."""
    load_note(session, note_id)
    rows = session.execute(
        select(NoteVersion).where(NoteVersion.note_id == note_id).order_by(NoteVersion.id)
    ).scalars()
    out: list[DraftVersion] = []
    previous: dict[str, str] = {}
    for v in rows:
        values = {str(k): str(val) for k, val in v.fields.items()}
        changed = tuple(c.field_id for c in diff_fields(previous, values))
        out.append(DraftVersion(v.id, v.note_id, v.saved_at, values, changed))
        previous = values
    return out


def discard_draft(session: Session, note_id: int, *, actor: str | None) -> None:
    """Delete a draft the clinician chose to throw away, with its history and links (audited).

    Raises:
        ConflictError: the note is signed (signed notes are never deleted).
    """
    note = load_note(session, note_id)
    if note.status != NoteStatus.DRAFT.value:
        raise ConflictError(f"Note {note_id} is signed and cannot be deleted; add an addendum instead.")
    client_id = note.client_id
    session.expunge(note)
    session.execute(delete(Note).where(Note.id == note_id, Note.status == NoteStatus.DRAFT.value))
    # The audit vocabulary has no "discard"; "void" with a code says what happened (ids only).
    audit.record(session, actor, "void", "note", note_id, {"client_id": client_id, "what": "draft_discarded"})


# --------------------------------------------------------------------------------------------------------
# Lists


def _summaries(session: Session, query: Any) -> list[NoteSummary]:
    rows = session.execute(query).all()
    names = usernames(session, {n.author_id for n, *_ in rows})
    person = people(session)
    out = []
    for note, chart, given, family in rows:
        text = " ".join(" ".join(str(v) for v in note.fields.values() if v).split())
        out.append(
            NoteSummary(
                id=note.id,
                client_id=note.client_id,
                chart_number=chart,
                template_id=note.template_id,
                author_id=note.author_id,
                author_username=names[note.author_id],
                author_name=person[note.author_id],
                client_name=f"{given} {family}",
                written_at=note.written_at,
                updated_at=note.updated_at,
                status=NoteStatus(note.status),
                signed_at=note.signed_at,
                cosigned_at=note.cosigned_at,
                preview=text[:PREVIEW_CHARS],
            )
        )
    return out


def _base() -> Any:
    return select(Note, Client.chart_number, Client.given_name, Client.family_name).join(
        Client, Client.id == Note.client_id
    )


def list_notes(
    session: Session,
    *,
    client_id: int | None = None,
    author_id: int | None = None,
    status: NoteStatus | str | None = None,
    template_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[NoteSummary]:
    """Notes matching every given filter, newest first (by ``written_at``, then id).

    ``since`` is inclusive and ``until`` exclusive.  Each filter combination is served by an index.
    """
    q = _base()
    if client_id is not None:
        q = q.where(Note.client_id == client_id)
    if author_id is not None:
        q = q.where(Note.author_id == author_id)
    if status is not None:
        q = q.where(Note.status == NoteStatus(status).value)
    if template_id is not None:
        q = q.where(Note.template_id == template_id)
    if since is not None:
        q = q.where(Note.written_at >= since)
    if until is not None:
        q = q.where(Note.written_at < until)
    q = q.order_by(Note.written_at.desc(), Note.id.desc()).limit(limit).offset(offset)
    return _summaries(session, q)


def recoverable_drafts(session: Session, author_id: int) -> list[NoteSummary]:
    """The author's drafts, last edited first: what the app offers to reopen on the next start."""
    q = (
        _base()
        .where(Note.status == NoteStatus.DRAFT.value, Note.author_id == author_id)
        .order_by(Note.updated_at.desc(), Note.id.desc())
    )
    return _summaries(session, q)


def todo(session: Session, *, user_id: int) -> TodoList:
    """The user's to-do view: their drafts, notes to co-sign (supervisors) and their notes awaiting it."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"There is no user with id {user_id}.")
    awaiting = NoteStatus.AWAITING_COSIGN.value
    drafts = recoverable_drafts(session, user_id)
    mine = _summaries(
        session,
        _base().where(Note.status == awaiting, Note.author_id == user_id).order_by(Note.signed_at),
    )
    others: list[NoteSummary] = []
    if Role.SUPERVISOR in user.role_set:
        others = _summaries(
            session,
            _base().where(Note.status == awaiting, Note.author_id != user_id).order_by(Note.signed_at),
        )
    return TodoList(tuple(drafts), tuple(others), tuple(mine))
