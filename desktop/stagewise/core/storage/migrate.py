"""Schema migrations (Alembic), applied when a practice is opened.

Before any migration runs, an encrypted backup of the file is written beside it; if the migration fails
the backup is put back and :class:`MigrationError` says so.  A file whose revision this Stagewise does not
know was written by a newer version and is refused without being touched.

Sessions: a maintenance job.  It owns the one transaction that upgrades the schema, on its own engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from stagewise.core.errors import MigrationError
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


def upgrade_with_backup(engine: Engine, path: Path, key: bytes) -> Engine:
    """Back up, migrate, and on failure put the backup back.  Returns the engine to use afterwards.

    The backup (``<file>.pre-upgrade-<revision>`` with its key file) is written and verified before any
    change, and kept afterwards.  Success is recorded in the maintenance log and the audit log.

    Raises:
        MigrationError: the upgrade failed; the message names the backup that was put back.
        DiskError: the backup could not be written (nothing was changed).
    """
    from stagewise.core.audit import trail as audit
    from stagewise.core.models import MaintenanceLog
    from stagewise.core.storage.backup import put_back, write_backup

    current = state(engine)
    backup = path.with_name(f"{path.name}.pre-upgrade-{current.current}")
    write_backup(engine, backup, key)
    log.info("migrating practice schema %s -> %s (backup written)", current.current, current.head)
    try:
        upgrade_to_head(engine, before_commit=_maybe_inject_failure)
    except Exception as exc:
        engine.dispose()
        put_back(backup, path)
        raise MigrationError(
            f"Updating {path.name} to this version of Stagewise failed; the file was restored from the "
            f"backup taken just before ({backup.name}). Nothing was lost. Please report this problem."
        ) from exc
    with Session(engine) as s, s.begin():
        s.add(MaintenanceLog(kind="migration", ok=True, target=backup.name, message=None))
        details = {"from": current.current, "to": current.head, "backup": backup.name}
        audit.record(s, None, "migrate", "practice", None, details)
        from stagewise.core.audit import seals

        if current.current is not None and not seals.expected_in(current.current):
            # Records that became final before digests existed are sealed as they are now (seals.py).
            seals.seal_all(s, reason="upgrade")
    return engine


def _maybe_inject_failure() -> None:
    if os.environ.get(FAILURE_INJECTION_ENV):
        raise RuntimeError("injected migration failure (test)")
