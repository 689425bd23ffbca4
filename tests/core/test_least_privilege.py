"""Issue #16: an account without a clinical role sees no clinical content; people are shown by name.

Users are made with the ORM (no Argon2 hashing); the refusals are the core's, as the UI and CLI meet them.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core import users
from stagewise.core.administrations import lifecycle as adm
from stagewise.core.clients import records as clients
from stagewise.core.errors import ClinicalRoleRequiredError, PermissionDeniedError
from stagewise.core.models import AdministrationMode, AuditEvent, User
from stagewise.core.notes import drafts as notes
from stagewise.core.notes.signing import cosign_note, sign_note
from stagewise.core.reports.client_summary import write_client_summary
from stagewise.core.reports.practice_report import write_practice_report
from tests.core.administrations.test_administrations_helpers import World, make_world

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SOAP = {
    "subjective": "Reports fewer cravings.",
    "objective": "Calm.",
    "assessment": "Steady.",
    "plan": "Weekly.",
}


def _user(s: Session, username: str, display: str, roles: str) -> int:
    user = User(username=username, display_name=display, roles=roles, password_hash="x")
    s.add(user)
    s.flush()
    return user.id


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)  # dr.lee: a clinician, with client C-001 (focuses alcohol and mood)
    _user(session, "o.quaaith", "Olu Quaaith", "admin")
    return w


def _views(s: Session) -> int:
    return s.execute(select(func.count()).where(AuditEvent.action == "view")).scalar_one()


def test_an_admin_only_account_is_refused_a_chart(session: Session, world: World) -> None:
    with pytest.raises(ClinicalRoleRequiredError) as refused:
        clients.get_client(session, world.client_id, actor="o.quaaith")
    assert isinstance(refused.value, PermissionDeniedError)
    message = str(refused.value)
    assert "clinical accounts" in message
    assert "Ask an administrator" in message
    assert "Alex" not in message  # says nothing about the client
    assert "C-001" not in message
    assert _views(session) == 0  # nothing was opened, so no view is recorded
    # Editing the client's details (the admin's job) reads no clinical content and stays open.
    assert (
        clients.get_client(session, world.client_id, actor="o.quaaith", record_view=False).id
        == world.client_id
    )
    # A clinician opens the chart; so does the practice-key holder at the command line.
    assert clients.get_client(session, world.client_id, actor="dr.lee").id == world.client_id
    assert clients.get_client(session, world.client_id, actor="cli:someone").id == world.client_id
    assert _views(session) == 2


def test_an_admin_only_account_cannot_start_questionnaires_read_notes_or_print(
    session: Session, world: World
) -> None:
    with pytest.raises(ClinicalRoleRequiredError):
        adm.start(
            session, client_id=world.client_id, focus_id=None, form_id="phq-9",
            mode=AdministrationMode.CLINICIAN, by_user_id=None, actor="o.quaaith",
        )  # fmt: skip
    note = notes.create_draft(
        session, client_id=world.client_id, template_id="soap", author_id=world.user_id, actor="dr.lee",
        fields=SOAP, now=T0,
    )  # fmt: skip
    sign_note(session, note.id, user_id=world.user_id, actor="dr.lee", now=T0)
    with pytest.raises(ClinicalRoleRequiredError):
        notes.get_note(session, note.id, actor="o.quaaith")
    with pytest.raises(ClinicalRoleRequiredError):
        notes.search_notes(session, "cravings", actor="o.quaaith")
    with pytest.raises(ClinicalRoleRequiredError):
        write_client_summary(session, world.client_id, io.BytesIO(), actor="o.quaaith")
    with pytest.raises(ClinicalRoleRequiredError):
        write_practice_report(session, io.BytesIO(), actor="o.quaaith")
    # The clinician is refused none of it.
    assert notes.get_note(session, note.id, actor="dr.lee").id == note.id
    assert [h.note_id for h in notes.search_notes(session, "cravings", actor="dr.lee")] == [note.id]
    assert write_client_summary(session, world.client_id, io.BytesIO(), actor="dr.lee").pages >= 1


def test_a_supervisor_and_an_admin_who_is_also_a_clinician_are_clinical(
    session: Session, world: World
) -> None:
    _user(session, "sam", "Sam S", "supervisor")
    _user(session, "pat", "Pat P", "admin clinician")
    for actor in ("sam", "pat"):
        assert clients.get_client(session, world.client_id, actor=actor).id == world.client_id
    assert users.get_by_username(session, "pat").is_clinical  # type: ignore[union-attr]
    assert not users.get_by_username(session, "o.quaaith").is_clinical  # type: ignore[union-attr]


def test_people_are_shown_by_name_with_the_user_name_only_when_it_disambiguates(
    session: Session, world: World
) -> None:
    a = _user(session, "mfernandez", "María Fernández", "clinician")
    b = _user(session, "mfernandez2", "María Fernández", "clinician supervisor")
    shown = users.people(session)
    assert shown[world.user_id] == "Dr.Lee"
    assert shown[a] == "María Fernández (mfernandez)"
    assert shown[b] == "María Fernández (mfernandez2)"
    assert users.people_by_username(session)["o.quaaith"] == "Olu Quaaith"
    assert users.person_label("Olu Quaaith", "o.quaaith", shared=False) == "Olu Quaaith"

    session.get(User, world.user_id).requires_cosign = True  # type: ignore[union-attr]
    note = notes.create_draft(
        session, client_id=world.client_id, template_id="soap", author_id=world.user_id, actor="dr.lee",
        fields=SOAP, now=T0,
    )  # fmt: skip
    sign_note(session, note.id, user_id=world.user_id, actor="dr.lee", now=T0)
    signed = cosign_note(session, note.id, supervisor_id=b, actor="mfernandez2", now=T0)
    assert (signed.author_name, signed.signed_by_name, signed.cosigned_by_name) == (
        "Dr.Lee",
        "Dr.Lee",
        "María Fernández (mfernandez2)",
    )
    (hit,) = notes.search_notes(session, "cravings", actor="dr.lee")
    assert (hit.chart_number, hit.client_name, hit.author_name) == ("C-001", "Alex Example", "Dr.Lee")
    (listed,) = notes.list_notes(session, client_id=world.client_id)
    assert (listed.client_name, listed.author_name) == ("Alex Example", "Dr.Lee")
