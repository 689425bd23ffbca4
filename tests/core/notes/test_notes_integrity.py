"""The database itself keeps signed notes immutable, and the hash chain catches what triggers cannot."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError, IntegrityError

from stagewise.core.audit.trail import canonical_json
from stagewise.core.notes import chain as note_chain, drafts as notes
from stagewise.core.storage.store import Practice
from tests.core.notes.test_notes import (
    SOAP,
    T0,
    People,
    new_signed,
    people as people,  # the fixture
)

NOTE_TRIGGERS = ("note_signed_no_update", "note_cosign_only", "note_signed_no_delete")


def _raw(practice: Practice, sql: str, **params: object) -> None:
    with practice.session_factory.begin() as s:
        s.execute(text(sql), params)


def _signed(practice: Practice, people: People) -> notes.NoteInfo:
    with practice.session_factory.begin() as s:
        return new_signed(s, people)


@pytest.mark.parametrize(
    "sql",
    [
        'UPDATE note SET fields = \'{"subjective": "rewritten"}\' WHERE id = :id',
        "UPDATE note SET hash = 'f' || substr(hash, 2) WHERE id = :id",
        "UPDATE note SET prev_hash = NULL WHERE id = :id",
        "UPDATE note SET status = 'draft', hash = NULL, signed_at = NULL WHERE id = :id",
        "UPDATE note SET updated_at = '2030-01-01T00:00:00.000Z' WHERE id = :id",
    ],
)
def test_raw_update_of_a_signed_note_fails(practice: Practice, people: People, sql: str) -> None:
    signed = _signed(practice, people)
    with pytest.raises(IntegrityError, match="signed notes cannot be changed"):
        _raw(practice, sql, id=signed.id)
    with practice.session_factory() as s:
        assert notes.get_note(s, signed.id) == signed
        assert notes.verify_chains(s) == []


def test_raw_delete_of_a_signed_note_fails(practice: Practice, people: People) -> None:
    signed = _signed(practice, people)
    with pytest.raises(IntegrityError, match="signed notes cannot be deleted"):
        _raw(practice, "DELETE FROM note WHERE id = :id", id=signed.id)
    with pytest.raises(DatabaseError, match="history of a signed note"):
        _raw(practice, "DELETE FROM note_version WHERE note_id = :id", id=signed.id)
    with pytest.raises(DatabaseError, match="history of a signed note"):
        _raw(
            practice,
            "INSERT INTO note_version(note_id, saved_at, fields)"
            " VALUES (:id, '2026-01-01T00:00:00.000Z', '{}')",
            id=signed.id,
        )
    with practice.session_factory() as s:
        assert notes.get_note(s, signed.id).status is notes.NoteStatus.SIGNED
        assert len(notes.draft_history(s, signed.id)) == 1


def test_addenda_cannot_be_changed_or_deleted(practice: Practice, people: People) -> None:
    signed = _signed(practice, people)
    with practice.session_factory.begin() as s:
        add = notes.add_addendum(s, signed.id, "Late entry.", author_id=people.alice, actor=None)
    with pytest.raises(IntegrityError, match="addenda cannot be changed"):
        _raw(practice, "UPDATE addendum SET text = 'other' WHERE id = :id", id=add.id)
    with pytest.raises(IntegrityError, match="addenda cannot be deleted"):
        _raw(practice, "DELETE FROM addendum WHERE id = :id", id=add.id)


def test_awaiting_cosign_note_can_only_be_cosigned(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        d = notes.create_draft(
            s, client_id=people.client, template_id="soap", author_id=people.bob, actor=None, fields=SOAP
        )
        notes.sign_note(s, d.id, user_id=people.bob, actor=None)
    for sql in (
        "UPDATE note SET fields = '{}' WHERE id = :id",
        "UPDATE note SET hash = NULL WHERE id = :id",
        "UPDATE note SET template_version = '9' WHERE id = :id",
        "UPDATE note SET status = 'draft' WHERE id = :id",
        # becoming signed needs a co-signer other than the author
        "UPDATE note SET status = 'signed' WHERE id = :id",
        "UPDATE note SET status = 'signed', cosigned_by_id = author_id, cosigned_at = signed_at"
        " WHERE id = :id",
    ):
        with pytest.raises(IntegrityError, match="can only be co-signed"):
            _raw(practice, sql, id=d.id)
    with practice.session_factory.begin() as s:
        done = notes.cosign_note(s, d.id, supervisor_id=people.sam, actor=None)
    assert done.status is notes.NoteStatus.SIGNED
    with pytest.raises(IntegrityError, match="signed notes cannot be changed"):
        _raw(practice, "UPDATE note SET cosigned_by_id = NULL WHERE id = :id", id=d.id)


def _drop_note_triggers(practice: Practice) -> None:
    """What an attacker with the key could do: remove the database's defences."""
    with practice.session_factory.begin() as s:
        for name in (*NOTE_TRIGGERS, "addendum_no_update", "addendum_no_delete"):
            s.execute(text(f"DROP TRIGGER {name}"))


def test_chain_catches_one_flipped_byte(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        first = new_signed(s, people)
        target = new_signed(s, people, at=T0 + dt.timedelta(days=1))
        new_signed(s, people, at=T0 + dt.timedelta(days=2))
        assert notes.verify_chains(s) == []
    _drop_note_triggers(practice)
    with practice.session_factory.begin() as s:
        stored = s.execute(text("SELECT fields FROM note WHERE id = :id"), {"id": target.id}).scalar_one()
        flipped = stored.replace("fewer", "fewest", 1)
        assert flipped != stored
        s.execute(text("UPDATE note SET fields = :f WHERE id = :id"), {"f": flipped, "id": target.id})
    with practice.session_factory() as s:
        problems = notes.verify_chains(s)
        assert problems == [
            f"client {people.client}, note {target.id}: hash does not match the note's content; "
            "the note was altered after signing"
        ]
        assert notes.verify_chains(s, people.other_client) == []
        assert f"note {first.id}" not in " ".join(problems)


def test_chain_catches_a_rehashed_note_and_a_removed_one(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        a = new_signed(s, people)
        b = new_signed(s, people, at=T0 + dt.timedelta(days=1))
        add = notes.add_addendum(
            s, b.id, "Late entry.", author_id=people.alice, actor=None, now=T0 + dt.timedelta(days=1, hours=1)
        )
        c = new_signed(s, people, at=T0 + dt.timedelta(days=2))
    _drop_note_triggers(practice)
    # Re-hash b after editing it: its own hash verifies, but the addendum no longer links to it.
    edited = dict(SOAP, plan="Monthly.")
    content = note_chain.note_content(
        template_id="soap",
        template_version="1.0",
        fields=edited,
        author="alice",
        written_at="2026-03-03T09:00:00.000Z",
        signed_by="alice",
        signed_at="2026-03-03T09:05:00.000Z",
        prev_hash=a.hash or "",
    )
    forged = note_chain.content_hash(content)
    _raw(
        practice,
        "UPDATE note SET fields = :f, hash = :h WHERE id = :id",
        f=canonical_json(edited),
        h=forged,
        id=b.id,
    )
    with practice.session_factory() as s:
        problems = notes.verify_chains(s)
    assert problems == [
        f"client {people.client}, addendum {add.id} (note {b.id}): hash does not match the addendum's "
        "content; the addendum was altered after signing",
        f"client {people.client}, addendum {add.id} (note {b.id}): chain broken: the record it follows is "
        "missing or was altered",
    ]
    # Removing the addendum entirely breaks the link of the note signed after it.
    _raw(practice, "DELETE FROM addendum WHERE id = :id", id=add.id)
    with practice.session_factory() as s:
        problems = notes.verify_chains(s)
    assert problems == [
        f"client {people.client}, note {c.id}: chain broken: the record it follows is missing or was altered"
    ]


def test_chain_catches_an_edited_addendum(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        signed = new_signed(s, people)
        add = notes.add_addendum(s, signed.id, "Phoned GP on Tuesday.", author_id=people.alice, actor=None)
    _drop_note_triggers(practice)
    _raw(practice, "UPDATE addendum SET text = 'Phoned GP on Monday.' WHERE id = :id", id=add.id)
    with practice.session_factory() as s:
        assert notes.verify_chains(s) == [
            f"client {people.client}, addendum {add.id} (note {signed.id}): hash does not match the "
            "addendum's content; the addendum was altered after signing"
        ]
