"""SQL the ORM cannot express: triggers that make the database defend itself, and the FTS5 index.

Migrations copy these statements (a migration must not change when this module does); this module is the
readable reference and what ``verify`` and the open check compare the live schema against
(:data:`PROTECTIVE_TRIGGERS`, through :mod:`stagewise.core.storage.protections`).
"""

from __future__ import annotations

import re

SIGNED_NOTE_TRIGGERS = (
    # A signed note never changes, by any path.
    """CREATE TRIGGER note_signed_no_update BEFORE UPDATE ON note
       WHEN OLD.status = 'signed'
       BEGIN SELECT RAISE(ABORT, 'signed notes cannot be changed; add an addendum'); END""",
    # A note awaiting co-signature may only gain its co-signature (and become signed) from a user other
    # than its author; its content, hash and chain link were fixed when the author signed.
    """CREATE TRIGGER note_cosign_only BEFORE UPDATE ON note
       WHEN OLD.status = 'awaiting_cosign' AND (
            NEW.fields IS NOT OLD.fields OR NEW.hash IS NOT OLD.hash OR NEW.prev_hash IS NOT OLD.prev_hash
         OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signed_by_id IS NOT OLD.signed_by_id
         OR NEW.author_id IS NOT OLD.author_id OR NEW.client_id IS NOT OLD.client_id
         OR NEW.template_id IS NOT OLD.template_id OR NEW.template_version IS NOT OLD.template_version
         OR NEW.written_at IS NOT OLD.written_at OR NEW.id IS NOT OLD.id
         OR NEW.status NOT IN ('awaiting_cosign', 'signed')
         OR (NEW.status = 'signed' AND (NEW.cosigned_by_id IS NULL OR NEW.cosigned_at IS NULL
                                        OR NEW.cosigned_by_id = OLD.author_id)))
       BEGIN SELECT RAISE(ABORT, 'a note awaiting co-signature can only be co-signed'); END""",
    # A draft becomes signed (or awaiting co-signature) with its hash, or stays a draft without one.
    """CREATE TRIGGER note_draft_no_hash BEFORE UPDATE ON note
       WHEN OLD.status = 'draft' AND NEW.status = 'draft'
        AND (NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.signed_at IS NOT NULL)
       BEGIN SELECT RAISE(ABORT, 'a draft has no signature or hash'); END""",
    """CREATE TRIGGER note_signed_no_delete BEFORE DELETE ON note
       WHEN OLD.status != 'draft'
       BEGIN SELECT RAISE(ABORT, 'signed notes cannot be deleted'); END""",
    # Addenda attach to signed notes only and never change.
    """CREATE TRIGGER addendum_needs_signed_note BEFORE INSERT ON addendum
       WHEN (SELECT status FROM note WHERE id = NEW.note_id) = 'draft'
       BEGIN SELECT RAISE(ABORT, 'an addendum can only be added to a signed note'); END""",
    """CREATE TRIGGER addendum_no_update BEFORE UPDATE ON addendum
       BEGIN SELECT RAISE(ABORT, 'addenda cannot be changed'); END""",
    """CREATE TRIGGER addendum_no_delete BEFORE DELETE ON addendum
       BEGIN SELECT RAISE(ABORT, 'addenda cannot be deleted'); END""",
    # Draft history and links freeze with the note: nothing is added, changed or removed after signing.
    # (Written as "IN (signed, awaiting_cosign)" so that deleting a draft can still cascade to its rows.)
    """CREATE TRIGGER note_version_frozen_insert BEFORE INSERT ON note_version
       WHEN (SELECT status FROM note WHERE id = NEW.note_id) IN ('signed', 'awaiting_cosign')
       BEGIN SELECT RAISE(ABORT, 'the history of a signed note cannot be changed'); END""",
    """CREATE TRIGGER note_version_frozen_update BEFORE UPDATE ON note_version
       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')
       BEGIN SELECT RAISE(ABORT, 'the history of a signed note cannot be changed'); END""",
    """CREATE TRIGGER note_version_frozen_delete BEFORE DELETE ON note_version
       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')
       BEGIN SELECT RAISE(ABORT, 'the history of a signed note cannot be changed'); END""",
    """CREATE TRIGGER note_link_frozen_insert BEFORE INSERT ON note_link
       WHEN (SELECT status FROM note WHERE id = NEW.note_id) IN ('signed', 'awaiting_cosign')
       BEGIN SELECT RAISE(ABORT, 'the links of a signed note cannot be changed'); END""",
    """CREATE TRIGGER note_link_frozen_update BEFORE UPDATE ON note_link
       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')
       BEGIN SELECT RAISE(ABORT, 'the links of a signed note cannot be changed'); END""",
    """CREATE TRIGGER note_link_frozen_delete BEFORE DELETE ON note_link
       WHEN (SELECT status FROM note WHERE id = OLD.note_id) IN ('signed', 'awaiting_cosign')
       BEGIN SELECT RAISE(ABORT, 'the links of a signed note cannot be changed'); END""",
)

AUDIT_TRIGGERS = (
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)

STAGE_RECORD_TRIGGERS = (
    # Stage history is a record of decisions: corrections are new records, never edits or deletions.
    """CREATE TRIGGER stage_record_no_update BEFORE UPDATE ON stage_record
       BEGIN SELECT RAISE(ABORT, 'stage records cannot be changed; record a new stage'); END""",
    """CREATE TRIGGER stage_record_no_delete BEFORE DELETE ON stage_record
       BEGIN SELECT RAISE(ABORT, 'stage records cannot be deleted'); END""",
)

ADMINISTRATION_TRIGGERS = (
    """CREATE TRIGGER administration_no_delete BEFORE DELETE ON administration
       BEGIN SELECT RAISE(ABORT, 'administrations are voided, never deleted'); END""",
)

# Full-text index of notes: rowid = note.id; body = the note's field values (in the stored order), then its
# addenda's texts (in order).  Triggers keep it in step with every insert, edit, addendum and deletion in
# the same transaction, whichever path wrote the row (core, import or raw SQL).
NOTE_FTS = (
    """CREATE VIRTUAL TABLE note_fts USING fts5(
         body, tokenize = 'unicode61 remove_diacritics 2', detail = 'full')""",
)

_NOTE_BODY = """coalesce((SELECT group_concat(value, char(10)) FROM json_each(NEW.fields)
                  WHERE type = 'text'), '')
         || coalesce((SELECT char(10) || group_concat(text, char(10))
                      FROM (SELECT text FROM addendum WHERE note_id = NEW.id ORDER BY id)), '')"""

NOTE_FTS_TRIGGERS = (
    f"""CREATE TRIGGER note_fts_insert AFTER INSERT ON note
       BEGIN INSERT INTO note_fts(rowid, body) VALUES (NEW.id, {_NOTE_BODY}); END""",
    f"""CREATE TRIGGER note_fts_update AFTER UPDATE OF fields ON note
       BEGIN
         DELETE FROM note_fts WHERE rowid = OLD.id;
         INSERT INTO note_fts(rowid, body) VALUES (NEW.id, {_NOTE_BODY});
       END""",
    """CREATE TRIGGER note_fts_delete AFTER DELETE ON note
       BEGIN DELETE FROM note_fts WHERE rowid = OLD.id; END""",
    """CREATE TRIGGER note_fts_addendum AFTER INSERT ON addendum
       BEGIN
         DELETE FROM note_fts WHERE rowid = NEW.note_id;
         INSERT INTO note_fts(rowid, body) SELECT n.id,
             coalesce((SELECT group_concat(value, char(10)) FROM json_each(n.fields) WHERE type = 'text'), '')
             || coalesce((SELECT char(10) || group_concat(text, char(10))
                          FROM (SELECT text FROM addendum WHERE note_id = n.id ORDER BY id)), '')
           FROM note AS n WHERE n.id = NEW.note_id;
       END""",
)

# The baseline (revision 0001) statements, frozen in ``migrations/versions/0001_initial_schema.py``.
ALL = (
    SIGNED_NOTE_TRIGGERS
    + AUDIT_TRIGGERS
    + STAGE_RECORD_TRIGGERS
    + ADMINISTRATION_TRIGGERS
    + NOTE_FTS
    + NOTE_FTS_TRIGGERS
)

# Revision 0002: every final clinical record is protected, not only notes, stage records and the audit log.
FINAL_RECORD_TRIGGERS = (
    # A completed administration keeps its answers and provenance; it may only be voided, or take the result
    # of a new score_result row (a re-score adds a row first, then the administration shows it).  A voided
    # one never changes again.
    """CREATE TRIGGER administration_final_frozen BEFORE UPDATE ON administration
       WHEN OLD.status != 'in_progress' AND (
            NEW.id IS NOT OLD.id OR NEW.client_id IS NOT OLD.client_id OR NEW.focus_id IS NOT OLD.focus_id
         OR NEW.form_id IS NOT OLD.form_id OR NEW.form_version IS NOT OLD.form_version
         OR NEW.form_version_id IS NOT OLD.form_version_id OR NEW.mode IS NOT OLD.mode
         OR NEW.by_user_id IS NOT OLD.by_user_id OR NEW.started_at IS NOT OLD.started_at
         OR NEW.completed_at IS NOT OLD.completed_at OR NEW.answers IS NOT OLD.answers
         OR NEW.current_item IS NOT OLD.current_item OR NEW.behaviour_text IS NOT OLD.behaviour_text
         OR NEW.edit_seconds IS NOT OLD.edit_seconds
         OR (OLD.status = 'voided' AND (NEW.status IS NOT OLD.status OR NEW.void_reason IS NOT OLD.void_reason
                                        OR NEW.voided_at IS NOT OLD.voided_at OR NEW.result IS NOT OLD.result
                                        OR NEW.scoring_version IS NOT OLD.scoring_version))
         OR (OLD.status = 'complete' AND NEW.status NOT IN ('complete', 'voided'))
         OR (NEW.status = 'complete' AND (NEW.void_reason IS NOT OLD.void_reason
                                          OR NEW.voided_at IS NOT OLD.voided_at))
         OR ((NEW.result IS NOT OLD.result OR NEW.scoring_version IS NOT OLD.scoring_version)
             AND NOT EXISTS (SELECT 1 FROM score_result AS r
                             WHERE r.id = (SELECT max(id) FROM score_result WHERE administration_id = NEW.id)
                               AND r.result IS NEW.result AND r.scoring_version IS NEW.scoring_version)))
       BEGIN
         SELECT RAISE(ABORT, 'a completed administration cannot be changed; void it or score it again');
       END""",
    # Every result ever computed is kept as it was: a re-score adds a row, it never edits one.
    """CREATE TRIGGER score_result_no_update BEFORE UPDATE ON score_result
       BEGIN SELECT RAISE(ABORT, 'score results cannot be changed; score again to add a result'); END""",
    """CREATE TRIGGER score_result_no_delete BEFORE DELETE ON score_result
       BEGIN SELECT RAISE(ABORT, 'score results cannot be deleted'); END""",
    # A risk alert is acknowledged once, then addressed once; what raised it never changes.
    """CREATE TRIGGER risk_alert_frozen BEFORE UPDATE ON risk_alert
       WHEN NEW.id IS NOT OLD.id OR NEW.client_id IS NOT OLD.client_id
         OR NEW.administration_id IS NOT OLD.administration_id OR NEW.flag IS NOT OLD.flag
         OR NEW.raised_at IS NOT OLD.raised_at OR NEW.item_id IS NOT OLD.item_id
         OR (OLD.acknowledged_at IS NOT NULL AND (NEW.acknowledged_at IS NOT OLD.acknowledged_at
              OR NEW.acknowledged_by_id IS NOT OLD.acknowledged_by_id
              OR NEW.action_taken IS NOT OLD.action_taken))
         OR (OLD.addressed_at IS NOT NULL AND (NEW.addressed_at IS NOT OLD.addressed_at
              OR NEW.addressed_by_id IS NOT OLD.addressed_by_id
              OR NEW.addressed_note IS NOT OLD.addressed_note))
       BEGIN SELECT RAISE(ABORT, 'a risk alert can only be acknowledged, then addressed, once'); END""",
    """CREATE TRIGGER risk_alert_no_delete BEFORE DELETE ON risk_alert
       BEGIN SELECT RAISE(ABORT, 'risk alerts cannot be deleted'); END""",
    """CREATE TRIGGER intervention_decision_no_update BEFORE UPDATE ON intervention_decision
       BEGIN SELECT RAISE(ABORT, 'intervention decisions cannot be changed; record a new decision'); END""",
    """CREATE TRIGGER intervention_decision_no_delete BEFORE DELETE ON intervention_decision
       BEGIN SELECT RAISE(ABORT, 'intervention decisions cannot be deleted'); END""",
)

_NAME = re.compile(r"CREATE TRIGGER (\w+) ")


def trigger_name(statement: str) -> str:
    """The name a ``CREATE TRIGGER`` statement creates."""
    found = _NAME.match(statement)
    if found is None:
        raise ValueError("not a CREATE TRIGGER statement")
    return found.group(1)


def _by_name(*groups: tuple[str, ...]) -> dict[str, str]:
    return {trigger_name(s): s for group in groups for s in group}


# The triggers that protect final records, per database engine, and the schema revision that added them:
# ``verify`` and the open check compare each live trigger's SQL with this text, byte for byte (SQLite keeps
# a trigger's CREATE statement exactly as written).  PostgreSQL (clinic mode) will add its own entry here:
# its trigger functions and the privileges it revokes, under the same names.
PROTECTIVE_TRIGGERS: dict[str, dict[str, dict[str, str]]] = {
    "sqlite": {
        "0001": _by_name(
            SIGNED_NOTE_TRIGGERS, AUDIT_TRIGGERS, STAGE_RECORD_TRIGGERS, ADMINISTRATION_TRIGGERS
        ),
        "0002": _by_name(FINAL_RECORD_TRIGGERS),
    }
}

# Triggers that are Stagewise's own but protect nothing (the full-text index); any other trigger is foreign.
HOUSEKEEPING_TRIGGERS = frozenset(_by_name(NOTE_FTS_TRIGGERS))
