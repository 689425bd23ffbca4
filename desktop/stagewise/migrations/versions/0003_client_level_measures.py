"""client-level measures have no focus

Revision ID: 0003
Revises: 0001

PHQ-9 and GAD-7 are about the client as a whole (``subject = "client"`` in their instrument files), not
about one behaviour focus.  Administrations of them used to be filed under whichever focus was selected;
this revision files every existing one without a focus, so each client has one history, one trend and one
chart per measure.  Nothing else changes: answers, results and score results stay as they are.

The list of instruments is frozen here (a migration must not depend on the files shipped later).  Triggers
that protect final administrations refuse a change of ``focus_id``; they are dropped around the update and
recreated from their own stored SQL, unchanged.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

CLIENT_LEVEL_FORMS = ('phq-9', 'gad-7')


def upgrade() -> None:
    conn = op.get_bind()
    triggers = conn.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'administration'"
            " ORDER BY name"
        )
    ).all()
    for name, _sql in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    conn.execute(
        sa.text(
            "UPDATE administration SET focus_id = NULL"
            " WHERE focus_id IS NOT NULL AND form_id IN (:a, :b)"
        ),
        {"a": CLIENT_LEVEL_FORMS[0], "b": CLIENT_LEVEL_FORMS[1]},
    )
    for _name, sql in triggers:
        op.execute(sql)


def downgrade() -> None:
    # Which focus each administration was filed under is not kept: they stay client-level.
    pass
