"""Check a practice file end to end: pages, structure, foreign keys, the protective triggers, the audit chain
(against its anchor in the key file), the notes' chains, and every final record against its digest.

``stagewise verify PATH`` prints :meth:`VerifyReport.lines` and exits 0 only when :attr:`VerifyReport.ok`;
the restore drill runs the same checks on a restored copy.  ``cipher_integrity_check`` reads every page,
so the app runs :func:`verify_practice` off the UI thread.

Sessions: a maintenance job.  It takes the practice and owns one short read-only session for the chain
checks; the page-by-page integrity check runs on a plain connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.orm import Session

from stagewise.core.audit import seals, trail as audit
from stagewise.core.errors import IntegrityError, StagewiseError
from stagewise.core.models import Base
from stagewise.core.notes.chain import verify_chains
from stagewise.core.storage import anchor, keys, protections

if TYPE_CHECKING:
    from stagewise.core.storage.engine import Practice

log = logging.getLogger(__name__)

# Tables whose rows are never deleted: a backup can never hold more of them than the live file.
APPEND_ONLY = frozenset({"audit_event", "stage_record", "administration", "addendum"})


def table_counts(session: Session) -> dict[str, int]:
    """Rows per table of the practice schema, in a stable (alphabetical) order."""
    counts: dict[str, int] = {}
    for name in sorted(Base.metadata.tables):
        counts[name] = int(session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
    return counts


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Everything ``verify`` found.  ``ok`` only when every check passed."""

    integrity: tuple[str, ...]  # cipher_integrity_check, quick_check and foreign-key problems
    chain: audit.ChainReport
    note_chain: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    protections: tuple[str, ...] = ()  # missing, changed or foreign triggers, by name
    protections_expected: int = 0
    records: tuple[str, ...] = ()  # final records whose digest or hash does not match the audit log
    records_checked: int = 0
    anchor: tuple[int, str] | None = None  # the key file's anchor that the audit chain was checked against
    anchor_problem: str | None = None
    digests_checked: bool = True  # False for a file from before digests (revision 0002), not yet upgraded

    @property
    def problems(self) -> list[str]:
        """Every problem, one line each, most fundamental first (a damaged page explains a broken chain)."""
        found = [f"page or structure check: {p}" for p in self.integrity]
        found += [f"protection: {p}" for p in self.protections]
        if self.anchor_problem is not None:
            found.append(f"key file: {self.anchor_problem}")
        if not self.chain.ok:
            found.append(f"audit log: event {self.chain.first_broken_id} {self.chain.reason}")
        found += [f"note chain: {p}" for p in self.note_chain]
        found += [f"record: {p}" for p in self.records]
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """A short report for people (ids and counts only, no client data)."""
        out = [
            "Pages and structure: " + ("ok" if not self.integrity else f"{len(self.integrity)} problem(s)"),
            "Protective triggers: "
            + (
                f"ok ({self.protections_expected} present and unmodified)"
                if not self.protections
                else f"{len(self.protections)} problem(s)"
            ),
            "Audit log: "
            + (
                f"ok ({self.chain.events} events)"
                if self.chain.ok
                else f"broken at event {self.chain.first_broken_id}: {self.chain.reason}"
            ),
        ]
        out.append(
            "Audit anchor (key file): "
            + (
                self.anchor_problem
                if self.anchor_problem is not None
                else "none recorded yet"
                if self.anchor is None
                else f"event {self.anchor[0]}"
            )
        )
        out.append(
            "Note hash chains: " + ("ok" if not self.note_chain else f"{len(self.note_chain)} problem(s)")
        )
        out.append(
            "Final records against their digests: "
            + (
                "not checked (the file is from before digests were recorded; opening it upgrades it)"
                if not self.digests_checked
                else f"ok ({self.records_checked} records)"
                if not self.records
                else f"{len(self.records)} problem(s)"
            )
        )
        out.append("Records: " + ", ".join(f"{name} {n}" for name, n in self.counts.items() if n))
        out += [f"PROBLEM: {p}" for p in self.problems]
        return out


def verify_practice(practice: Practice) -> VerifyReport:
    """Run every check on an open practice.  Reads the whole file; writes nothing.

    Checks: ``PRAGMA cipher_integrity_check`` (every page's HMAC), ``PRAGMA quick_check``,
    ``PRAGMA foreign_key_check``; every protective trigger present with its expected SQL
    (``protections.py``); the audit hash chain (first broken link), checked against the anchor in the key
    file (``anchor.py``) so a cut-off tail is caught; the notes' hash chains (``notes.verify_chains``) when
    the notes module provides it; every final record against the newest digest the audit log holds for it,
    and every audit event recording a note's or addendum's hash against that record (``seals.py``).
    """
    from stagewise.core.storage import store

    integrity = tuple(store.integrity_problems(practice.engine))
    anchored, anchor_problem = _key_file_anchor(practice)
    records: tuple[str, ...] = ()
    checked = 0
    digests_checked = False
    with practice.session_factory() as s:
        try:
            with practice.engine.connect() as conn:
                protection_problems = tuple(protections.problems(conn))
            revision = s.execute(text("SELECT max(version_num) FROM alembic_version")).scalar()
            expected = protections.count(revision)
            chain = audit.verify_chain(s, anchor=anchored)
            counts = table_counts(s)
            note_problems = tuple(verify_chains(s))
            sealed: list[str] = []
            if seals.expected_in(revision):  # older files get their digests when they are upgraded
                sealed, checked = seals.problems(s)
                digests_checked = True
            records = (*sealed, *seals.hash_event_problems(s))
        except Exception as exc:  # a damaged file can fail mid-read; report it rather than crash
            if not integrity:
                raise
            log.warning("verify could not read the practice past a damaged page: %s", type(exc).__name__)
            chain = audit.ChainReport(0, 0, "could not be read (the file is damaged)")
            counts, note_problems, protection_problems, expected = {}, (), (), 0
    report = VerifyReport(
        integrity,
        chain,
        note_problems,
        counts,
        protection_problems,
        expected,
        records,
        checked,
        anchored,
        anchor_problem,
        digests_checked,
    )
    log.info("verify of practice %s: %s", practice.practice_id, "ok" if report.ok else "problems found")
    return report


def _key_file_anchor(practice: Practice) -> tuple[tuple[int, str] | None, str | None]:
    """The key file's audit anchor as ``(id, hash)``, or the reason it cannot be used."""
    try:
        found = anchor.read(keys.KeyFile.read(practice.keyfile_path), practice.key)
    except IntegrityError as exc:
        return None, str(exc)
    except StagewiseError as exc:
        return None, f"the key file cannot be read ({exc})"
    return (None if found is None else found.as_tuple()), None
