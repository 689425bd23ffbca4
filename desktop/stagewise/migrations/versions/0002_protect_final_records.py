"""protect every final clinical record

Revision ID: 0002
Revises: 0001

Triggers for completed administrations, score results, risk alerts and intervention decisions (a frozen
copy of ``core.ddl.FINAL_RECORD_TRIGGERS``).  The digests of records that were already final are recorded
after the upgrade by ``core.migrate`` (``seals.seal_all``), in the same transaction as the migrate event.
"""

from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


DDL = (
    "CREATE TRIGGER administration_final_frozen BEFORE UPDATE ON administration\n       WHEN OLD.status != 'in_progress' AND (\n            NEW.id IS NOT OLD.id OR NEW.client_id IS NOT OLD.client_id OR NEW.focus_id IS NOT OLD.focus_id\n         OR NEW.form_id IS NOT OLD.form_id OR NEW.form_version IS NOT OLD.form_version\n         OR NEW.form_version_id IS NOT OLD.form_version_id OR NEW.mode IS NOT OLD.mode\n         OR NEW.by_user_id IS NOT OLD.by_user_id OR NEW.started_at IS NOT OLD.started_at\n         OR NEW.completed_at IS NOT OLD.completed_at OR NEW.answers IS NOT OLD.answers\n         OR NEW.current_item IS NOT OLD.current_item OR NEW.behaviour_text IS NOT OLD.behaviour_text\n         OR NEW.edit_seconds IS NOT OLD.edit_seconds\n         OR (OLD.status = 'voided' AND (NEW.status IS NOT OLD.status OR NEW.void_reason IS NOT OLD.void_reason\n                                        OR NEW.voided_at IS NOT OLD.voided_at OR NEW.result IS NOT OLD.result\n                                        OR NEW.scoring_version IS NOT OLD.scoring_version))\n         OR (OLD.status = 'complete' AND NEW.status NOT IN ('complete', 'voided'))\n         OR (NEW.status = 'complete' AND (NEW.void_reason IS NOT OLD.void_reason\n                                          OR NEW.voided_at IS NOT OLD.voided_at))\n         OR ((NEW.result IS NOT OLD.result OR NEW.scoring_version IS NOT OLD.scoring_version)\n             AND NOT EXISTS (SELECT 1 FROM score_result AS r\n                             WHERE r.id = (SELECT max(id) FROM score_result WHERE administration_id = NEW.id)\n                               AND r.result IS NEW.result AND r.scoring_version IS NEW.scoring_version)))\n       BEGIN\n         SELECT RAISE(ABORT, 'a completed administration cannot be changed; void it or score it again');\n       END",
    "CREATE TRIGGER score_result_no_update BEFORE UPDATE ON score_result\n       BEGIN SELECT RAISE(ABORT, 'score results cannot be changed; score again to add a result'); END",
    "CREATE TRIGGER score_result_no_delete BEFORE DELETE ON score_result\n       BEGIN SELECT RAISE(ABORT, 'score results cannot be deleted'); END",
    "CREATE TRIGGER risk_alert_frozen BEFORE UPDATE ON risk_alert\n       WHEN NEW.id IS NOT OLD.id OR NEW.client_id IS NOT OLD.client_id\n         OR NEW.administration_id IS NOT OLD.administration_id OR NEW.flag IS NOT OLD.flag\n         OR NEW.raised_at IS NOT OLD.raised_at OR NEW.item_id IS NOT OLD.item_id\n         OR (OLD.acknowledged_at IS NOT NULL AND (NEW.acknowledged_at IS NOT OLD.acknowledged_at\n              OR NEW.acknowledged_by_id IS NOT OLD.acknowledged_by_id\n              OR NEW.action_taken IS NOT OLD.action_taken))\n         OR (OLD.addressed_at IS NOT NULL AND (NEW.addressed_at IS NOT OLD.addressed_at\n              OR NEW.addressed_by_id IS NOT OLD.addressed_by_id\n              OR NEW.addressed_note IS NOT OLD.addressed_note))\n       BEGIN SELECT RAISE(ABORT, 'a risk alert can only be acknowledged, then addressed, once'); END",
    "CREATE TRIGGER risk_alert_no_delete BEFORE DELETE ON risk_alert\n       BEGIN SELECT RAISE(ABORT, 'risk alerts cannot be deleted'); END",
    "CREATE TRIGGER intervention_decision_no_update BEFORE UPDATE ON intervention_decision\n       BEGIN SELECT RAISE(ABORT, 'intervention decisions cannot be changed; record a new decision'); END",
    "CREATE TRIGGER intervention_decision_no_delete BEFORE DELETE ON intervention_decision\n       BEGIN SELECT RAISE(ABORT, 'intervention decisions cannot be deleted'); END",
)


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)


def downgrade() -> None:
    for name in ('intervention_decision_no_delete', 'intervention_decision_no_update', 'risk_alert_no_delete', 'risk_alert_frozen', 'score_result_no_delete', 'score_result_no_update', 'administration_final_frozen'):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
