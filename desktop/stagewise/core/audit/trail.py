"""Append-only, hash-chained audit log.

Every create, update, chart view, sign, print, export, backup, restore and sign-in writes one event in the
same transaction as the change it describes.  Each event's hash covers its own fields and the previous
event's hash, so an edited, inserted or deleted event breaks the chain at that point; triggers
(``ddl.AUDIT_TRIGGERS``) refuse UPDATE and DELETE even from raw SQL.

``details`` carries ids, counts and short codes only, never client names or note text.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from stagewise.core.models import AuditEvent, iso_utc, utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64

# The actions the app records; a new kind of event gets a name here first.
ACTIONS = frozenset(
    {
        "create",
        "update",
        "view",
        "sign",
        "cosign",
        "addendum",
        "void",
        "print",
        "export",
        "import",
        "backup",
        "restore",
        "drill",
        "sign_in",
        "sign_in_failed",
        "sign_out",
        "lock",
        "unlock",
        "acknowledge",
        "decide",
        "rekey",
        "change_passphrase",
        "new_recovery_key",
        "custodian",
        "migrate",
        "seal",
    }
)

# Called by :func:`record` before it writes any event but a ``seal``: ``seals`` writes the digests of the
# final records this transaction changed into the chain just before the action's own event.
_BEFORE_RECORD: list[Callable[[Session, str | None], None]] = []


def before_record(hook: Callable[[Session, str | None], None]) -> None:
    """Run ``hook(session, username)`` before every non-``seal`` event is written (once per hook)."""
    if hook not in _BEFORE_RECORD:
        _BEFORE_RECORD.append(hook)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept (the form every hash in Stagewise covers)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_hash(
    prev_hash: str,
    at: str,
    username: str | None,
    action: str,
    entity: str,
    entity_id: str | None,
    details: str,
) -> str:
    """SHA-256 over the event's fields and the previous event's hash, as canonical JSON."""
    payload = canonical_json([prev_hash, at, username, action, entity, entity_id, details])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    username: str | None,
    action: str,
    entity: str,
    entity_id: object | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in ``session``'s transaction.

    Args:
        session: the caller's transaction (the event commits or rolls back with the change).
        username: who did it (None for the system itself, e.g. an automatic backup).
        action: one of :data:`ACTIONS`.
        entity: what kind of thing (``client``, ``note``, ``practice`` …).
        entity_id: its id (never a name).
        details: ids, counts and codes; never client names or note text.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if action != "seal":
        for hook in _BEFORE_RECORD:
            hook(session, username)
    # Take the write lock before reading the chain's tail, so two writers cannot both chain onto it.
    session.execute(text("UPDATE audit_event SET id = id WHERE 0"))
    prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    at = iso_utc(utcnow())
    ident = None if entity_id is None else str(entity_id)
    body = canonical_json(dict(details or {}))
    event = AuditEvent(
        at=at,
        username=username,
        action=action,
        entity=entity,
        entity_id=ident,
        details=body,
        prev_hash=prev or GENESIS,
        hash=event_hash(prev or GENESIS, at, username, action, entity, ident, body),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of walking the audit chain.

    ``head_id``/``head_hash`` identify the newest event: written down elsewhere (a backup, a printed
    verify report), they let a later check prove that no event after them was removed (see ``anchor``).
    """

    events: int
    first_broken_id: int | None  # None when the whole chain verifies
    reason: str | None
    head_id: int | None = None
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session, *, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the log in id order and report the first event whose link or hash does not verify.

    Args:
        session: any session on the practice (read only).
        anchor: ``(id, hash)`` of an event known from elsewhere (e.g. a backup's newest event); the
            chain is broken if that event is missing or differs.  Without an anchor, removing the newest
            events leaves a shorter chain that still verifies: a hash chain alone cannot detect that.
    """
    prev = GENESIS
    count = 0
    expected_id: int | None = None
    last_id: int | None = None
    anchor_seen = anchor is None
    for ev in _iter_events(session):
        count += 1
        if expected_id is None and ev.id != 1 and ev.prev_hash == GENESIS:
            return ChainReport(count, ev.id, "is the first event but not event 1")
        if expected_id is not None and ev.id != expected_id:
            return ChainReport(count, ev.id, f"event(s) before id {ev.id} are missing")
        if ev.prev_hash != prev:
            return ChainReport(count, ev.id, "does not link to the event before it")
        if (
            event_hash(ev.prev_hash, ev.at, ev.username, ev.action, ev.entity, ev.entity_id, ev.details)
            != ev.hash
        ):
            return ChainReport(count, ev.id, "its content does not match its hash")
        if anchor is not None and ev.id == anchor[0]:
            if ev.hash != anchor[1]:
                return ChainReport(count, ev.id, "differs from the copy recorded earlier (the anchor)")
            anchor_seen = True
        prev = ev.hash
        last_id = ev.id
        expected_id = ev.id + 1
    if not anchor_seen and anchor is not None:
        return ChainReport(count, anchor[0], "is missing: events recorded earlier were removed")
    return ChainReport(count, None, None, last_id, None if last_id is None else prev)


def _iter_events(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
    ).scalars()


@dataclass(frozen=True, slots=True)
class EventView:
    """One audit event as plain values, for the audit viewer."""

    id: int
    at: str
    username: str | None
    action: str
    entity: str
    entity_id: str | None
    details: dict[str, Any]


def recent(
    session: Session, *, limit: int = 200, before_id: int | None = None, action: str | None = None
) -> list[EventView]:
    """Newest events first, for the admin's audit viewer (paged by ``before_id``)."""
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        q = q.where(AuditEvent.id < before_id)
    if action is not None:
        q = q.where(AuditEvent.action == action)
    return [
        EventView(e.id, e.at, e.username, e.action, e.entity, e.entity_id, json.loads(e.details))
        for e in session.execute(q).scalars()
    ]
