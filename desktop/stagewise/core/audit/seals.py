"""Digests of final clinical records, written into the audit chain and checked by ``verify``.

A record is *final* once the clinic relies on it: a signed (or awaiting co-signature) note, an addendum, a
completed or voided administration with its answers and result, every score result, risk alert, stage
record and intervention decision.  Triggers (``ddl.py``) refuse to change or delete them; this module makes
any change that gets past the database (triggers dropped, raw page edits with the key) detectable:

* **digest** = ``sha256(canonical_json([kind, column values as stored]))`` over the columns of
  :data:`KINDS` (fixed per kind: a later column does not change old digests);
* whenever a session flushes a new or changed final record, its digest is written into an audit event
  (action ``seal``, ``details = {"digests": {"administration:12": "…", …}}``) just before the action's
  own audit event, in the same transaction, by the same user; a transaction that changes a final record
  without writing any audit event gets its ``seal`` event at commit;
* :func:`problems` recomputes every final record's digest and compares it with the newest one the audit
  log holds: a changed record, a deleted one (its digest is still in the chain) and one added outside
  Stagewise (no digest) are each reported by name.  The audit chain itself is anchored outside the file
  (``anchor.py``), so deleting a record together with the newest audit events is caught as well.

Digests cover ids and stored values only, never client names in the audit details.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.models import (
    Addendum,
    Administration,
    InterventionDecision,
    Note,
    RiskAlert,
    ScoreResult,
    StageRecord,
)
from stagewise.core.storage import rawdb
from stagewise.migrations import REVISIONS

SEAL_ACTION = "seal"
SINCE = "0002"  # the schema revision from which every final record's digest is in the audit log
_PENDING = "stagewise.seals.pending"
_CHUNK = 500
BATCH = 5000  # digests per seal event when sealing in bulk (demo, upgrade)
SHOWN_PER_PROBLEM = 20  # lines per kind and problem before "… and N more"


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of final record: its table, the columns its digest covers, and when a row is final."""

    label: str  # for people: "administration"
    table: str
    columns: tuple[str, ...]  # "id" first
    final: str  # SQL condition


KINDS: dict[str, Kind] = {
    k.table: k
    for k in (
        Kind(
            "signed note",
            "note",
            (
                "id", "client_id", "template_id", "template_version", "author_id", "written_at", "updated_at",
                "status", "fields", "signed_at", "signed_by_id", "hash", "prev_hash", "cosigned_by_id",
                "cosigned_at",
            ),
            "status != 'draft'",
        ),
        Kind(
            "addendum",
            "addendum",
            ("id", "note_id", "author_id", "written_at", "text", "signed_at", "hash", "prev_hash"),
            "1",
        ),
        Kind(
            "administration",
            "administration",
            (
                "id", "client_id", "focus_id", "form_id", "form_version", "form_version_id",
                "scoring_version", "mode", "by_user_id", "started_at", "completed_at", "status",
                "void_reason", "voided_at", "answers", "current_item", "result", "behaviour_text",
                "edit_seconds",
            ),
            "status != 'in_progress'",
        ),
        # ``current`` is left out: files from before revision 0002 flipped it on a re-score.
        Kind(
            "score result",
            "score_result",
            ("id", "administration_id", "form_version", "scoring_version", "result", "computed_at"),
            "1",
        ),
        Kind(
            "risk alert",
            "risk_alert",
            (
                "id", "client_id", "administration_id", "flag", "raised_at", "acknowledged_by_id",
                "acknowledged_at", "action_taken", "addressed_at", "item_id", "addressed_by_id",
                "addressed_note",
            ),
            "1",
        ),
        Kind(
            "stage record",
            "stage_record",
            (
                "id", "client_id", "focus_id", "proposed", "stage", "basis", "reason", "administration_id",
                "by_user_id", "recorded_at", "effective",
            ),
            "1",
        ),
        Kind(
            "intervention decision",
            "intervention_decision",
            (
                "id", "client_id", "focus_id", "stage_record_id", "intervention_id", "title", "model",
                "stage", "decision", "reason", "by_user_id", "decided_at",
            ),
            "1",
        ),
    )
}  # fmt: skip

_KIND_OF: dict[type, str] = {
    Note: "note",
    Addendum: "addendum",
    Administration: "administration",
    ScoreResult: "score_result",
    RiskAlert: "risk_alert",
    StageRecord: "stage_record",
    InterventionDecision: "intervention_decision",
}


# ``audit.canonical_json`` with one encoder reused (the same text; verify digests every final record).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(kind: str, row: Iterable[Any]) -> str:
    """The digest of one stored row (its values in :data:`KINDS` column order)."""
    return hashlib.sha256(_ENCODER.encode([kind, *row]).encode("utf-8")).hexdigest()


def _rows(session: Session, kind: str, ids: list[int] | None) -> Iterator[tuple[int, str]]:
    """Stored values straight from the driver (no type processing): exactly what is on disk."""
    k = KINDS[kind]
    sql = f'SELECT {", ".join(k.columns)} FROM "{k.table}" WHERE ({k.final})'
    statements = (
        [sql + " ORDER BY id"]
        if ids is None
        else [
            f"{sql} AND id IN ({', '.join(str(int(i)) for i in ids[start : start + _CHUNK])})"
            for start in range(0, len(ids), _CHUNK)
        ]
    )
    cursor = rawdb.dbapi_connection(session).cursor()
    try:
        for statement in statements:
            for row in cursor.execute(statement):
                yield int(row[0]), digest(kind, row)
    finally:
        cursor.close()


def digests(session: Session, kind: str, ids: Iterable[int] | None = None) -> dict[int, str]:
    """``id -> digest`` of the final records of ``kind`` (all of them, or those of ``ids``)."""
    return dict(_rows(session, kind, None if ids is None else sorted(set(ids))))


# --------------------------------------------------------------------------------------------------------
# Writing seals


def _after_flush(session: Session, _context: Any) -> None:
    pending: set[tuple[str, int]] | None = None
    for obj in (*session.new, *session.dirty):
        kind = _KIND_OF.get(type(obj))
        if kind is None or (obj not in session.new and not session.is_modified(obj)):
            continue
        if pending is None:
            pending = session.info.setdefault(_PENDING, set())
        pending.add((kind, int(obj.id)))


def _take(session: Session) -> dict[str, str]:
    session.flush()
    pending: set[tuple[str, int]] = session.info.pop(_PENDING, set())
    by_kind: dict[str, list[int]] = {}
    for kind, rid in pending:
        by_kind.setdefault(kind, []).append(rid)
    out: dict[str, str] = {}
    for kind in sorted(by_kind):
        out.update({f"{kind}:{rid}": d for rid, d in sorted(digests(session, kind, by_kind[kind]).items())})
    return out


def _before_audit_event(session: Session, username: str | None) -> None:
    found = _take(session)
    if found:
        audit.record(session, username, SEAL_ACTION, "records", None, {"digests": found})


def _before_commit(session: Session) -> None:
    _before_audit_event(session, None)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Seal final records on every session of this process (idempotent; ``store`` calls it on import)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        audit.before_record(_before_audit_event)


def seal_all(session: Session, actor: str | None = None, *, reason: str) -> int:
    """Write the digest of every final record, :data:`BATCH` to an event; returns how many.

    For records written in bulk outside the ORM (the demo generator) and for the records already final
    when a file is upgraded to revision 0002 (``reason`` says which, e.g. ``"upgrade"``).
    """
    total = 0
    batch: dict[str, str] = {}
    for kind in KINDS:
        for rid, d in _rows(session, kind, None):
            batch[f"{kind}:{rid}"] = d
            if len(batch) >= BATCH:
                audit.record(
                    session, actor, SEAL_ACTION, "records", None, {"digests": batch, "reason": reason}
                )
                total += len(batch)
                batch = {}
    if batch:
        audit.record(session, actor, SEAL_ACTION, "records", None, {"digests": batch, "reason": reason})
        total += len(batch)
    session.info.pop(_PENDING, None)
    return total


# --------------------------------------------------------------------------------------------------------
# Checking seals


# Revisions that rewrite columns a digest covers (0003 files PHQ-9 and GAD-7 administrations without a
# focus): upgrading across one seals every final record again, as it now is.
RESEALING_REVISIONS = ("0003",)


def resealed_by_upgrade(revision: str | None) -> bool:
    """Whether upgrading a file at ``revision`` crosses a revision in :data:`RESEALING_REVISIONS`."""
    if revision is None or revision not in REVISIONS:
        return False
    return any(r in REVISIONS and REVISIONS.index(revision) < REVISIONS.index(r) for r in RESEALING_REVISIONS)


def expected_in(revision: str | None) -> bool:
    """Whether a file at schema ``revision`` has every final record's digest (None: a new file)."""
    if revision is None or revision not in REVISIONS:
        return True
    return REVISIONS.index(revision) >= REVISIONS.index(SINCE)


def sealed(session: Session) -> dict[str, dict[int, tuple[int, str]]]:
    """``kind -> id -> (audit event id, digest)``: the newest digest the audit log holds for each record."""
    out: dict[str, dict[int, tuple[int, str]]] = {kind: {} for kind in KINDS}
    rows = session.execute(
        text("SELECT id, details FROM audit_event WHERE action = :a ORDER BY id"), {"a": SEAL_ACTION}
    )
    for event_id, details in rows:
        try:
            found = json.loads(details).get("digests", {})
        except (ValueError, AttributeError):
            continue  # an altered event breaks the audit chain; verify reports it there
        for key, value in found.items():
            kind, _, rid = str(key).partition(":")
            if kind in out and rid.isdigit():
                out[kind][int(rid)] = (int(event_id), str(value))
    return out


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= SHOWN_PER_PROBLEM:
        return lines
    return [*lines[:SHOWN_PER_PROBLEM], f"… and {len(lines) - SHOWN_PER_PROBLEM} more {what}"]


def problems(session: Session) -> tuple[list[str], int]:
    """Every final record whose digest differs from, or is missing in, the audit log, and every digest
    whose record is gone.  Returns ``(one line per problem, records checked)``; ids only."""
    recorded = sealed(session)
    out: list[str] = []
    checked = 0
    for kind, k in KINDS.items():
        live = digests(session, kind)
        checked += len(live)
        seals = recorded[kind]
        changed, unsealed = [], []
        for rid, d in live.items():
            have = seals.get(rid)
            if have is None:
                unsealed.append(f"{k.label} {rid} has no digest in the audit log (added outside Stagewise)")
            elif have[1] != d:
                changed.append(
                    f"{k.label} {rid} was changed after it was recorded "
                    f"(audit event {have[0]} holds its digest)"
                )
        gone = [
            f"{k.label} {rid} is missing or no longer final, but audit event {ev} holds its digest "
            "(it was deleted or reopened)"
            for rid, (ev, _) in sorted(seals.items())
            if rid not in live
        ]
        out += _capped(changed, f"changed {k.label}s")
        out += _capped(gone, f"missing {k.label}s")
        out += _capped(unsealed, f"{k.label}s without a digest")
    return out, checked


def hash_event_problems(session: Session) -> list[str]:
    """Cross-check each audit event that records a note's or an addendum's hash against that record."""
    notes = {int(i): h for i, h in session.execute(text("SELECT id, hash FROM note WHERE status != 'draft'"))}
    addenda = {int(i): h for i, h in session.execute(text("SELECT id, hash FROM addendum"))}
    rows = session.execute(
        text(
            "SELECT id, action, entity_id, details FROM audit_event"
            " WHERE entity = 'note' AND action IN ('sign', 'addendum') ORDER BY id"
        )
    )
    out: list[str] = []
    for event_id, action, entity_id, details in rows:
        try:
            data: Mapping[str, Any] = json.loads(details)
        except ValueError:
            continue
        recorded = data.get("hash")
        if not isinstance(recorded, str):
            continue
        if action == "sign":
            label, live = f"note {entity_id}", notes.get(int(entity_id)) if str(entity_id).isdigit() else None
        else:
            aid = data.get("addendum_id")
            label, live = f"addendum {aid}", addenda.get(aid) if isinstance(aid, int) else None
        if live is None:
            out.append(f"audit event {event_id} records the hash of {label}, which is missing (deleted)")
        elif live != recorded:
            out.append(f"audit event {event_id} records a hash that {label} no longer has (altered)")
    return _capped(out, "audit events whose record does not match")
