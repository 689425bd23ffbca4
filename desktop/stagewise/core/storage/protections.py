"""Are the database's own protections in place?  Every protective trigger present and unmodified.

The expected text lives in one place, :data:`stagewise.core.storage.ddl.PROTECTIVE_TRIGGERS` (per
database engine and per schema revision); SQLite keeps each trigger's ``CREATE`` statement exactly as
written, so the check is a comparison of text, cheap enough to run on every open (one read of
``sqlite_master``).

``verify`` reports every problem by name; :func:`stagewise.core.storage.store.open_practice` refuses to
open a file with a missing or changed protection for writing (it was changed outside Stagewise).
"""

from __future__ import annotations

from sqlalchemy import Connection

from stagewise.core.storage import ddl
from stagewise.migrations import REVISIONS


def expected(revision: str | None, dialect: str = "sqlite") -> dict[str, str]:
    """Name -> SQL of every protective trigger a file at schema ``revision`` must have (head if None)."""
    wanted = (
        len(REVISIONS) - 1 if revision is None or revision not in REVISIONS else REVISIONS.index(revision)
    )
    out: dict[str, str] = {}
    for rev, triggers in ddl.PROTECTIVE_TRIGGERS[dialect].items():
        if REVISIONS.index(rev) <= wanted:
            out.update(triggers)
    return out


def problems(connection: Connection) -> list[str]:
    """One line per missing, changed or foreign trigger (names only); empty when all is as expected."""
    revision = connection.exec_driver_sql("SELECT max(version_num) FROM alembic_version").scalar()
    live = {
        str(name): str(sql)
        for name, sql in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
    }
    want = expected(None if revision is None else str(revision))
    found: list[str] = []
    for name, sql in sorted(want.items()):
        if name not in live:
            found.append(f"trigger {name} is missing")
        elif live[name] != sql:
            found.append(f"trigger {name} differs from the expected text (it was changed)")
    for name in sorted(set(live) - set(want) - ddl.HOUSEKEEPING_TRIGGERS):
        found.append(f"trigger {name} is not one of Stagewise's (it was added outside Stagewise)")
    return found


def count(revision: str | None = None) -> int:
    """How many protective triggers a file at ``revision`` has (for the verify report)."""
    return len(expected(revision))
