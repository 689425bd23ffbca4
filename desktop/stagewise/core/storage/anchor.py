"""The audit chain's head, written down outside the practice file.

A hash chain cannot show that its newest links were cut off: a shorter chain still verifies.  So the id and
hash of the newest audit event are also kept

* in the key file (``anchor``), authenticated with an HMAC-SHA256 under a key derived (HKDF-SHA256, info
  ``stagewise anchor v1``) from the database key, so nobody without the key can write a believable one;
  it moves forward when the practice is opened (:func:`stagewise.core.storage.store.open_practice`) and
  at every backup;
* in each backup's key file, naming the newest event of that backup (:func:`stamp`).

``verify`` passes the key file's anchor to :func:`stagewise.core.audit.trail.verify_chain`: when the anchored
event is missing or differs, events were removed or changed since, even if every link still verifies.
Because every final record's digest is in the audit chain (``seals.py``), this anchors all of them.
An anchor only moves forward from an event that is still in the chain, so reopening a truncated file
never overwrites the evidence.

Sessions: :func:`advance` takes the practice and owns one short read session (the chain's head).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from stagewise.core.audit.trail import canonical_json
from stagewise.core.errors import IntegrityError
from stagewise.core.storage import keys

if TYPE_CHECKING:
    from stagewise.core.storage.engine import Practice

log = logging.getLogger(__name__)

_INFO = b"stagewise anchor v1"


@dataclass(frozen=True, slots=True)
class Anchor:
    """The newest audit event known from outside the file."""

    audit_id: int
    audit_hash: str

    def as_tuple(self) -> tuple[int, str]:
        return self.audit_id, self.audit_hash


def _mac(key: bytes, practice_id: str, audit_id: int, audit_hash: str) -> str:
    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key)
    message = canonical_json([practice_id, audit_id, audit_hash]).encode("utf-8")
    return hmac.new(mac_key, message, hashlib.sha256).hexdigest()


def head(session: Session) -> Anchor | None:
    """The newest audit event of the practice (None if it has none)."""
    row = session.execute(text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")).first()
    return None if row is None else Anchor(int(row[0]), str(row[1]))


def read(keyfile: keys.KeyFile, key: bytes) -> Anchor | None:
    """The key file's anchor, or None if it has none.

    Raises:
        IntegrityError: the anchor is there but does not authenticate under ``key`` (the key file was
            edited, or it belongs to another key).
    """
    doc = keyfile.anchor
    if doc is None:
        return None
    try:
        found = Anchor(int(doc["audit_id"]), str(doc["audit_hash"]))
        ok = hmac.compare_digest(str(doc["mac"]), _mac(key, keyfile.practice_id, *found.as_tuple()))
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise IntegrityError("the audit anchor in the key file is not authentic (the key file was edited)")
    return found


def stamp(keyfile: keys.KeyFile, key: bytes, at: Anchor) -> None:
    """Set ``keyfile``'s anchor to ``at``, authenticated with ``key`` (the caller writes the file)."""
    keyfile.anchor = {
        "audit_id": at.audit_id,
        "audit_hash": at.audit_hash,
        "mac": _mac(key, keyfile.practice_id, *at.as_tuple()),
    }


def holds(session: Session, at: Anchor) -> bool:
    """Whether the practice still has the anchored event, unchanged."""
    found = session.execute(text("SELECT hash FROM audit_event WHERE id = :i"), {"i": at.audit_id}).scalar()
    return found == at.audit_hash


def advance(practice: Practice) -> None:
    """Move the key file's anchor to the newest audit event, if the current anchor is still in the chain.

    Never raises: a practice that cannot be anchored (damaged file, read-only folder, anchor no longer in
    the chain) keeps its old anchor, which is what lets ``verify`` show what happened.
    """
    advance_at(practice.keyfile_path, practice.key, practice.engine)


def advance_at(keyfile_path: Path, key: bytes, engine: Engine) -> None:
    """:func:`advance` for the practice behind ``engine`` whose key file is at ``keyfile_path``."""
    try:
        keyfile = keys.KeyFile.read(keyfile_path)
        current = read(keyfile, key)
        with Session(engine) as s:
            newest = head(s)
            if newest is None or newest == current:
                return
            if current is not None and not holds(s, current):
                log.warning("practice %s no longer holds its anchored audit event", keyfile.practice_id)
                return
        stamp(keyfile, key, newest)
        keyfile.write(keyfile_path)
    except Exception as exc:  # opening or a backup must not fail because the anchor could not move
        log.warning("audit anchor not moved: %s", type(exc).__name__)


def stamp_file(keyfile_path: Path, key: bytes, at: Anchor | None) -> None:
    """Write ``at`` as the anchor of the key file at ``keyfile_path`` (a backup's copy)."""
    if at is None:
        return
    keyfile = keys.KeyFile.read(keyfile_path)
    stamp(keyfile, key, at)
    keyfile.write(keyfile_path)
