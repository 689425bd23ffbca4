from __future__ import annotations

import datetime as dt
from dataclasses import FrozenInstanceError, dataclass

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from stagewise.core.errors import ConflictError, NotFoundError, PermissionDeniedError, UserInputError
from stagewise.core.models import AuditEvent, Client, NoteStatus, NoteVersion, User
from stagewise.core.notes import drafts as notes, summary as note_summary
from stagewise.core.notes.templates import load_templates
from stagewise.core.storage.store import Practice

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SOAP = {
    "subjective": "Reports fewer cravings.",
    "objective": "Calm.",
    "assessment": "Steady.",
    "plan": "Weekly.",
}


@dataclass(frozen=True)
class People:
    alice: int  # clinician
    bob: int  # clinician whose notes need a co-signature
    sam: int  # supervisor
    client: int
    other_client: int


def make_people(session: Session) -> People:
    """Users and clients straight through the ORM (users.py / clients.py are someone else's)."""
    users = [
        User(username="alice", display_name="Alice A", roles="clinician", password_hash="x"),
        User(
            username="bob", display_name="Bob B", roles="clinician", password_hash="x", requires_cosign=True
        ),
        User(username="sam", display_name="Sam S", roles="clinician supervisor", password_hash="x"),
    ]
    clients = [
        Client(
            chart_number=chart,
            given_name="Test",
            family_name="Client",
            given_name_key="test",
            family_name_key="client",
            date_of_birth=dt.date(1980, 1, 1),
        )
        for chart in ("C-001", "C-002")
    ]
    session.add_all([*users, *clients])
    session.flush()
    return People(users[0].id, users[1].id, users[2].id, clients[0].id, clients[1].id)


@pytest.fixture
def people(practice: Practice) -> People:
    with practice.session_factory.begin() as s:
        return make_people(s)


def new_signed(s: Session, p: People, *, client: int | None = None, at: dt.datetime = T0) -> notes.NoteInfo:
    draft = notes.create_draft(
        s,
        client_id=client or p.client,
        template_id="soap",
        author_id=p.alice,
        actor="alice",
        fields=SOAP,
        now=at,
    )
    return notes.sign_note(s, draft.id, user_id=p.alice, actor="alice", now=at + dt.timedelta(minutes=5))


def audit_actions(s: Session) -> list[str]:
    """The actions recorded, without the ``seal`` events that carry final records' digests."""
    q = select(AuditEvent.action).where(AuditEvent.action != "seal").order_by(AuditEvent.id)
    return list(s.execute(q).scalars())


def test_draft_create_save_get_roundtrip(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        draft = notes.create_draft(
            s, client_id=people.client, template_id="soap", author_id=people.alice, actor="alice"
        )
    assert draft.status is NoteStatus.DRAFT
    assert draft.fields == {"subjective": "", "objective": "", "assessment": "", "plan": ""}
    assert draft.template_version == "1.0"
    assert draft.editable
    with practice.session_factory.begin() as s:
        saved = notes.save_draft(s, draft.id, {"subjective": "Feels better"}, now=T0)
        again = notes.save_draft(s, draft.id, {"subjective": "Feels better"}, now=T0)
    assert saved.changed
    assert not again.changed
    with practice.session_factory() as s:
        got = notes.get_note(s, draft.id)
    assert got.fields["subjective"] == "Feels better"
    assert got.updated_at == T0
    got.fields["subjective"] = "changed locally"  # a copy: nothing stored changes
    with pytest.raises(FrozenInstanceError):
        got.status = NoteStatus.SIGNED  # type: ignore[misc]
    with practice.session_factory() as s:
        assert notes.get_note(s, draft.id).fields["subjective"] == "Feels better"


def test_autosave_is_not_audited_but_creation_and_signing_are(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        before = len(audit_actions(s))
        draft = notes.create_draft(
            s, client_id=people.client, template_id="soap", author_id=people.alice, actor="alice"
        )
        for i in range(5):
            notes.save_draft(s, draft.id, {"subjective": "x" * (i + 1)})
        notes.save_draft(s, draft.id, SOAP)
        notes.sign_note(s, draft.id, user_id=people.alice, actor="alice")
        actions = audit_actions(s)[before:]
    assert actions == ["create", "sign"]


def test_save_refuses_unknown_fields_and_non_text(session: Session) -> None:
    p = make_people(session)
    draft = notes.create_draft(session, client_id=p.client, template_id="dap", author_id=p.alice, actor=None)
    with pytest.raises(UserInputError, match="no field 'subjective'"):
        notes.save_draft(session, draft.id, {"subjective": "x"})
    with pytest.raises(UserInputError, match="must be text"):
        notes.save_draft(session, draft.id, {"data": 3})  # type: ignore[dict-item]
    with pytest.raises(NotFoundError):
        notes.save_draft(session, 999, {"data": "x"})
    assert notes.get_note(session, draft.id).fields["data"] == ""


def test_create_refuses_unknown_template_client_and_field(session: Session) -> None:
    p = make_people(session)
    with pytest.raises(NotFoundError, match="no note template 'nope'"):
        notes.create_draft(session, client_id=p.client, template_id="nope", author_id=p.alice, actor=None)
    with pytest.raises(NotFoundError, match="client"):
        notes.create_draft(session, client_id=999, template_id="soap", author_id=p.alice, actor=None)
    with pytest.raises(UserInputError, match="no field 'x'"):
        notes.create_draft(
            session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields={"x": "1"}
        )


def test_version_history_policy(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, now=T0
    )
    assert notes.draft_history(session, d.id) == []  # empty draft: nothing to remember yet
    first = notes.save_draft(session, d.id, {"subjective": "a"}, now=T0 + dt.timedelta(seconds=1))
    within = notes.save_draft(session, d.id, {"subjective": "ab"}, now=T0 + dt.timedelta(seconds=30))
    later = notes.save_draft(session, d.id, {"plan": "p"}, now=T0 + dt.timedelta(seconds=95))
    assert (first.version_saved, within.version_saved, later.version_saved) == (True, False, True)
    history = notes.draft_history(session, d.id)
    assert [v.saved_at for v in history] == [T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=95)]
    assert history[0].fields["subjective"] == "a"
    assert history[1].fields == {"subjective": "ab", "objective": "", "assessment": "", "plan": "p"}
    assert history[1].changed_fields == ("subjective", "plan")
    changes = notes.diff_fields(history[0].fields, history[1].fields)
    assert [(c.field_id, c.before, c.after) for c in changes] == [
        ("subjective", "a", "ab"),
        ("plan", "", "p"),
    ]


def test_sign_refuses_empty_required_fields_naming_labels(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session,
        client_id=p.client,
        template_id="soap",
        author_id=p.alice,
        actor=None,
        fields={"subjective": "s", "objective": "  "},
    )
    with pytest.raises(notes.MissingFieldsError) as info:
        notes.sign_note(session, d.id, user_id=p.alice, actor="alice")
    assert info.value.fields == ("Objective", "Assessment", "Plan")
    assert info.value.field_ids == ("objective", "assessment", "plan")
    assert "Objective, Assessment, Plan" in str(info.value)
    assert isinstance(info.value, UserInputError)
    kept = notes.get_note(session, d.id)
    assert kept.status is NoteStatus.DRAFT
    assert kept.fields["subjective"] == "s"


def test_treatment_plan_needs_a_real_review_date(session: Session) -> None:
    p = make_people(session)
    plan = {
        "problems": "Drinking most evenings",
        "goals": "Drink within low-risk limits",
        "objectives": "Two alcohol-free days a week",
        "target_dates": "2026-04-01 – objective 1",
        "review_date": "next month",
    }
    d = notes.create_draft(
        session, client_id=p.client, template_id="treatment_plan", author_id=p.alice, actor=None, fields=plan
    )
    with pytest.raises(notes.InvalidFieldsError, match="Review date"):
        notes.sign_note(session, d.id, user_id=p.alice, actor=None)
    notes.save_draft(session, d.id, {"review_date": "2026-05-01"})
    assert notes.sign_note(session, d.id, user_id=p.alice, actor=None).status is NoteStatus.SIGNED


def test_sign_stamps_who_when_and_hash(session: Session) -> None:
    p = make_people(session)
    signed = new_signed(session, p)
    assert signed.status is NoteStatus.SIGNED
    assert signed.signed_by_username == "alice"
    assert signed.signed_at == T0 + dt.timedelta(minutes=5)
    assert signed.hash is not None
    assert len(signed.hash) == 64
    assert signed.prev_hash == notes.GENESIS
    second = new_signed(session, p, at=T0 + dt.timedelta(days=1))
    assert second.prev_hash == signed.hash
    other = new_signed(session, p, client=p.other_client)
    assert other.prev_hash == notes.GENESIS  # one chain per client
    assert notes.verify_chains(session) == []


def test_only_the_author_signs_and_only_once(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP
    )
    with pytest.raises(PermissionDeniedError):
        notes.sign_note(session, d.id, user_id=p.sam, actor="sam")
    notes.sign_note(session, d.id, user_id=p.alice, actor="alice")
    with pytest.raises(ConflictError, match="already signed"):
        notes.sign_note(session, d.id, user_id=p.alice, actor="alice")
    with pytest.raises(ConflictError, match="addendum"):
        notes.save_draft(session, d.id, {"plan": "changed"})
    with pytest.raises(ConflictError):
        notes.discard_draft(session, d.id, actor="alice")
    with pytest.raises(ConflictError):
        note_summary.insert_session_summary(session, d.id, on_date=T0.date())


def test_cosignature_flow_and_todo(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.bob, actor="bob", fields=SOAP
    )
    draft_todo = notes.todo(session, user_id=p.bob)
    assert [n.id for n in draft_todo.drafts] == [d.id]
    signed = notes.sign_note(session, d.id, user_id=p.bob, actor="bob", now=T0)
    assert signed.status is NoteStatus.AWAITING_COSIGN
    assert signed.hash is not None
    bob_todo = notes.todo(session, user_id=p.bob)
    assert bob_todo.drafts == ()
    assert [n.id for n in bob_todo.awaiting_cosign] == [d.id]
    assert [n.id for n in notes.todo(session, user_id=p.sam).to_cosign] == [d.id]
    assert notes.todo(session, user_id=p.alice).to_cosign == ()  # not a supervisor
    with pytest.raises(ConflictError):
        notes.save_draft(session, d.id, {"plan": "x"})
    with pytest.raises(PermissionDeniedError, match="supervisor"):
        notes.cosign_note(session, d.id, supervisor_id=p.alice, actor="alice")
    done = notes.cosign_note(session, d.id, supervisor_id=p.sam, actor="sam", now=T0 + dt.timedelta(hours=1))
    assert done.status is NoteStatus.SIGNED
    assert done.cosigned_by_username == "sam"
    assert done.cosigned_at == T0 + dt.timedelta(hours=1)
    assert done.hash == signed.hash  # the co-signature does not change the signed content
    assert notes.todo(session, user_id=p.sam).count == 0
    with pytest.raises(ConflictError):
        notes.cosign_note(session, d.id, supervisor_id=p.sam, actor="sam")
    assert notes.verify_chains(session) == []


def test_supervisor_cannot_cosign_own_note(session: Session) -> None:
    p = make_people(session)
    session.get(User, p.sam).requires_cosign = True  # type: ignore[union-attr]
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.sam, actor=None, fields=SOAP
    )
    notes.sign_note(session, d.id, user_id=p.sam, actor="sam")
    with pytest.raises(PermissionDeniedError, match="own note"):
        notes.cosign_note(session, d.id, supervisor_id=p.sam, actor="sam")


def test_addenda_keep_the_original_and_chain(session: Session) -> None:
    p = make_people(session)
    signed = new_signed(session, p)
    first = notes.add_addendum(session, signed.id, "Late entry: phoned GP.", author_id=p.alice, actor="alice")
    second = notes.add_addendum(
        session, signed.id, "  Correction: weekly, not daily.  ", author_id=p.sam, actor="sam"
    )
    assert first.prev_hash == signed.hash
    assert second.prev_hash == first.hash
    assert second.text == "Correction: weekly, not daily."
    view = notes.get_note(session, signed.id, actor="alice")
    assert view.fields == SOAP
    assert view.hash == signed.hash
    assert [a.id for a in view.addenda] == [first.id, second.id]
    assert [a.author_username for a in view.addenda] == ["alice", "sam"]
    nxt = new_signed(session, p, at=T0 + dt.timedelta(days=2))
    assert nxt.prev_hash == second.hash
    assert notes.verify_chains(session) == []
    assert audit_actions(session)[-4:] == ["addendum", "view", "create", "sign"]


def test_addendum_to_a_draft_or_empty_is_refused(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None)
    with pytest.raises(ConflictError, match="draft"):
        notes.add_addendum(session, d.id, "text", author_id=p.alice, actor=None)
    signed = new_signed(session, p)
    with pytest.raises(UserInputError, match="needs some text"):
        notes.add_addendum(session, signed.id, "   ", author_id=p.alice, actor=None)


def test_discard_draft_removes_it_with_history(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP
    )
    notes.discard_draft(session, d.id, actor="alice")
    with pytest.raises(NotFoundError):
        notes.get_note(session, d.id)
    assert session.execute(select(func.count()).select_from(NoteVersion)).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM note_fts")).scalar() == 0
    assert audit_actions(session)[-1] == "void"


def test_list_notes_filters_and_order(session: Session) -> None:
    p = make_people(session)
    a = new_signed(session, p, at=T0)
    b = notes.create_draft(
        session,
        client_id=p.client,
        template_id="dap",
        author_id=p.bob,
        actor=None,
        now=T0 + dt.timedelta(days=1),
    )
    c = new_signed(session, p, client=p.other_client, at=T0 + dt.timedelta(days=2))
    assert [n.id for n in notes.list_notes(session)] == [c.id, b.id, a.id]
    assert [n.id for n in notes.list_notes(session, client_id=p.client)] == [b.id, a.id]
    assert [n.id for n in notes.list_notes(session, author_id=p.bob)] == [b.id]
    assert [n.id for n in notes.list_notes(session, status="signed")] == [c.id, a.id]
    assert [n.id for n in notes.list_notes(session, template_id="dap")] == [b.id]
    window = notes.list_notes(session, since=T0 + dt.timedelta(hours=1), until=T0 + dt.timedelta(days=2))
    assert [n.id for n in window] == [b.id]
    assert [n.id for n in notes.list_notes(session, limit=1, offset=1)] == [b.id]
    summary = notes.list_notes(session, client_id=p.other_client)[0]
    assert summary.chart_number == "C-002"
    assert summary.author_username == "alice"
    assert summary.preview.startswith("Reports fewer cravings.")


def test_recoverable_drafts_are_the_authors_last_edited_first(session: Session) -> None:
    p = make_people(session)
    one = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, now=T0
    )
    two = notes.create_draft(
        session, client_id=p.client, template_id="dap", author_id=p.alice, actor=None, now=T0
    )
    notes.create_draft(session, client_id=p.client, template_id="soap", author_id=p.bob, actor=None, now=T0)
    notes.save_draft(session, one.id, {"plan": "later edit"}, now=T0 + dt.timedelta(minutes=3))
    assert [n.id for n in notes.recoverable_drafts(session, p.alice)] == [one.id, two.id]


def test_templates_passed_explicitly_are_used(session: Session) -> None:
    p = make_people(session)
    library = load_templates()
    d = notes.create_draft(
        session, client_id=p.client, template_id="free_text", author_id=p.alice, actor=None, templates=library
    )
    notes.save_draft(session, d.id, {"text": "One line."})
    assert notes.sign_note(session, d.id, user_id=p.alice, actor=None, templates=library).hash


def test_deactivated_author_cannot_sign(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP
    )
    session.get(User, p.alice).active = False  # type: ignore[union-attr]
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        notes.sign_note(session, d.id, user_id=p.alice, actor=None)


def test_database_refuses_bad_states_directly(practice: Practice, people: People) -> None:
    with practice.session_factory.begin() as s:
        d = notes.create_draft(
            s, client_id=people.client, template_id="soap", author_id=people.alice, actor=None
        )
    # A draft cannot carry a hash, nor gain an addendum, even through raw SQL.
    with pytest.raises(DatabaseError, match="a draft has no signature"):
        with practice.session_factory.begin() as s:
            s.execute(text("UPDATE note SET hash = :h WHERE id = :id"), {"h": "a" * 64, "id": d.id})
    with pytest.raises(DatabaseError, match="only be added to a signed note"):
        with practice.session_factory.begin() as s:
            s.execute(
                text(
                    "INSERT INTO addendum(note_id, author_id, written_at, text, signed_at, hash)"
                    " VALUES (:n, :a, '2026-01-01T00:00:00.000Z', 't', '2026-01-01T00:00:00.000Z', :h)"
                ),
                {"n": d.id, "a": people.alice, "h": "b" * 64},
            )


def test_only_clinicians_and_supervisors_write_notes(session: Session) -> None:
    p = make_people(session)
    admin = User(username="root", display_name="Admin", roles="admin", password_hash="x")
    session.add(admin)
    session.flush()
    with pytest.raises(PermissionDeniedError, match="not a clinician or supervisor"):
        notes.create_draft(session, client_id=p.client, template_id="soap", author_id=admin.id, actor=None)
    signed = new_signed(session, p)
    with pytest.raises(PermissionDeniedError, match="not a clinician or supervisor"):
        notes.add_addendum(session, signed.id, "text", author_id=admin.id, actor=None)


def test_chain_follows_links_even_if_the_clock_goes_back(session: Session) -> None:
    p = make_people(session)
    later = new_signed(session, p, at=T0 + dt.timedelta(days=1))
    earlier = new_signed(session, p, at=T0)  # the computer's clock was set back
    add = notes.add_addendum(session, later.id, "Late entry.", author_id=p.alice, actor=None, now=T0)
    assert earlier.prev_hash == later.hash
    assert add.prev_hash == earlier.hash
    assert notes.verify_chains(session) == []
