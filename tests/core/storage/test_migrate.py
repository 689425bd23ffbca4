"""Schema upgrades on open: automatic backup first, the backup put back on failure, newer files refused.

These tests run against a temporary copy of the migrations folder with a real extra revision "9999" (an
index and a table) added on top of the shipped head: the practice is created at the shipped head with the
shipped scripts, then opened by a "newer Stagewise" that knows 9999.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import select, text

from stagewise.core.audit import trail as audit
from stagewise.core.errors import MigrationError, NewerVersionError
from stagewise.core.models import MaintenanceLog, Setting
from stagewise.core.storage import backup, keys, migrate, store
from stagewise.migrations import REVISIONS
from tests.conftest import PASSPHRASE

HEAD = REVISIONS[-1]  # the shipped head; the test revision "9999" goes on top of it

REVISION_9999 = f'''"""test revision: an index and a table"""

from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = "{HEAD}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_test_maintenance_ok", "maintenance_log", ["ok"])
    op.create_table("test_extra", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("test_extra")
    op.drop_index("ix_test_maintenance_ok")
'''


@pytest.fixture
def old_practice(practice_path: Path) -> tuple[Path, bytes]:
    """A practice at the shipped head with a little data, closed."""
    created = store.create_practice(practice_path, PASSPHRASE)
    with created.practice as p, p.session_factory.begin() as s:
        s.add(Setting(key="test.marker", value=42))
        audit.record(s, "alice", "update", "setting", "test.marker")
    return practice_path, created.practice.key


@pytest.fixture
def newer_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    location = tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPT_LOCATION, location, ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / "9999_test.py").write_text(REVISION_9999)
    monkeypatch.setattr(migrate, "SCRIPT_LOCATION", location)
    return location


def _revision(path: Path, key: bytes) -> str:
    conn = sqlcipher3.dbapi2.connect(str(path))
    try:
        conn.execute(f'PRAGMA key = "{keys.sqlcipher_key_literal(key)}"')
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def _tables(practice: store.Practice) -> set[str]:
    with practice.session_factory() as s:
        return set(s.execute(text("SELECT name FROM sqlite_master")).scalars())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_shipped_state_is_at_head(practice: store.Practice) -> None:
    state = migrate.state(practice.engine)
    assert state.current == state.head == migrate.head_revision() == HEAD
    assert (state.known, state.pending, state.newer) == (True, False, False)


def test_older_file_is_backed_up_then_migrated(old_practice: tuple[Path, bytes], newer_scripts: Path) -> None:
    path, key = old_practice
    with store.open_practice(path, key) as p:
        assert migrate.state(p.engine).current == "9999"
        assert {"ix_test_maintenance_ok", "test_extra"} <= _tables(p)
        with p.session_factory() as s:
            marker = s.get(Setting, "test.marker")
            assert marker is not None
            assert marker.value == 42
            logged = s.execute(select(MaintenanceLog.kind, MaintenanceLog.ok)).all()
            assert [tuple(r) for r in logged] == [("migration", True)]
            newest = audit.recent(s, limit=1)[0]
            assert (newest.action, newest.details["from"], newest.details["to"]) == (
                "migrate",
                HEAD,
                "9999",
            )
            assert audit.verify_chain(s).ok
    pre = path.with_name(f"practice.stagewise.pre-upgrade-{HEAD}")
    assert backup.verify_backup_file(pre, key).revision == HEAD
    assert keys.keyfile_path(pre).exists()


def test_injected_failure_restores_the_backup_and_says_so(
    old_practice: tuple[Path, bytes], newer_scripts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, key = old_practice
    monkeypatch.setenv(migrate.FAILURE_INJECTION_ENV, "1")
    with pytest.raises(MigrationError, match=r"restored from the backup taken just before \(practice"):
        store.open_practice(path, key)
    assert _revision(path, key) == HEAD
    monkeypatch.undo()  # back to the shipped scripts, no injection: the file is a sound practice at HEAD
    with store.open_practice(path, key, check_integrity=True) as p:
        assert "test_extra" not in _tables(p)
        with p.session_factory() as s:
            assert s.get(Setting, "test.marker") is not None
            assert audit.verify_chain(s).ok


def test_newer_file_is_refused_and_left_untouched(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE)
    with created.practice as p, p.session_factory.begin() as s:
        s.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    before = _snapshot(practice_path.parent)
    with pytest.raises(NewerVersionError, match="newer version of Stagewise"):
        store.open_practice(practice_path, created.practice.key)
    assert _snapshot(practice_path.parent) == before
    assert not any("pre-upgrade" in name for name in _snapshot(practice_path.parent))


def test_unknown_revision_helpers() -> None:
    assert migrate.is_known_revision("0001")
    assert not migrate.is_known_revision("ffff_from_the_future")


def test_known_revisions_match_the_scripts() -> None:
    """``stagewise.migrations.REVISIONS`` (read on every open instead of Alembic) lists the scripts."""
    from alembic.script import ScriptDirectory

    from stagewise.migrations import REVISIONS

    scripts = ScriptDirectory.from_config(migrate._config())
    oldest_first = tuple(reversed([s.revision for s in scripts.walk_revisions()]))
    assert oldest_first == REVISIONS
    assert scripts.get_current_head() == REVISIONS[-1] == migrate.head_revision()


def test_current_revision_reads_the_version_table_like_alembic(practice_path: Path) -> None:
    from alembic.runtime.migration import MigrationContext

    engine = store.make_engine(practice_path.with_name("empty.db"), keys.new_database_key())
    try:
        with engine.connect() as conn:  # an empty file: no version table yet
            assert migrate.current_revision(conn) is None
            assert MigrationContext.configure(conn).get_current_revision() is None
    finally:
        engine.dispose()
    created = store.create_practice(practice_path, PASSPHRASE)
    with created.practice as p:
        with p.engine.connect() as conn:
            assert migrate.current_revision(conn) == HEAD
            assert MigrationContext.configure(conn).get_current_revision() == HEAD


def test_opening_a_current_practice_does_not_import_alembic(practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE)
    created.practice.close()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from stagewise.core.storage import store\n"
        "key = bytes.fromhex(sys.stdin.readline().strip())\n"
        "with store.open_practice(Path(sys.argv[1]), key) as p:\n"
        "    assert p.practice_id\n"
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(practice_path)],
        input=created.practice.key.hex() + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "[]"


def test_other_script_locations_are_read_through_alembic(newer_scripts: Path) -> None:
    assert migrate.head_revision() == "9999"
    assert migrate.is_known_revision("9999")
    assert not migrate.is_known_revision("ffff_from_the_future")
