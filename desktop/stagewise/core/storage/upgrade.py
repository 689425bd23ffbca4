"""Upgrading a practice's schema safely: a verified backup first, the migration, and on failure the backup
put back.  Built on :mod:`.migrate` (the migrations) and :mod:`.snapshot` (the copy).

Sessions: owns one short session after a successful upgrade (the maintenance and audit records).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stagewise.core.errors import MigrationError
from stagewise.core.storage.migrate import FAILURE_INJECTION_ENV, state, upgrade_to_head

log = logging.getLogger(__name__)


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
    from stagewise.core.storage.snapshot import put_back, write_backup

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

        if current.current is not None and (
            not seals.expected_in(current.current) or seals.resealed_by_upgrade(current.current)
        ):
            # Records that became final before digests existed, or that a revision rewrote, are sealed
            # as they are now (seals.py).
            seals.seal_all(s, reason="upgrade")
    return engine


def _maybe_inject_failure() -> None:
    if os.environ.get(FAILURE_INJECTION_ENV):
        raise RuntimeError("injected migration failure (test)")
