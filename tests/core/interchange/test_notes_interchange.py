from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from stagewise.core.audit.trail import canonical_json
from stagewise.core.errors import ConflictError
from stagewise.core.models import User
from stagewise.core.notes import drafts as notes
from stagewise.core.notes.chain import ADDENDUM_MISMATCH, MISMATCH
from stagewise.core.notes.templates import load_templates
from stagewise.core.storage import store
from tests.conftest import PASSPHRASE
from tests.core.notes.test_notes import (
    SOAP,
    T0,
    People,
    make_people,
    people as people,  # the fixture
)

USERS = {"alice", "bob", "sam"}


def _fill(practice: store.Practice, p: People) -> None:
    with practice.session_factory.begin() as s:
        a = notes.create_draft(
            s, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP, now=T0
        )
        notes.sign_note(s, a.id, user_id=p.alice, actor=None, now=T0 + dt.timedelta(minutes=9))
        notes.add_addendum(
            s, a.id, "Late entry: phoned GP.", author_id=p.sam, actor=None, now=T0 + dt.timedelta(days=1)
        )
        b = notes.create_draft(
            s,
            client_id=p.client,
            template_id="dap",
            author_id=p.bob,
            actor=None,
            now=T0 + dt.timedelta(days=2),
        )
        notes.save_draft(
            s, b.id, {"data": "d", "assessment": "a", "plan": "p"}, now=T0 + dt.timedelta(days=2)
        )
        notes.sign_note(s, b.id, user_id=p.bob, actor=None, now=T0 + dt.timedelta(days=2, hours=1))
        notes.cosign_note(s, b.id, supervisor_id=p.sam, actor=None, now=T0 + dt.timedelta(days=3))
        c = notes.create_draft(
            s,
            client_id=p.client,
            template_id="soap",
            author_id=p.bob,
            actor=None,
            now=T0 + dt.timedelta(days=4),
        )
        notes.save_draft(s, c.id, {"plan": "half-written"}, now=T0 + dt.timedelta(days=4, minutes=3))


def exported(practice: store.Practice, client: int) -> list[dict[str, Any]]:
    with practice.session_factory() as s:
        return notes.export_client_notes(s, client)


@pytest.fixture
def other(tmp_path: Path) -> Iterator[store.Practice]:
    created = store.create_practice(tmp_path / "other.stagewise", PASSPHRASE)
    try:
        yield created.practice
    finally:
        created.practice.close()


def test_export_shape(practice: store.Practice, people: People) -> None:
    _fill(practice, people)
    data = exported(practice, people.client)
    assert [n["status"] for n in data] == ["signed", "signed", "draft"]
    first = data[0]
    assert list(first) == [
        "template",
        "template_version",
        "written_at",
        "updated_at",
        "author",
        "fields",
        "status",
        "signed_at",
        "signed_by",
        "hash",
        "prev_hash",
        "cosigned_by",
        "cosigned_at",
        "addenda",
    ]
    assert first["template"] == "soap"
    assert first["author"] == "alice"
    assert first["signed_by"] == "alice"
    assert first["written_at"] == "2026-03-02T09:00:00.000Z"
    assert first["fields"] == SOAP
    assert first["prev_hash"] == notes.GENESIS
    (add,) = first["addenda"]
    assert add["author"] == "sam"
    assert add["text"] == "Late entry: phoned GP."
    assert add["prev_hash"] == first["hash"]
    assert data[1]["cosigned_by"] == "sam"
    assert data[1]["prev_hash"] == add["hash"]
    assert data[2]["hash"] is None
    assert data[2]["fields"]["plan"] == "half-written"
    assert exported(practice, people.other_client) == []


def test_round_trip_is_byte_identical(
    practice: store.Practice, people: People, other: store.Practice
) -> None:
    _fill(practice, people)
    data = exported(practice, people.client)
    templates = load_templates()
    assert notes.validate_client_notes(data, "$.clients[0].notes", usernames=USERS, templates=templates) == []
    with other.session_factory.begin() as s:
        q = make_people(s)
        user_ids = {u.username: u.id for u in s.execute(select(User)).scalars()}
        count = notes.import_client_notes(s, q.other_client, data, user_ids=user_ids, actor="admin")
    assert count == 3
    again = exported(other, q.other_client)
    assert canonical_json(again) == canonical_json(data)
    with other.session_factory() as s:
        assert notes.verify_chains(s) == []
        assert notes.search_notes(s, "phoned", client_id=q.other_client)[0].status is notes.NoteStatus.SIGNED
        draft = notes.recoverable_drafts(s, user_ids["bob"])
        assert [d.preview for d in draft] == ["half-written"]
    # Importing signed notes on top of an existing chain would fork it: refused.
    with other.session_factory.begin() as s, pytest.raises(ConflictError, match="already has signed notes"):
        notes.import_client_notes(s, q.other_client, data, user_ids=user_ids, actor="admin")


def _problems(data: Any) -> list[tuple[str, str]]:
    return notes.validate_client_notes(data, "$.notes", usernames=USERS, templates=load_templates())


def test_altered_signed_content_is_refused(practice: store.Practice, people: People) -> None:
    _fill(practice, people)
    data = exported(practice, people.client)
    edited = copy.deepcopy(data)
    edited[0]["fields"]["plan"] = "Fortnightly."
    assert _problems(edited) == [("$.notes[0].hash", MISMATCH)]
    edited = copy.deepcopy(data)
    edited[0]["addenda"][0]["text"] = "Late entry: emailed GP."
    assert _problems(edited) == [("$.notes[0].addenda[0].hash", ADDENDUM_MISMATCH)]
    edited = copy.deepcopy(data)
    edited[1]["signed_at"] = "2026-03-04T10:00:00.001Z"
    assert _problems(edited) == [("$.notes[1].hash", MISMATCH)]
    # A drafted note may change freely: it has no hash yet.
    edited = copy.deepcopy(data)
    edited[2]["fields"]["plan"] = "finished elsewhere"
    assert _problems(edited) == []


def test_a_removed_note_breaks_the_chain(practice: store.Practice, people: People) -> None:
    _fill(practice, people)
    data = exported(practice, people.client)
    data[0]["addenda"] = []
    assert _problems(data) == [
        ("$.notes[1]", "chain broken: the record it follows is missing or was altered")
    ]


def test_structural_problems_are_listed_with_paths(practice: store.Practice, people: People) -> None:
    _fill(practice, people)
    data = exported(practice, people.client)
    data[0]["author"] = "mallory"
    data[1]["template"] = "unknown"
    data[2]["hash"] = "0" * 64
    data.append("not a note")  # type: ignore[arg-type]
    data.append(
        {
            "template": "soap",
            "author": "alice",
            "fields": {"plan": 3},
            "status": "final",
            "written_at": "yesterday",
        }
    )
    problems = _problems(data)
    assert ("$.notes[0].author", "unknown user 'mallory'; import or create the user first") in problems
    assert ("$.notes[1].template", "unknown note template 'unknown'; install it first") in problems
    assert ("$.notes[2].hash", "a draft has no signature") in problems
    assert ("$.notes[3]", "must be an object") in problems
    assert ("$.notes[4].fields", "must be an object of text values") in problems
    assert ("$.notes[4].status", "must be 'draft', 'awaiting_cosign' or 'signed'") in problems
    assert ("$.notes[4].written_at", "must be an ISO-8601 date and time") in problems
    assert _problems({"not": "a list"}) == [("$.notes", "must be a list of notes")]


def test_minimal_issue_shape_validates(practice: store.Practice, people: People) -> None:
    """The issue's minimal shape (no template_version, updated_at or co-signature keys) is accepted."""
    _fill(practice, people)
    first = exported(practice, people.client)[0]
    minimal = {
        k: first[k]
        for k in (
            "template",
            "written_at",
            "author",
            "fields",
            "status",
            "signed_at",
            "signed_by",
            "hash",
            "prev_hash",
        )
    }
    minimal["addenda"] = [
        {k: a[k] for k in ("written_at", "author", "text", "signed_at", "hash", "prev_hash")}
        for a in first["addenda"]
    ]
    assert _problems([minimal]) == []


def test_notes_travel_in_the_practice_interchange_file(
    practice: store.Practice, people: People, other: store.Practice
) -> None:
    from stagewise.core.errors import ImportValidationError
    from stagewise.core.interchange import format as interchange

    _fill(practice, people)
    with practice.session_factory() as s:
        text = interchange.export_practice(s, actor="admin").text
    doc = interchange.parse_document(text)
    assert [len(c["notes"]) for c in doc["clients"]] == [3, 0]
    with other.session_factory.begin() as s:
        for name in ("alice", "bob", "sam"):
            s.add(
                User(
                    username=name, display_name=name.title(), roles="clinician supervisor", password_hash="x"
                )
            )
        s.flush()
        summary = interchange.import_document(s, interchange.parse_document(text), actor="admin")
        assert summary.sections["notes"] == 3
    with other.session_factory() as s:
        assert interchange.export_practice(s, actor="admin").text == text
        assert notes.verify_chains(s) == []
    tampered = interchange.parse_document(text)
    tampered["clients"][0]["notes"][1]["fields"]["plan"] = "q"
    with other.session_factory.begin() as s, pytest.raises(ImportValidationError) as caught:
        interchange.import_document(s, tampered, actor="admin")
    assert ("$.clients[0].notes[1].hash", MISMATCH) in caught.value.problems
