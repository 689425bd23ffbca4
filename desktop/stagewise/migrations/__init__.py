"""Alembic migrations for the practice file.

``REVISIONS`` lists every revision id in ``versions/``, oldest first, so that opening a practice can tell
whether its schema is current without importing Alembic or parsing the revision scripts (≈0.3 s on every
open).  Add each new revision's id here; ``tests/core/test_migrate.py`` checks that the tuple matches what
Alembic's ``ScriptDirectory`` reports.
"""

REVISIONS: tuple[str, ...] = ("0001",)
