"""SQL the ORM cannot express: triggers that make the database defend itself, and the FTS5 index.

Migrations copy these statements (a migration must not change when this module does); this module is the
readable reference and what tests compare the live schema against.
"""

from __future__ import annotations

SIGNED_NOTE_TRIGGERS = (
    # A signed note never changes, by any path.
    """CREATE TRIGGER note_signed_no_update BEFORE UPDATE ON note
       WHEN OLD.status = 'signed'
       BEGIN SELECT RAISE(ABORT, 'signed notes cannot be changed; add an addendum'); END""",
    # A note awaiting co-signature may only gain its co-signature (and become signed).
    """CREATE TRIGGER note_cosign_only BEFORE UPDATE ON note
       WHEN OLD.status = 'awaiting_cosign' AND (
            NEW.fields IS NOT OLD.fields OR NEW.hash IS NOT OLD.hash OR NEW.prev_hash IS NOT OLD.prev_hash
         OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signed_by_id IS NOT OLD.signed_by_id
         OR NEW.author_id IS NOT OLD.author_id OR NEW.client_id IS NOT OLD.client_id
         OR NEW.template_id IS NOT OLD.template_id OR NEW.written_at IS NOT OLD.written_at
         OR NEW.status NOT IN ('awaiting_cosign', 'signed'))
       BEGIN SELECT RAISE(ABORT, 'a note awaiting co-signature can only be co-signed'); END""",
    """CREATE TRIGGER note_signed_no_delete BEFORE DELETE ON note
       WHEN OLD.status != 'draft'
       BEGIN SELECT RAISE(ABORT, 'signed notes cannot be deleted'); END""",
    """CREATE TRIGGER addendum_no_update BEFORE UPDATE ON addendum
       BEGIN SELECT RAISE(ABORT, 'addenda cannot be changed'); END""",
    """CREATE TRIGGER addendum_no_delete BEFORE DELETE ON addendum
       BEGIN SELECT RAISE(ABORT, 'addenda cannot be deleted'); END""",
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

# Full-text index of notes: rowid = note.id; body = the note's field texts and its addenda.
# Maintained by stagewise.core.notes in the same transaction as the note.
NOTE_FTS = (
    """CREATE VIRTUAL TABLE note_fts USING fts5(
         body, tokenize = 'unicode61 remove_diacritics 2', detail = 'full')""",
)

ALL = SIGNED_NOTE_TRIGGERS + AUDIT_TRIGGERS + STAGE_RECORD_TRIGGERS + ADMINISTRATION_TRIGGERS + NOTE_FTS
