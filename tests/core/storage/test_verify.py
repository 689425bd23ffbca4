from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text

from stagewise.core.audit import trail as audit
from stagewise.core.models import Client, Note, User, utcnow
from stagewise.core.storage import store, verify
from tests.conftest import PracticeTemplate


def _signed_note_with_a_wrong_hash(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        user = User(username="drlee", display_name="Dr Lee", roles="clinician", password_hash="x")
        client = Client(
            chart_number="C-1",
            given_name="Synthetic",
            family_name="Person",
            given_name_key="synthetic",
            family_name_key="person",
            date_of_birth=dt.date(1980, 1, 1),
        )
        s.add_all([user, client])
        s.flush()
        s.add(
            Note(
                client_id=client.id,
                template_id="progress",
                template_version="1",
                author_id=user.id,
                status="signed",
                fields={"summary": "synthetic"},
                signed_at=utcnow(),
                signed_by_id=user.id,
                hash="0" * 64,
                prev_hash=audit.GENESIS,
            )
        )


def test_a_sound_practice_verifies(practice: store.Practice) -> None:
    report = verify.verify_practice(practice)
    assert report.ok
    assert report.problems == []
    assert report.chain.events == 1
    assert report.counts["setting"] == 2
    assert report.counts["audit_event"] == 1
    assert report.lines()[:3] == [
        "Pages and structure: ok",
        "Protective triggers: ok (25 present and unmodified)",
        "Audit log: ok (1 events)",
    ]


def test_a_broken_audit_chain_fails_verify_with_the_first_broken_event(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        for i in range(3):
            audit.record(s, "alice", "view", "client", i)
        s.execute(text("DROP TRIGGER audit_no_update"))
        s.execute(text("UPDATE audit_event SET entity_id = '999' WHERE id = 3"))
    report = verify.verify_practice(practice)
    assert not report.ok
    assert report.problems == [
        "protection: trigger audit_no_update is missing",
        "audit log: event 3 its content does not match its hash",
    ]
    assert "Audit log: broken at event 3: its content does not match its hash" in report.lines()


def test_note_chain_problems_are_reported(practice: store.Practice) -> None:
    _signed_note_with_a_wrong_hash(practice)
    report = verify.verify_practice(practice)
    assert not report.ok
    assert report.problems[0].startswith("note chain: client 1, note")


def test_damaged_pages_fail_verify(practice_path: Path, practice_template: PracticeTemplate) -> None:
    with practice_template.open_copy(practice_path) as p, p.session_factory.begin() as s:
        for i in range(300):
            s.add(
                Client(
                    chart_number=f"C-{i}",
                    given_name="Synthetic",
                    family_name=f"Person{i}",
                    given_name_key="synthetic",
                    family_name_key=f"person{i}",
                    date_of_birth=dt.date(1980, 1, 1),
                )
            )
    data = bytearray(practice_path.read_bytes())
    page = 4096 * (len(data) // 4096 // 2)  # a page in the middle, not the first
    data[page + 100 : page + 132] = bytes(32)
    practice_path.write_bytes(bytes(data))
    with store.open_practice(practice_path, practice_template.key, migrate=False) as p:
        report = verify.verify_practice(p)
    assert not report.ok
    assert report.integrity
    assert report.problems[0].startswith("page or structure check: ")
