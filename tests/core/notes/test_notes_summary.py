from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import UserInputError
from stagewise.core.models import (
    Administration,
    AuditEvent,
    Focus,
    InterventionDecision,
    RiskAlert,
    StageRecord,
)
from stagewise.core.notes import drafts as notes, summary as note_summary
from tests.core.notes.test_notes import make_people

DAY = dt.date(2026, 3, 2)


def local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour)).astimezone()


def _session_records(s: Session, client: int, author: int, day: dt.date = DAY) -> tuple[int, int]:
    focus = s.execute(select(Focus).where(Focus.client_id == client, Focus.key == "alcohol")).scalar()
    if focus is None:
        focus = Focus(client_id=client, key="alcohol", label="Alcohol")
        s.add(focus)
        s.flush()
    admin = Administration(
        client_id=client,
        focus_id=focus.id,
        form_id="urica",
        form_version="1.0",
        mode="clinician",
        by_user_id=author,
        started_at=local(day, 10),
        completed_at=local(day, 10),
        status="complete",
        result={
            "form": "urica",
            "scores": {"readiness": 9.5, "precontemplation": 1.25},
            "bands": {"readiness": "contemplation"},
            "stage": "contemplation",
        },
    )
    s.add(admin)
    s.flush()
    record = StageRecord(
        client_id=client,
        focus_id=focus.id,
        proposed="contemplation",
        stage="preparation",
        basis="override",
        reason="Has already set a quit date.",
        administration_id=admin.id,
        by_user_id=author,
        effective=day,
    )
    s.add(record)
    s.flush()
    s.add(
        InterventionDecision(
            client_id=client,
            focus_id=focus.id,
            stage_record_id=record.id,
            intervention_id="decisional_balance",
            title="Decisional balance",
            stage="preparation",
            decision="accepted",
            by_user_id=author,
            decided_at=local(day, 11),
        )
    )
    s.flush()
    return admin.id, record.id


def test_summary_is_appended_and_linked(session: Session) -> None:
    p = make_people(session)
    admin_id, record_id = _session_records(session, p.client, p.alice)
    # Another day's and another client's work is left out.
    _session_records(session, p.client, p.alice, DAY - dt.timedelta(days=1))
    _session_records(session, p.other_client, p.alice)
    d = notes.create_draft(
        session,
        client_id=p.client,
        template_id="soap",
        author_id=p.alice,
        actor=None,
        fields={"subjective": "Came in."},
    )
    note = note_summary.insert_session_summary(
        session, d.id, on_date=DAY, actor="alice", form_titles={"urica": "URICA (short)"}
    )
    assert note.fields["subjective"] == (
        "Came in.\n\n"
        "Session summary, 2026-03-02\n"
        "Questionnaires:\n"
        "- URICA (short) (Alcohol): readiness 9.5 (contemplation); precontemplation 1.25; "
        "proposed stage: contemplation\n"
        "Stage decisions:\n"
        "- Alcohol: preparation (proposed contemplation; changed by the clinician, reason recorded)\n"
        "Interventions:\n"
        "- Decisional balance (preparation): accepted"
    )
    assert "quit date" not in note.fields["subjective"]  # reasons are not copied
    assert "Test" not in note.fields["subjective"]  # nor the client's name
    assert note.links == (notes.NoteLinkInfo(admin_id, None), notes.NoteLinkInfo(None, record_id))
    again = note_summary.insert_session_summary(session, d.id, on_date=DAY, field_id="plan")
    assert again.links == note.links  # no duplicate links
    assert again.fields["plan"].startswith("Session summary, 2026-03-02\nQuestionnaires:\n- URICA (Alcohol)")
    last = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert last is not None
    assert (last.action, last.entity, last.entity_id) == ("update", "note", str(d.id))


def test_summary_of_an_empty_day_says_so(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(session, client_id=p.client, template_id="dap", author_id=p.alice, actor=None)
    note = note_summary.insert_session_summary(session, d.id, on_date=DAY)
    assert note.fields["data"] == (
        "Session summary, 2026-03-02\n"
        "No questionnaires, stage decisions or intervention decisions were recorded that day."
    )
    assert note.links == ()
    with pytest.raises(UserInputError, match="no field 'nope'"):
        note_summary.insert_session_summary(session, d.id, on_date=DAY, field_id="nope")


def test_links_freeze_when_signed(session: Session) -> None:
    p = make_people(session)
    _session_records(session, p.client, p.alice)
    d = notes.create_draft(
        session, client_id=p.client, template_id="free_text", author_id=p.alice, actor=None
    )
    note_summary.insert_session_summary(session, d.id, on_date=DAY)
    signed = notes.sign_note(session, d.id, user_id=p.alice, actor=None)
    assert len(signed.links) == 2
    assert signed.fields["text"].startswith("Session summary")


def test_risk_alerts_of_the_day_are_summarised_with_their_acknowledgement(session: Session) -> None:
    p = make_people(session)
    admin_id, _record_id = _session_records(session, p.client, p.alice)
    second_id, _ = _session_records(session, p.client, p.alice)
    session.add_all(
        [
            RiskAlert(
                client_id=p.client,
                administration_id=admin_id,
                flag="phq9_item9_positive",
                item_id="9",
                raised_at=local(DAY, 10),
                acknowledged_by_id=p.alice,
                acknowledged_at=local(DAY, 10) + dt.timedelta(minutes=5),
                action_taken="Safety plan reviewed with the client.",
                addressed_by_id=p.alice,
                addressed_at=local(DAY, 10) + dt.timedelta(minutes=20),
            ),
            RiskAlert(
                client_id=p.client,
                administration_id=second_id,
                flag="phq9_item9_positive",
                item_id="9",
                raised_at=local(DAY, 12),
            ),
        ]
    )
    session.flush()
    text, _admins, _records = note_summary.build_summary(
        session, p.client, DAY, form_titles={"urica": "URICA (short)"}
    )
    assert "Risk alerts:\n" in text
    acknowledged = "acknowledged at 10:05 by Alice A; action recorded at 10:20 by Alice A"
    assert f"- URICA (short) item 9 flagged at 10:00; {acknowledged}" in text
    assert "- URICA (short) item 9 flagged at 12:00; NOT YET ACKNOWLEDGED" in text
    assert "Safety plan" not in text  # the clinician's own words are not copied
