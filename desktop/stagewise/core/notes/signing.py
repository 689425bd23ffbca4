"""Signing, co-signature and addenda: the moment a note becomes part of the legal record.

Part of :mod:`stagewise.core.notes.drafts` (import from there).  What is hashed and how the chain links:
:mod:`stagewise.core.notes.chain` and ``docs/notes.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, NotFoundError, PermissionDeniedError, UserInputError
from stagewise.core.models import Addendum, NoteStatus, Role, iso_utc
from stagewise.core.notes.chain import (
    addendum_content,
    chain_tail,
    content_hash,
    note_content,
    take_write_lock,
)
from stagewise.core.notes.templates import Template, TemplateLibrary, default_templates
from stagewise.core.notes.values import (
    AddendumInfo,
    InvalidFieldsError,
    MissingFieldsError,
    NoteInfo,
    active_user,
    load_note,
    note_info,
    now_ms,
    writer,
)
from stagewise.core.users import people


def check_signable(template: Template, fields: Mapping[str, str]) -> None:
    """Refuse empty required fields and impossible dates, naming the fields by label.

    Raises:
        MissingFieldsError, InvalidFieldsError.
    """
    missing = template.missing_required(fields)
    if missing:
        labels = [f.label for f in missing]
        raise MissingFieldsError(
            f"Fill in these fields before signing: {', '.join(labels)}. The draft is kept.",
            labels,
            [f.id for f in missing],
        )
    bad = template.invalid_dates(fields)
    if bad:
        labels = [f.label for f in bad]
        raise InvalidFieldsError(
            f"Enter a real date (YYYY-MM-DD) in: {', '.join(labels)}. The draft is kept.",
            labels,
            [f.id for f in bad],
        )


def sign_note(
    session: Session,
    note_id: int,
    *,
    user_id: int,
    actor: str | None,
    now: dt.datetime | None = None,
    templates: TemplateLibrary | None = None,
) -> NoteInfo:
    """Sign a draft: stamp who and when, hash its content into the client's chain, and lock it.

    If the author's notes need a co-signature (``User.requires_cosign``) the note becomes
    ``awaiting_cosign`` (content and hash already final); otherwise ``signed``.

    Raises:
        MissingFieldsError / InvalidFieldsError: required fields empty or dates impossible (nothing changes).
        ConflictError: already signed.  PermissionDeniedError: the signer is not the author.
        NotFoundError: no such note, or its template is not installed.
    """
    take_write_lock(session)
    note = load_note(session, note_id)
    if note.status != NoteStatus.DRAFT.value:
        raise ConflictError(f"Note {note_id} is already signed; add an addendum to correct it.")
    signer = active_user(session, user_id)
    if signer.id != note.author_id:
        raise PermissionDeniedError("Only a note's author can sign it; a supervisor co-signs after.")
    library = templates if templates is not None else default_templates()
    template = library.find(note.template_id)
    if template is None:
        raise NotFoundError(
            f"The note template {note.template_id!r} is not installed, so its required fields cannot be "
            "checked; install it to sign this note. The draft is kept."
        )
    values = {str(k): str(v) for k, v in note.fields.items()}
    check_signable(template, values)
    moment = now_ms(now)
    prev = chain_tail(session, note.client_id)
    digest = content_hash(
        note_content(
            template_id=note.template_id,
            template_version=note.template_version,
            fields=values,
            author=signer.username,
            written_at=iso_utc(note.written_at),
            signed_by=signer.username,
            signed_at=iso_utc(moment),
            prev_hash=prev,
        )
    )
    status = NoteStatus.AWAITING_COSIGN if signer.requires_cosign else NoteStatus.SIGNED
    note.status = status.value
    note.signed_at = moment
    note.signed_by_id = signer.id
    note.hash = digest
    note.prev_hash = prev
    note.updated_at = moment
    session.flush()
    audit.record(
        session,
        actor,
        "sign",
        "note",
        note_id,
        {"client_id": note.client_id, "hash": digest, "status": status.value},
    )
    return note_info(session, note)


def cosign_note(
    session: Session, note_id: int, *, supervisor_id: int, actor: str | None, now: dt.datetime | None = None
) -> NoteInfo:
    """A supervisor co-signs a note awaiting co-signature; it becomes signed.

    Raises:
        ConflictError: the note is not awaiting co-signature.
        PermissionDeniedError: the user is not a supervisor, or is the note's author.
    """
    note = load_note(session, note_id)
    if note.status != NoteStatus.AWAITING_COSIGN.value:
        raise ConflictError(f"Note {note_id} is not awaiting a co-signature.")
    supervisor = active_user(session, supervisor_id)
    if Role.SUPERVISOR not in supervisor.role_set:
        raise PermissionDeniedError("Only a supervisor can co-sign notes.")
    if supervisor.id == note.author_id:
        raise PermissionDeniedError("A supervisor cannot co-sign their own note.")
    moment = now_ms(now)
    note.status = NoteStatus.SIGNED.value
    note.cosigned_by_id = supervisor.id
    note.cosigned_at = moment
    note.updated_at = moment
    session.flush()
    audit.record(session, actor, "cosign", "note", note_id, {"client_id": note.client_id})
    return note_info(session, note)


def add_addendum(
    session: Session,
    note_id: int,
    text: str,
    *,
    author_id: int,
    actor: str | None,
    now: dt.datetime | None = None,
) -> AddendumInfo:
    """Attach a signed, hashed correction or late entry to a signed note (the note itself never changes).

    Raises:
        ConflictError: the note is a draft (edit it instead).  UserInputError: empty text.
    """
    body = text.strip()
    if not body:
        raise UserInputError("An addendum needs some text.")
    take_write_lock(session)
    note = load_note(session, note_id)
    if note.status == NoteStatus.DRAFT.value or note.hash is None:
        raise ConflictError(f"Note {note_id} is a draft; edit the draft instead of adding an addendum.")
    author = writer(session, author_id)
    moment = now_ms(now)
    prev = chain_tail(session, note.client_id)
    digest = content_hash(
        addendum_content(
            note_hash=note.hash,
            author=author.username,
            written_at=iso_utc(moment),
            text=body,
            signed_at=iso_utc(moment),
            prev_hash=prev,
        )
    )
    row = Addendum(
        note_id=note_id,
        author_id=author.id,
        written_at=moment,
        text=body,
        signed_at=moment,
        hash=digest,
        prev_hash=prev,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "addendum",
        "note",
        note_id,
        {"client_id": note.client_id, "addendum_id": row.id, "hash": digest},
    )
    name = people(session)[author.id]
    return AddendumInfo(row.id, note_id, author.id, author.username, name, moment, body, moment, digest, prev)
