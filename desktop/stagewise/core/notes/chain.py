"""Signed-note hashes, each client's hash chain, and the notes part of the interchange format.

The canonical content of a signed note, of an addendum, and the chain rules are defined here and in
``docs/notes.md`` (keep the two in step):

* note content = ``{"type": "note", "template", "template_version", "fields", "author", "written_at",
  "signed_by", "signed_at", "prev_hash"}``;
* addendum content = ``{"type": "addendum", "note_hash", "author", "written_at", "text", "signed_at",
  "prev_hash"}``;
* ``hash = sha256(canonical_json(content)).hexdigest()`` (``audit.canonical_json``: sorted keys, no
  spaces, UTF-8); timestamps as stored (``2026-01-05T09:30:00.123Z``); users by user name.

Each client's signed notes and addenda form one chain in signing order: the first links to
:data:`GENESIS`, every later one to the hash of the one signed before it.  Database ids are deliberately
not hashed, so a note keeps its hash when a practice is exported and imported elsewhere; the chain is what
ties a note to its client.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.audit.trail import canonical_json
from stagewise.core.errors import ConflictError
from stagewise.core.models import Addendum, Note, NoteStatus, User, iso_utc, parse_utc
from stagewise.core.notes.templates import TemplateLibrary, default_templates

GENESIS = audit.GENESIS
MISMATCH = "hash does not match the note's content; the note was altered after signing"
ADDENDUM_MISMATCH = "hash does not match the addendum's content; the addendum was altered after signing"


def note_content(
    *,
    template_id: str,
    template_version: str,
    fields: Mapping[str, Any],
    author: str,
    written_at: str,
    signed_by: str,
    signed_at: str,
    prev_hash: str,
) -> dict[str, Any]:
    """The exact content a note's hash covers (timestamps as stored ISO text)."""
    return {
        "type": "note",
        "template": template_id,
        "template_version": template_version,
        "fields": dict(fields),
        "author": author,
        "written_at": written_at,
        "signed_by": signed_by,
        "signed_at": signed_at,
        "prev_hash": prev_hash,
    }


def addendum_content(
    *, note_hash: str, author: str, written_at: str, text: str, signed_at: str, prev_hash: str
) -> dict[str, Any]:
    """The exact content an addendum's hash covers; ``note_hash`` ties it to the note it amends."""
    return {
        "type": "addendum",
        "note_hash": note_hash,
        "author": author,
        "written_at": written_at,
        "text": text,
        "signed_at": signed_at,
        "prev_hash": prev_hash,
    }


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of ``content``."""
    return hashlib.sha256(canonical_json(dict(content)).encode("utf-8")).hexdigest()


def take_write_lock(session: Session) -> None:
    """Hold the database's write lock before reading a chain's tail (two signers cannot fork a chain)."""
    session.execute(text("UPDATE note SET id = id WHERE 0"))


def chain_tail(session: Session, client_id: int) -> str:
    """The hash the client's next signed note or addendum links to (GENESIS for the first).

    The tail is the one record no other record follows, found by links rather than timestamps (a clock
    that jumps back cannot fork the chain).
    """
    links = session.execute(
        text(
            "SELECT signed_at, hash, prev_hash FROM note WHERE client_id = :c AND status != 'draft'"
            " UNION ALL"
            " SELECT a.signed_at, a.hash, a.prev_hash FROM addendum AS a JOIN note AS n ON n.id = a.note_id"
            " WHERE n.client_id = :c"
            " ORDER BY 1"
        ),
        {"c": client_id},
    ).all()
    if not links:
        return GENESIS
    followed = {prev or GENESIS for _, _, prev in links}
    tails = [h for _, h, _ in links if h not in followed]
    # A healthy chain has exactly one tail; on a damaged one, continue from the latest (verify reports it).
    return str(tails[-1] if tails else links[-1][1])


# --------------------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True, slots=True)
class ChainItem:
    label: str  # "note 12" or "addendum 3 (note 12)"; ids only
    hash: str
    prev_hash: str
    computed: str  # the hash recomputed from the stored content
    mismatch: str  # what to say when ``computed != hash``


def _usernames(session: Session) -> dict[int, str]:
    return {uid: name for uid, name in session.execute(select(User.id, User.username)).all()}


def _client_items(session: Session, client_id: int, names: Mapping[int, str]) -> list[ChainItem]:
    notes = session.execute(
        select(Note)
        .where(Note.client_id == client_id, Note.status != NoteStatus.DRAFT.value)
        .order_by(Note.signed_at, Note.id)
    ).scalars()
    keyed: list[tuple[str, int, ChainItem]] = []
    note_hash: dict[int, str] = {}
    for n in notes:
        assert n.hash is not None
        assert n.signed_at is not None
        note_hash[n.id] = n.hash
        content = note_content(
            template_id=n.template_id,
            template_version=n.template_version,
            fields=n.fields,
            author=names.get(n.author_id, "?"),
            written_at=iso_utc(n.written_at),
            signed_by=names.get(n.signed_by_id or -1, "?"),
            signed_at=iso_utc(n.signed_at),
            prev_hash=n.prev_hash or GENESIS,
        )
        item = ChainItem(f"note {n.id}", n.hash, n.prev_hash or GENESIS, content_hash(content), MISMATCH)
        keyed.append((iso_utc(n.signed_at), 0, item))
    if note_hash:
        addenda = session.execute(
            select(Addendum).where(Addendum.note_id.in_(note_hash)).order_by(Addendum.id)
        ).scalars()
        for a in addenda:
            content = addendum_content(
                note_hash=note_hash[a.note_id],
                author=names.get(a.author_id, "?"),
                written_at=iso_utc(a.written_at),
                text=a.text,
                signed_at=iso_utc(a.signed_at),
                prev_hash=a.prev_hash or GENESIS,
            )
            item = ChainItem(
                f"addendum {a.id} (note {a.note_id})",
                a.hash,
                a.prev_hash or GENESIS,
                content_hash(content),
                ADDENDUM_MISMATCH,
            )
            keyed.append((iso_utc(a.signed_at), 1, item))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [k[2] for k in keyed]


def chain_problems(items: Sequence[ChainItem]) -> list[tuple[str, str]]:
    """``(label, reason)`` for every item whose hash or link does not verify.

    ``items`` are in signing order.  A content change shows as "hash does not match"; a re-hashed,
    removed or inserted record shows as "chain broken" at the record that follows it.
    """
    problems = [(i.label, i.mismatch) for i in items if i.computed != i.hash]
    children: dict[str, list[ChainItem]] = {}
    for item in items:
        children.setdefault(item.prev_hash, []).append(item)
    visited: set[int] = set()
    cur = GENESIS
    while True:
        kids = [k for k in children.get(cur, []) if id(k) not in visited]
        if not kids:
            break
        for extra in kids[1:]:
            problems.append((extra.label, "chain broken: another record already follows the same record"))
            visited.add(id(extra))
        visited.add(id(kids[0]))
        cur = kids[0].hash
    known = {i.hash for i in items}
    for item in items:
        if id(item) in visited:
            continue
        if item.prev_hash not in known or item.prev_hash == GENESIS:
            problems.append((item.label, "chain broken: the record it follows is missing or was altered"))
    return problems


def verify_chains(session: Session, client_id: int | None = None) -> list[str]:
    """Check every signed note's and addendum's hash and each client's chain.

    Args:
        session: any session (read only).
        client_id: one client, or None for the whole practice.

    Returns:
        One human-readable line per problem (ids only, e.g. ``"client 4, note 12: hash does not match
        the note's content; …"``); empty when everything verifies.
    """
    names = _usernames(session)
    if client_id is None:
        clients: Iterable[int] = session.execute(
            select(Note.client_id).where(Note.status != NoteStatus.DRAFT.value).distinct()
        ).scalars()
    else:
        clients = [client_id]
    out: list[str] = []
    for cid in sorted(clients):
        out += [
            f"client {cid}, {label}: {reason}"
            for label, reason in chain_problems(_client_items(session, cid, names))
        ]
    return out


# --------------------------------------------------------------------------------------------------------
# Interchange (pure in/out; the interchange module wires these into the whole-practice file)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def export_client_notes(session: Session, client_id: int) -> list[dict[str, Any]]:
    """Every note of one client, oldest first, in the interchange shape (deterministic)."""
    names = _usernames(session)
    notes = session.execute(select(Note).where(Note.client_id == client_id).order_by(Note.id)).scalars().all()
    addenda: dict[int, list[Addendum]] = {}
    if notes:
        for a in session.execute(
            select(Addendum).where(Addendum.note_id.in_([n.id for n in notes])).order_by(Addendum.id)
        ).scalars():
            addenda.setdefault(a.note_id, []).append(a)
    out: list[dict[str, Any]] = []
    for n in notes:
        out.append(
            {
                "template": n.template_id,
                "template_version": n.template_version,
                "written_at": iso_utc(n.written_at),
                "updated_at": iso_utc(n.updated_at),
                "author": names[n.author_id],
                "fields": dict(n.fields),
                "status": n.status,
                "signed_at": _iso(n.signed_at),
                "signed_by": None if n.signed_by_id is None else names[n.signed_by_id],
                "hash": n.hash,
                "prev_hash": n.prev_hash,
                "cosigned_by": None if n.cosigned_by_id is None else names[n.cosigned_by_id],
                "cosigned_at": _iso(n.cosigned_at),
                "addenda": [
                    {
                        "written_at": iso_utc(a.written_at),
                        "author": names[a.author_id],
                        "text": a.text,
                        "signed_at": iso_utc(a.signed_at),
                        "hash": a.hash,
                        "prev_hash": a.prev_hash,
                    }
                    for a in addenda.get(n.id, [])
                ],
            }
        )
    return out


def _ts(value: Any) -> str | None:
    """Canonical ISO text of a timestamp, or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return iso_utc(parse_utc(value, strict=True))
    except ValueError:
        return None


def validate_client_notes(
    data: Any, path: str, *, usernames: set[str], templates: TemplateLibrary
) -> list[tuple[str, str]]:
    """Every problem in one client's ``notes`` list, as ``(json_path, reason)``; empty if importable.

    Recomputes the hash of each signed note and addendum from its content and checks the client's chain.
    """
    if not isinstance(data, list):
        return [(path, "must be a list of notes")]
    problems: list[tuple[str, str]] = []
    items: list[tuple[str, int, ChainItem]] = []

    def user(obj: Mapping[str, Any], key: str, p: str, *, required: bool = True) -> str | None:
        value = obj.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or value not in usernames:
            problems.append((f"{p}.{key}", f"unknown user {value!r}; import or create the user first"))
            return None
        return value

    for i, note in enumerate(data):
        p = f"{path}[{i}]"
        if not isinstance(note, dict):
            problems.append((p, "must be an object"))
            continue
        before = len(problems)
        tid = note.get("template")
        if not isinstance(tid, str) or tid not in templates:
            problems.append((f"{p}.template", f"unknown note template {tid!r}; install it first"))
        version = note.get("template_version")
        if version is None and isinstance(tid, str) and tid in templates:
            version = templates.get(
                tid
            ).version  # the minimal shape has no version: the installed one
        elif not isinstance(version, str) or not version:
            problems.append((f"{p}.template_version", "must be the template's version text"))
        fields = note.get("fields")
        if not isinstance(fields, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
        ):
            problems.append((f"{p}.fields", "must be an object of text values"))
        author = user(note, "author", p)
        status = note.get("status")
        if status not in {s.value for s in NoteStatus}:
            problems.append((f"{p}.status", "must be 'draft', 'awaiting_cosign' or 'signed'"))
        written = _ts(note.get("written_at"))
        if written is None:
            problems.append((f"{p}.written_at", "must be an ISO-8601 date and time"))
        if note.get("updated_at") is not None and _ts(note.get("updated_at")) is None:
            problems.append((f"{p}.updated_at", "must be an ISO-8601 date and time"))
        addenda = note.get("addenda", [])
        if not isinstance(addenda, list):
            problems.append((f"{p}.addenda", "must be a list"))
            addenda = []
        if status == NoteStatus.DRAFT.value:
            for key in ("signed_at", "signed_by", "hash", "prev_hash", "cosigned_by", "cosigned_at"):
                if note.get(key) is not None:
                    problems.append((f"{p}.{key}", "a draft has no signature"))
            if addenda:
                problems.append((f"{p}.addenda", "a draft cannot have addenda"))
            continue
        signed_by = user(note, "signed_by", p)
        signed_at = _ts(note.get("signed_at"))
        if signed_at is None:
            problems.append((f"{p}.signed_at", "a signed note needs its signing time"))
        note_hash = note.get("hash")
        prev = note.get("prev_hash") or GENESIS
        if not isinstance(note_hash, str) or len(note_hash) != 64:
            problems.append((f"{p}.hash", "a signed note needs its 64-character hash"))
        if status == NoteStatus.AWAITING_COSIGN.value and note.get("cosigned_by") is not None:
            problems.append((f"{p}.cosigned_by", "a note awaiting co-signature has no co-signer yet"))
        if status == NoteStatus.SIGNED.value and note.get("cosigned_by") is not None:
            user(note, "cosigned_by", p)
            if _ts(note.get("cosigned_at")) is None:
                problems.append((f"{p}.cosigned_at", "a co-signature needs its time"))
        if len(problems) > before or not isinstance(note_hash, str):
            continue
        assert isinstance(tid, str)
        assert isinstance(fields, dict)
        assert written is not None
        assert signed_at is not None
        computed = content_hash(
            note_content(
                template_id=tid,
                template_version=str(version),
                fields=fields,
                author=str(author),
                written_at=written,
                signed_by=str(signed_by),
                signed_at=signed_at,
                prev_hash=str(prev),
            )
        )
        if computed != note_hash:
            problems.append((f"{p}.hash", MISMATCH))
        items.append((signed_at, 0, ChainItem(f"{p}", note_hash, str(prev), note_hash, MISMATCH)))
        for j, add in enumerate(addenda):
            q = f"{p}.addenda[{j}]"
            if not isinstance(add, dict):
                problems.append((q, "must be an object"))
                continue
            start = len(problems)
            a_author = user(add, "author", q)
            a_written, a_signed = _ts(add.get("written_at")), _ts(add.get("signed_at"))
            if a_written is None or a_signed is None:
                problems.append((q, "written_at and signed_at must be ISO-8601 dates and times"))
            a_text, a_hash = add.get("text"), add.get("hash")
            if not isinstance(a_text, str) or not a_text.strip():
                problems.append((f"{q}.text", "must be non-empty text"))
            if not isinstance(a_hash, str) or len(a_hash) != 64:
                problems.append((f"{q}.hash", "an addendum needs its 64-character hash"))
            if len(problems) > start:
                continue
            assert isinstance(a_text, str)
            assert isinstance(a_hash, str)
            assert a_written is not None
            assert a_signed is not None
            a_prev = str(add.get("prev_hash") or GENESIS)
            a_computed = content_hash(
                addendum_content(
                    note_hash=note_hash,
                    author=str(a_author),
                    written_at=a_written,
                    text=a_text,
                    signed_at=a_signed,
                    prev_hash=a_prev,
                )
            )
            if a_computed != a_hash:
                problems.append((f"{q}.hash", ADDENDUM_MISMATCH))
            items.append((a_signed, 1, ChainItem(q, a_hash, a_prev, a_hash, ADDENDUM_MISMATCH)))
    items.sort(key=lambda k: (k[0], k[1]))
    problems += [(label, reason) for label, reason in chain_problems([k[2] for k in items])]
    return problems


def import_client_notes(
    session: Session,
    client_id: int,
    notes: Sequence[Mapping[str, Any]],
    *,
    user_ids: Mapping[str, int],
    actor: str | None,
    templates: TemplateLibrary | None = None,
) -> int:
    """Write one client's validated notes exactly as given (hashes and timestamps kept); returns the count.

    Call :func:`validate_client_notes` first.  Export → import → export gives the same bytes.

    Raises:
        ConflictError: the client already has signed notes (two chains cannot be merged).
    """
    if not notes:
        return 0
    has_chain = any(n.get("status") != NoteStatus.DRAFT.value for n in notes)
    if has_chain and chain_tail(session, client_id) != GENESIS:
        raise ConflictError(
            f"Client {client_id} already has signed notes in this practice; signed notes can only be "
            "imported into a client without any."
        )
    if templates is None:
        templates = default_templates()
    added = 0
    for n in notes:
        written = parse_utc(n["written_at"])

        def opt(key: str, src: Mapping[str, Any] = n) -> dt.datetime | None:
            value = src.get(key)
            return None if value is None else parse_utc(value)

        def uid(key: str, src: Mapping[str, Any] = n) -> int | None:
            value = src.get(key)
            return None if value is None else user_ids[value]

        row = Note(
            client_id=client_id,
            template_id=n["template"],
            template_version=str(n.get("template_version") or templates.get(n["template"]).version),
            author_id=user_ids[n["author"]],
            written_at=written,
            updated_at=opt("updated_at") or written,
            status=n["status"],
            fields=dict(n["fields"]),
            signed_at=opt("signed_at"),
            signed_by_id=uid("signed_by"),
            hash=n.get("hash"),
            prev_hash=n.get("prev_hash"),
            cosigned_by_id=uid("cosigned_by"),
            cosigned_at=opt("cosigned_at"),
        )
        session.add(row)
        session.flush()
        for a in n.get("addenda") or []:
            session.add(
                Addendum(
                    note_id=row.id,
                    author_id=user_ids[a["author"]],
                    written_at=parse_utc(a["written_at"]),
                    text=a["text"],
                    signed_at=parse_utc(a["signed_at"]),
                    hash=a["hash"],
                    prev_hash=a.get("prev_hash"),
                )
            )
        session.flush()
        added += 1
    audit.record(session, actor, "import", "client", client_id, {"notes": added})
    return added
