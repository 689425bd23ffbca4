from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.models import AuditEvent
from stagewise.core.storage import store

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _five_events(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        for i in range(4):  # plus the "create practice" event = 5
            audit.record(s, "alice", "view", "client", 10 + i, {"n": i})


def _drop_triggers(s: Session) -> None:
    """What an attacker with the key and a SQLite shell would do first."""
    s.execute(text("DROP TRIGGER audit_no_update"))
    s.execute(text("DROP TRIGGER audit_no_delete"))


def _verify(practice: store.Practice, **kwargs: tuple[int, str]) -> audit.ChainReport:
    with practice.session_factory() as s:
        return audit.verify_chain(s, **kwargs)


def test_record_fields_and_chain(practice: store.Practice) -> None:
    _five_events(practice)
    with practice.session_factory() as s:
        events = s.query(AuditEvent).order_by(AuditEvent.id).all()
        assert [e.id for e in events] == [1, 2, 3, 4, 5]
        assert all(ISO_MS.match(e.at) for e in events)
        assert events[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
        assert (events[1].username, events[1].action, events[1].entity, events[1].entity_id) == (
            "alice",
            "view",
            "client",
            "10",
        )
        report = audit.verify_chain(s)
        assert report.ok
        assert (report.events, report.head_id, report.head_hash) == (5, 5, events[-1].hash)
        newest = audit.recent(s, limit=2)
        assert [e.id for e in newest] == [5, 4]
        assert [e.id for e in audit.recent(s, limit=2, before_id=4)] == [3, 2]
        assert newest[0].details == {"n": 3}


def test_unknown_action_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(session, "alice", "teleport", "client", 1)


def test_triggers_refuse_update_and_delete(practice: store.Practice) -> None:
    _five_events(practice)
    for statement in ("UPDATE audit_event SET username = 'mallory' WHERE id = 2", "DELETE FROM audit_event"):
        with pytest.raises(SAIntegrityError, match="append-only"), practice.session_factory.begin() as s:
            s.execute(text(statement))
    assert _verify(practice).events == 5


def test_an_edited_event_is_detected(practice: store.Practice) -> None:
    _five_events(practice)
    with practice.session_factory.begin() as s:
        _drop_triggers(s)
        s.execute(text("UPDATE audit_event SET username = 'mallory' WHERE id = 3"))
    report = _verify(practice)
    assert (report.first_broken_id, report.reason) == (3, "its content does not match its hash")


def test_an_edited_event_with_recomputed_hash_breaks_the_next_link(practice: store.Practice) -> None:
    _five_events(practice)
    with practice.session_factory.begin() as s:
        _drop_triggers(s)
        ev = s.get(AuditEvent, 3)
        assert ev is not None
        forged = audit.event_hash(
            ev.prev_hash, ev.at, "mallory", ev.action, ev.entity, ev.entity_id, ev.details
        )
        s.execute(text("UPDATE audit_event SET username = 'mallory', hash = :h WHERE id = 3"), {"h": forged})
    report = _verify(practice)
    assert (report.first_broken_id, report.reason) == (4, "does not link to the event before it")


def test_an_inserted_event_is_detected(practice: store.Practice) -> None:
    _five_events(practice)
    with practice.session_factory.begin() as s:
        _drop_triggers(s)
        # make room for a forged event 3 (two steps so that ids never collide)
        s.execute(text("UPDATE audit_event SET id = id + 100 WHERE id >= 3"))
        s.execute(text("UPDATE audit_event SET id = id - 99 WHERE id >= 100"))
        prev = s.execute(text("SELECT hash FROM audit_event WHERE id = 2")).scalar_one()
        at, details = "2026-01-05T09:30:00.000Z", "{}"
        h = audit.event_hash(prev, at, "mallory", "view", "client", "99", details)
        s.execute(
            text(
                "INSERT INTO audit_event"
                " (id, at, username, action, entity, entity_id, details, prev_hash, hash)"
                " VALUES (3, :at, 'mallory', 'view', 'client', '99', :d, :p, :h)"
            ),
            {"at": at, "d": details, "p": prev, "h": h},
        )
    report = _verify(practice)
    assert report.events == 4
    assert (report.first_broken_id, report.reason) == (4, "does not link to the event before it")


@pytest.mark.parametrize(("victim", "broken", "reason"), [(3, 4, "are missing"), (1, 2, "does not link")])
def test_a_deleted_event_is_detected(practice: store.Practice, victim: int, broken: int, reason: str) -> None:
    _five_events(practice)
    with practice.session_factory.begin() as s:
        _drop_triggers(s)
        s.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victim})
    report = _verify(practice)
    assert report.first_broken_id == broken
    assert report.reason is not None
    assert reason in report.reason


def test_a_deleted_tail_needs_an_anchor(practice: store.Practice) -> None:
    _five_events(practice)
    head = _verify(practice)
    assert head.head_id is not None
    assert head.head_hash is not None
    anchor = (head.head_id, head.head_hash)
    with practice.session_factory.begin() as s:
        _drop_triggers(s)
        s.execute(text("DELETE FROM audit_event WHERE id = 5"))
    assert _verify(practice).ok  # the documented limit: a shorter chain still verifies on its own
    report = _verify(practice, anchor=anchor)
    assert (report.first_broken_id, report.ok) == (5, False)
    assert report.reason is not None
    assert "missing" in report.reason


def test_anchor_detects_a_rewritten_tail(practice: store.Practice) -> None:
    _five_events(practice)
    head = _verify(practice)
    assert head.head_id is not None
    assert head.head_hash is not None
    assert _verify(practice, anchor=(head.head_id, head.head_hash)).ok
    assert not _verify(practice, anchor=(head.head_id, "0" * 64)).ok


def _failing_action(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        audit.record(s, "alice", "create", "client", 1)
        raise RuntimeError("the user action failed")


def test_an_event_rolls_back_with_its_change(practice: store.Practice) -> None:
    with pytest.raises(RuntimeError):
        _failing_action(practice)
    assert _verify(practice).events == 1
    _five_events(practice)
    assert _verify(practice).ok
