"""Schema migrations (Alembic), applied when a practice is opened.

Before any migration runs, an encrypted backup of the file is written beside it; if the migration fails
the backup is put back and :class:`MigrationError` says so.  A file whose revision this Stagewise does not
know was written by a newer version and is refused without being touched.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from stagewise.core.errors import MigrationError

log = logging.getLogger(__name__)

# A test may set this to a callable that raises, to prove that a failed migration restores the backup.
FAILURE_INJECTION_ENV = "STAGEWISE_FAIL_MIGRATION"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of Stagewise knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


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
    script = ScriptDirectory.from_config(_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    known = True
    if current is not None:
        try:
            known = script.get_revision(current) is not None
        except Exception:
            known = False
    head = script.get_current_head()
    assert head is not None
    return SchemaState(current, head, known)


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration in one transaction."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def upgrade_with_backup(engine: Engine, path: Path, key: bytes) -> Engine:
    """Back up, migrate, and on failure restore the backup.  Returns the engine to use afterwards."""
    from stagewise.core.backup import verify_backup_file, write_backup

    before = state(engine).current
    backup = path.with_name(f"{path.name}.pre-upgrade-{before}")
    write_backup(engine, backup, key, include_keyfile=False)
    verify_backup_file(backup, key)
    log.info("migrating practice schema %s -> %s (backup written)", before, state(engine).head)
    try:
        _maybe_inject_failure()
        upgrade_to_head(engine)
    except Exception as exc:
        engine.dispose()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + suffix).unlink()
        shutil.copyfile(backup, path)
        raise MigrationError(
            f"Updating {path.name} to this version of Stagewise failed; the file was restored from the "
            f"backup taken just before ({backup.name}). Please report this problem."
        ) from exc
    return engine


def _maybe_inject_failure() -> None:
    import os

    if os.environ.get(FAILURE_INJECTION_ENV):
        raise RuntimeError("injected migration failure (test)")
