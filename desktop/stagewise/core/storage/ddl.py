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

ALL = (
    SIGNED_NOTE_TRIGGERS
    + AUDIT_TRIGGERS
    + STAGE_RECORD_TRIGGERS
    + ADMINISTRATION_TRIGGERS
    + NOTE_FTS
    + NOTE_FTS_TRIGGERS
)
