"""Schema migrations (Alembic), applied when a practice is opened.

Before any migration runs, an encrypted backup of the file is written beside it; if the migration fails
the backup is put back and :class:`MigrationError` says so.  A file whose revision this Stagewise does not
know was written by a newer version and is refused without being touched.

Sessions: a maintenance job.  It owns the one transaction that upgrades the schema, on its own engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from stagewise.migrations import REVISIONS, stored_revisions

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic (0.1–0.3 s to import and parse the revision scripts, by load) is imported only when a migration is
# pending or the scripts are not the shipped ones: the usual open reads ``alembic_version`` with plain SQL
# and compares it with ``stagewise.migrations.REVISIONS``.

log = logging.getLogger(__name__)

# Set this environment variable (to anything) to make the next migration fail after its changes ran but
# before they commit: tests and support staff use it to prove that a failed upgrade restores the backup.
FAILURE_INJECTION_ENV = "STAGEWISE_FAIL_MIGRATION"

# Where the revisions live.  Tests point it at a temporary copy holding an extra revision; any other
# location than the shipped one is read through Alembic instead of ``REVISIONS``.
SHIPPED_SCRIPT_LOCATION = Path(__file__).resolve().parents[2] / "migrations"
SCRIPT_LOCATION = SHIPPED_SCRIPT_LOCATION


def _shipped() -> bool:
    """Whether the revisions are the shipped ones (so ``REVISIONS`` describes them)."""
    return Path(SCRIPT_LOCATION) == SHIPPED_SCRIPT_LOCATION


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    return cfg


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this version's schema revisions (else a newer Stagewise wrote it)."""
    if _shipped():
        return revision in REVISIONS
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises its own resolution errors for an unknown id
        return False


def head_revision() -> str:
    """The newest schema revision this version of Stagewise knows."""
    if _shipped():
        return REVISIONS[-1]
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The file's schema revision (``alembic_version``), None when the file has no schema yet.

    Plain SQL, the same answer as Alembic's ``MigrationContext.get_current_revision``; a version table
    with several rows (branches, which Stagewise never has) is left to Alembic to explain.
    """
    rows = stored_revisions(conn.connection.driver_connection)
    if rows is None:
        return None
    if len(rows) > 1:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return rows[0] if rows else None


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None
    head: str
    known: bool  # the current revision is one of ours

    @property
    def has_schema(self) -> bool:
        return self.current is not None

    @property
    def newer(self) -> bool:
        return self.current is not None and not self.known

    @property
    def pending(self) -> bool:
        return self.known and self.current != self.head


def state(engine: Engine) -> SchemaState:
    """Where the file's schema stands relative to this version of Stagewise."""
    with engine.connect() as conn:
        current = current_revision(conn)
    known = current is None or is_known_revision(current)
    return SchemaState(current, head_revision(), known)


def upgrade_to_head(engine: Engine, *, before_commit: Callable[[], None] | None = None) -> None:
    """Apply every pending migration in one transaction (SQLite DDL is transactional).

    Args:
        engine: the practice's engine.
        before_commit: called after the migrations ran, before they commit (failure injection).
    """
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if before_commit is not None:
            before_commit()
