"""Check a practice file end to end: pages, structure, foreign keys, the audit chain, the notes' chains.

``stagewise verify PATH`` prints :meth:`VerifyReport.lines` and exits 0 only when :attr:`VerifyReport.ok`;
the restore drill runs the same checks on a restored copy.  ``cipher_integrity_check`` reads every page,
so the app runs :func:`verify_practice` off the UI thread.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.models import Base

if TYPE_CHECKING:
    from stagewise.core.storage.store import Practice

log = logging.getLogger(__name__)

# Tables whose rows are never deleted: a backup can never hold more of them than the live file.
APPEND_ONLY = frozenset({"audit_event", "stage_record", "administration", "addendum"})


def table_counts(session: Session) -> dict[str, int]:
    """Rows per table of the practice schema, in a stable (alphabetical) order."""
    counts: dict[str, int] = {}
    for name in sorted(Base.metadata.tables):
        counts[name] = int(session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
    return counts


def _note_chain_check() -> Callable[[Session], list[str]] | None:
    """``notes.verify_chains`` (or ``note_chain.verify_chains``) if this installation has it.

    Imported defensively: the notes modules are optional for verify, which then says it did not check.
    """
    for name in ("stagewise.core.notes.drafts", "stagewise.core.notes.chain"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        check: Callable[[Session], list[str]] | None = getattr(module, "verify_chains", None)
        if check is not None:
            return check
    return None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Everything ``verify`` found.  ``ok`` only when every check passed."""

    integrity: tuple[str, ...]  # cipher_integrity_check, quick_check and foreign-key problems
    chain: audit.ChainReport
    note_chain: tuple[str, ...]
    note_chain_checked: bool  # False when this installation has no note-chain check
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        """Every problem, most fundamental first (a damaged page explains a broken chain)."""
        found = [f"page or structure check: {p}" for p in self.integrity]
        if not self.chain.ok:
            found.append(f"audit log: event {self.chain.first_broken_id} {self.chain.reason}")
        found += [f"note chain: {p}" for p in self.note_chain]
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """A short report for people (ids and counts only, no client data)."""
        out = [
            "Pages and structure: " + ("ok" if not self.integrity else f"{len(self.integrity)} problem(s)"),
            "Audit log: "
            + (
                f"ok ({self.chain.events} events)"
                if self.chain.ok
                else f"broken at event {self.chain.first_broken_id}: {self.chain.reason}"
            ),
        ]
        if not self.note_chain_checked:
            out.append("Note hash chains: not checked (this installation has no note-chain check)")
        else:
            out.append(
                "Note hash chains: " + ("ok" if not self.note_chain else f"{len(self.note_chain)} problem(s)")
            )
        out.append("Records: " + ", ".join(f"{name} {n}" for name, n in self.counts.items() if n))
        out += [f"PROBLEM: {p}" for p in self.problems]
        return out


def verify_practice(practice: Practice) -> VerifyReport:
    """Run every check on an open practice.  Reads the whole file; writes nothing.

    Checks: ``PRAGMA cipher_integrity_check`` (every page's HMAC), ``PRAGMA quick_check``,
    ``PRAGMA foreign_key_check``, the audit hash chain (first broken link), and the notes' hash chains
    (``notes.verify_chains``) when the notes module provides it.
    """
    from stagewise.core.storage import store

    integrity = tuple(store.integrity_problems(practice.engine))
    check_notes = _note_chain_check()
    with practice.session_factory() as s:
        try:
            chain = audit.verify_chain(s)
            counts = table_counts(s)
            note_problems = tuple(check_notes(s)) if check_notes is not None else ()
        except Exception as exc:  # a damaged file can fail mid-read; report it rather than crash
            if not integrity:
                raise
            log.warning("verify could not read the practice past a damaged page: %s", type(exc).__name__)
            chain = audit.ChainReport(0, 0, "could not be read (the file is damaged)")
            counts, note_problems = {}, ()
    report = VerifyReport(integrity, chain, note_problems, check_notes is not None, counts)
    log.info("verify of practice %s: %s", practice.practice_id, "ok" if report.ok else "problems found")
    return report
