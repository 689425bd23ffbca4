"""initial schema

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


DDL = (
    "CREATE TRIGGER note_signed_no_update BEFORE UPDATE ON note\n       WHEN OLD.status = 'signed'\n       BEGIN SELECT RAISE(ABORT, 'signed notes cannot be changed; add an addendum'); END",
    "CREATE TRIGGER note_cosign_only BEFORE UPDATE ON note\n       WHEN OLD.status = 'awaiting_cosign' AND (\n            NEW.fields IS NOT OLD.fields OR NEW.hash IS NOT OLD.hash OR NEW.prev_hash IS NOT OLD.prev_hash\n         OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signed_by_id IS NOT OLD.signed_by_id\n         OR NEW.author_id IS NOT OLD.author_id OR NEW.client_id IS NOT OLD.client_id\n         OR NEW.template_id IS NOT OLD.template_id OR NEW.template_version IS NOT OLD.template_version\n         OR NEW.written_at IS NOT OLD.written_at OR NEW.id IS NOT OLD.id\n         OR NEW.status NOT IN ('awaiting_cosign', 'signed')\n         OR (NEW.status = 'signed' AND (NEW.cosigned_by_id IS NULL OR NEW.cosigned_at IS NULL\n                                        OR NEW.cosigned_by_id = OLD.author_id)))\n       BEGIN SELECT RAISE(ABORT, 'a note awaiting co-signature can only be co-signed'); END",
    "CREATE TRIGGER note_draft_no_hash BEFORE UPDATE ON note\n       WHEN OLD.status = 'draft' AND NEW.status = 'draft'\n        AND (NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.signed_at IS NOT NULL)\n       BEGIN SELECT RAISE(ABORT, 'a draft has no signature or hash'); END",
    "CREATE TRIGGER note_signed_no_delete BEFORE DELETE ON note\n       WHEN OLD.status != 'draft'\n       BEGIN SELECT RAISE(ABORT, 'signed notes cannot be deleted'); END",
    "CREATE TRIGGER addendum_needs_signed_note BEFORE INSERT ON addendum\n       WHEN (SELECT status FROM note WHERE id = NEW.note_id) = 'draft'\n       BEGIN SELECT RAISE(ABORT, 'an addendum can only be added to a signed note'); END",
    "CREATE TRIGGER addendum_no_update BEFORE UPDATE ON addendum\n       BEGIN SELECT RAISE(ABORT, 'addenda cannot be changed'); END",
    "CREATE TRIGGER addendum_no_delete BEFORE DELETE ON addendum\n       BEGIN SELECT RAISE(ABORT, 'addenda cannot be deleted'); END",
    "CREATE TRIGGER note_version_frozen_insert BEFORE INSERT ON note_version\n       WHEN (SELECT status FROM note WHERE id = NEW.note_id) IN ('signed', 'awaiting_cosign')\n       BEGIN SELECT RAISE(ABORT, 'the history of a signed note cannot be changed'); END",
    "CREATE TRIGGER note_version_frozen_update BEFORE UPDATE ON note_version\n       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')\n       BEGIN SELECT RAISE(ABORT, 'the history of a signed note cannot be changed'); END",
    "CREATE TRIGGER note_version_frozen_delete BEFORE DELETE ON note_version\n       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')\n       BEGIN SELECT RAISE(ABORT, 'the history of a signed note cannot be changed'); END",
    "CREATE TRIGGER note_link_frozen_insert BEFORE INSERT ON note_link\n       WHEN (SELECT status FROM note WHERE id = NEW.note_id) IN ('signed', 'awaiting_cosign')\n       BEGIN SELECT RAISE(ABORT, 'the links of a signed note cannot be changed'); END",
    "CREATE TRIGGER note_link_frozen_update BEFORE UPDATE ON note_link\n       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')\n       BEGIN SELECT RAISE(ABORT, 'the links of a signed note cannot be changed'); END",
    "CREATE TRIGGER note_link_frozen_delete BEFORE DELETE ON note_link\n       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')\n       BEGIN SELECT RAISE(ABORT, 'the links of a signed note cannot be changed'); END",
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event\n       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event\n       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER stage_record_no_update BEFORE UPDATE ON stage_record\n       BEGIN SELECT RAISE(ABORT, 'stage records cannot be changed; record a new stage'); END",
    "CREATE TRIGGER stage_record_no_delete BEFORE DELETE ON stage_record\n       BEGIN SELECT RAISE(ABORT, 'stage records cannot be deleted'); END",
    "CREATE TRIGGER administration_no_delete BEFORE DELETE ON administration\n       BEGIN SELECT RAISE(ABORT, 'administrations are voided, never deleted'); END",
    "CREATE VIRTUAL TABLE note_fts USING fts5(\n         body, tokenize = 'unicode61 remove_diacritics 2', detail = 'full')",
    "CREATE TRIGGER note_fts_insert AFTER INSERT ON note\n       BEGIN INSERT INTO note_fts(rowid, body) VALUES (NEW.id, coalesce((SELECT group_concat(value, char(10)) FROM json_each(NEW.fields)\n                  WHERE type = 'text'), '')\n         || coalesce((SELECT char(10) || group_concat(text, char(10))\n                      FROM (SELECT text FROM addendum WHERE note_id = NEW.id ORDER BY id)), '')); END",
    "CREATE TRIGGER note_fts_update AFTER UPDATE OF fields ON note\n       BEGIN\n         DELETE FROM note_fts WHERE rowid = OLD.id;\n         INSERT INTO note_fts(rowid, body) VALUES (NEW.id, coalesce((SELECT group_concat(value, char(10)) FROM json_each(NEW.fields)\n                  WHERE type = 'text'), '')\n         || coalesce((SELECT char(10) || group_concat(text, char(10))\n                      FROM (SELECT text FROM addendum WHERE note_id = NEW.id ORDER BY id)), ''));\n       END",
    'CREATE TRIGGER note_fts_delete AFTER DELETE ON note\n       BEGIN DELETE FROM note_fts WHERE rowid = OLD.id; END',
    "CREATE TRIGGER note_fts_addendum AFTER INSERT ON addendum\n       BEGIN\n         DELETE FROM note_fts WHERE rowid = NEW.note_id;\n         INSERT INTO note_fts(rowid, body) SELECT n.id,\n             coalesce((SELECT group_concat(value, char(10)) FROM json_each(n.fields) WHERE type = 'text'), '')\n             || coalesce((SELECT char(10) || group_concat(text, char(10))\n                          FROM (SELECT text FROM addendum WHERE note_id = n.id ORDER BY id)), '')\n           FROM note AS n WHERE n.id = NEW.note_id;\n       END",
)


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.String(length=24), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)

    op.create_table('form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('first_used_at', sa.String(length=24), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_version')),
    sa.UniqueConstraint('form_id', 'version', 'sha256', name='uq_form_version')
    )
    op.create_table('maintenance_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.String(length=24), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('target', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('backup', 'drill', 'migration', 'custodian')", name=op.f('ck_maintenance_log_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_log'))
    )
    with op.batch_alter_table('maintenance_log', schema=None) as batch_op:
        batch_op.create_index('ix_maintenance_kind_at', ['kind', 'at'], unique=False)

    op.create_table('setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('requires_cosign', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(username) >= 2', name=op.f('ck_user_username_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chart_number', sa.String(length=40), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=200), nullable=False),
    sa.Column('given_name_key', sa.String(length=200), nullable=False),
    sa.Column('family_name_key', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.String(length=24), nullable=False),
    sa.Column('discharged_at', sa.String(length=24), nullable=True),
    sa.CheckConstraint("status IN ('active', 'discharged')", name=op.f('ck_client_status')),
    sa.CheckConstraint('length(chart_number) >= 1', name=op.f('ck_client_chart_number_nonempty')),
    sa.ForeignKeyConstraint(['clinician_id'], ['user.id'], name=op.f('fk_client_clinician_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client')),
    sa.UniqueConstraint('chart_number', name=op.f('uq_client_chart_number'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_clinician_id'), ['clinician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_family_name_key'), ['family_name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_given_name_key'), ['given_name_key'], unique=False)
        batch_op.create_index('ix_client_status_family', ['status', 'family_name_key'], unique=False)

    op.create_table('focus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('behaviour_phrase', sa.String(length=200), nullable=True),
    sa.Column('reassessment_days', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('removed_at', sa.String(length=24), nullable=True),
    sa.CheckConstraint('reassessment_days IS NULL OR reassessment_days > 0', name=op.f('ck_focus_reassessment_positive')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_focus_client_id_client'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_focus')),
    sa.UniqueConstraint('client_id', 'key', name='uq_focus_client_key')
    )
    with op.batch_alter_table('focus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_focus_client_id'), ['client_id'], unique=False)

    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('template_version', sa.String(length=32), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('signed_at', sa.String(length=24), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('cosigned_by_id', sa.Integer(), nullable=True),
    sa.Column('cosigned_at', sa.String(length=24), nullable=True),
    sa.CheckConstraint("status != 'signed' OR cosigned_by_id IS NULL OR cosigned_at IS NOT NULL", name=op.f('ck_note_cosign_has_time')),
    sa.CheckConstraint("status = 'draft' OR (signed_at IS NOT NULL AND hash IS NOT NULL)", name=op.f('ck_note_signed_has_hash')),
    sa.CheckConstraint("status IN ('draft', 'awaiting_cosign', 'signed')", name=op.f('ck_note_status')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_note_author_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_note_client_id_client'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['cosigned_by_id'], ['user.id'], name=op.f('fk_note_cosigned_by_id_user')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user.id'], name=op.f('fk_note_signed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index('ix_note_author_written', ['author_id', 'written_at'], unique=False)
        batch_op.create_index('ix_note_client_written', ['client_id', 'written_at'], unique=False)
        batch_op.create_index('ix_note_status_author', ['status', 'author_id'], unique=False)
        batch_op.create_index('ix_note_written', ['written_at'], unique=False)

    op.create_table('addendum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.String(length=24), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.String(length=24), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_addendum_author_id_user')),
    sa.ForeignKeyConstraint(['note_id'], ['note.id'], name=op.f('fk_addendum_note_id_note'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addendum'))
    )
    with op.batch_alter_table('addendum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addendum_note_id'), ['note_id'], unique=False)

    op.create_table('administration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('focus_id', sa.Integer(), nullable=True),
    sa.Column('form_id', sa.String(length=64), nullable=False),
    sa.Column('form_version', sa.String(length=32), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=True),
    sa.Column('scoring_version', sa.String(length=32), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.String(length=24), nullable=False),
    sa.Column('completed_at', sa.String(length=24), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.Column('voided_at', sa.String(length=24), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('current_item', sa.String(length=16), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('behaviour_text', sa.String(length=200), nullable=True),
    sa.Column('edit_seconds', sa.Double(), nullable=True),
    sa.CheckConstraint("mode IN ('clinician', 'client')", name=op.f('ck_administration_mode')),
    sa.CheckConstraint("status != 'voided' OR length(void_reason) > 0", name=op.f('ck_administration_void_needs_reason')),
    sa.CheckConstraint("status IN ('in_progress', 'complete', 'voided')", name=op.f('ck_administration_status')),
    sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_administration_by_user_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_administration_client_id_client'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['focus_id'], ['focus.id'], name=op.f('fk_administration_focus_id_focus'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_version.id'], name=op.f('fk_administration_form_version_id_form_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_administration'))
    )
    with op.batch_alter_table('administration', schema=None) as batch_op:
        batch_op.create_index('ix_administration_client_form', ['client_id', 'form_id', 'started_at'], unique=False)
        batch_op.create_index('ix_administration_focus_completed', ['focus_id', 'completed_at', 'status'], unique=False)
        batch_op.create_index('ix_administration_focus_started', ['focus_id', 'started_at'], unique=False)
        batch_op.create_index('ix_administration_in_progress', ['status'], unique=False, sqlite_where=sa.text("status = 'in_progress'"))

    op.create_table('note_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.String(length=24), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['note.id'], name=op.f('fk_note_version_note_id_note'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_version'))
    )
    with op.batch_alter_table('note_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_version_note_id'), ['note_id'], unique=False)

    op.create_table('risk_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('administration_id', sa.Integer(), nullable=False),
    sa.Column('flag', sa.String(length=64), nullable=False),
    sa.Column('raised_at', sa.String(length=24), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.String(length=24), nullable=True),
    sa.Column('action_taken', sa.Text(), nullable=True),
    sa.Column('addressed_at', sa.String(length=24), nullable=True),
    sa.Column('item_id', sa.String(length=16), nullable=True),
    sa.Column('addressed_by_id', sa.Integer(), nullable=True),
    sa.Column('addressed_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user.id'], name=op.f('fk_risk_alert_acknowledged_by_id_user')),
    sa.ForeignKeyConstraint(['addressed_by_id'], ['user.id'], name=op.f('fk_risk_alert_addressed_by_id_user')),
    sa.ForeignKeyConstraint(['administration_id'], ['administration.id'], name=op.f('fk_risk_alert_administration_id_administration'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_risk_alert_client_id_client'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_alert')),
    sa.UniqueConstraint('administration_id', 'flag', name='uq_risk_alert_administration_flag')
    )
    with op.batch_alter_table('risk_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_alert_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_risk_alert_open', ['addressed_at', 'client_id'], unique=False)

    op.create_table('score_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('administration_id', sa.Integer(), nullable=False),
    sa.Column('form_version', sa.String(length=32), nullable=False),
    sa.Column('scoring_version', sa.String(length=32), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.String(length=24), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['administration_id'], ['administration.id'], name=op.f('fk_score_result_administration_id_administration'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_result'))
    )
    with op.batch_alter_table('score_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_result_administration_id'), ['administration_id'], unique=False)

    op.create_table('stage_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('focus_id', sa.Integer(), nullable=False),
    sa.Column('proposed', sa.String(length=20), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('basis', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('administration_id', sa.Integer(), nullable=True),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.String(length=24), nullable=False),
    sa.Column('effective', sa.Date(), nullable=False),
    sa.CheckConstraint("(basis = 'not_staged') = (stage IS NULL)", name=op.f('ck_stage_record_not_staged_has_no_stage')),
    sa.CheckConstraint("NOT (proposed IS NOT NULL AND (stage IS NULL OR stage != proposed)) OR length(trim(coalesce(reason, ''))) > 0", name=op.f('ck_stage_record_override_needs_reason')),
    sa.CheckConstraint("basis != 'not_staged' OR length(trim(coalesce(reason, ''))) > 0", name=op.f('ck_stage_record_pause_needs_reason')),
    sa.CheckConstraint("basis IN ('instrument', 'override', 'clinical_judgement', 'not_staged')", name=op.f('ck_stage_record_basis')),
    sa.CheckConstraint("proposed IS NULL OR proposed IN ('precontemplation', 'contemplation', 'preparation', 'action', 'maintenance')", name=op.f('ck_stage_record_proposed')),
    sa.CheckConstraint("stage IS NULL OR stage IN ('precontemplation', 'contemplation', 'preparation', 'action', 'maintenance')", name=op.f('ck_stage_record_stage')),
    sa.ForeignKeyConstraint(['administration_id'], ['administration.id'], name=op.f('fk_stage_record_administration_id_administration')),
    sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_stage_record_by_user_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_stage_record_client_id_client'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['focus_id'], ['focus.id'], name=op.f('fk_stage_record_focus_id_focus'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_record'))
    )
    with op.batch_alter_table('stage_record', schema=None) as batch_op:
        batch_op.create_index('ix_stage_record_client', ['client_id', 'effective'], unique=False)
        batch_op.create_index('ix_stage_record_focus_effective', ['focus_id', 'effective', 'id', 'basis'], unique=False)

    op.create_table('intervention_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('focus_id', sa.Integer(), nullable=False),
    sa.Column('stage_record_id', sa.Integer(), nullable=True),
    sa.Column('intervention_id', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=32), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.String(length=24), nullable=False),
    sa.CheckConstraint("decision IN ('accepted', 'declined', 'added')", name=op.f('ck_intervention_decision_decision')),
    sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_intervention_decision_by_user_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_intervention_decision_client_id_client'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['focus_id'], ['focus.id'], name=op.f('fk_intervention_decision_focus_id_focus'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['stage_record_id'], ['stage_record.id'], name=op.f('fk_intervention_decision_stage_record_id_stage_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intervention_decision'))
    )
    with op.batch_alter_table('intervention_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_decision_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_intervention_decision_focus', ['focus_id', 'decided_at'], unique=False)

    op.create_table('note_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('administration_id', sa.Integer(), nullable=True),
    sa.Column('stage_record_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(administration_id IS NULL) != (stage_record_id IS NULL)', name=op.f('ck_note_link_exactly_one_target')),
    sa.ForeignKeyConstraint(['administration_id'], ['administration.id'], name=op.f('fk_note_link_administration_id_administration')),
    sa.ForeignKeyConstraint(['note_id'], ['note.id'], name=op.f('fk_note_link_note_id_note'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_record_id'], ['stage_record.id'], name=op.f('fk_note_link_stage_record_id_stage_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_link'))
    )
    with op.batch_alter_table('note_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_link_note_id'), ['note_id'], unique=False)

    for statement in DDL:
        op.execute(statement)


def downgrade() -> None:
    op.execute('DROP TABLE IF EXISTS note_fts')
    with op.batch_alter_table('note_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_link_note_id'))

    op.drop_table('note_link')
    with op.batch_alter_table('intervention_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_intervention_decision_focus')
        batch_op.drop_index(batch_op.f('ix_intervention_decision_client_id'))

    op.drop_table('intervention_decision')
    with op.batch_alter_table('stage_record', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_record_focus_effective')
        batch_op.drop_index('ix_stage_record_client')

    op.drop_table('stage_record')
    with op.batch_alter_table('score_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_result_administration_id'))

    op.drop_table('score_result')
    with op.batch_alter_table('risk_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_alert_open')
        batch_op.drop_index(batch_op.f('ix_risk_alert_client_id'))

    op.drop_table('risk_alert')
    with op.batch_alter_table('note_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_version_note_id'))

    op.drop_table('note_version')
    with op.batch_alter_table('administration', schema=None) as batch_op:
        batch_op.drop_index('ix_administration_in_progress', sqlite_where=sa.text("status = 'in_progress'"))
        batch_op.drop_index('ix_administration_focus_started')
        batch_op.drop_index('ix_administration_focus_completed')
        batch_op.drop_index('ix_administration_client_form')

    op.drop_table('administration')
    with op.batch_alter_table('addendum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addendum_note_id'))

    op.drop_table('addendum')
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index('ix_note_written')
        batch_op.drop_index('ix_note_status_author')
        batch_op.drop_index('ix_note_client_written')
        batch_op.drop_index('ix_note_author_written')

    op.drop_table('note')
    with op.batch_alter_table('focus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_focus_client_id'))

    op.drop_table('focus')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_status_family')
        batch_op.drop_index(batch_op.f('ix_client_given_name_key'))
        batch_op.drop_index(batch_op.f('ix_client_family_name_key'))
        batch_op.drop_index(batch_op.f('ix_client_clinician_id'))

    op.drop_table('client')
    op.drop_table('user')
    op.drop_table('setting')
    with op.batch_alter_table('maintenance_log', schema=None) as batch_op:
        batch_op.drop_index('ix_maintenance_kind_at')

    op.drop_table('maintenance_log')
    op.drop_table('form_version')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
