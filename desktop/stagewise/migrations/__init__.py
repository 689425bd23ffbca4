"""Alembic migrations for the practice file.

``REVISIONS`` lists every revision id in ``versions/``, oldest first, so that opening a practice can tell
whether its schema is current without importing Alembic or parsing the revision scripts (≈0.3 s on every
open).  Add each new revision's id here; ``tests/core/test_migrate.py`` checks that the tuple matches what
Alembic's ``ScriptDirectory`` reports.
"""

from __future__ import annotations

from typing import Any

REVISIONS: tuple[str, ...] = ("0001", "0002", "0003")

VERSION_TABLE = "alembic_version"


def stored_revisions(conn: Any) -> list[str] | None:
    """The revision ids in a practice's ``alembic_version`` table (one, unless branched), or None when
    the file has no version table yet.  Plain SQL on a DBAPI connection: no Alembic, no SQLAlchemy."""
    cur = conn.cursor()
    try:
        exists = cur.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchone()
        if exists is None:
            return None
        return [str(row[0]) for row in cur.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
    finally:
        cur.close()
