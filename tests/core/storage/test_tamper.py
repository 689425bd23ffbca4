"""Tamper evidence with the key in hand: every final record is refused an edit or deletion by the database,
and once its protection is dropped, ``verify`` alone names what was changed, deleted or cut off.

The tampering is done the way an attacker with the key would: a plain keyed SQLCipher connection, foreign
keys off, triggers dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from sqlalchemy import text

from stagewise.core.administrations import lifecycle as adm, risk
from stagewise.core.administrations.results import store_result
from stagewise.core.audit import seals, trail as audit
from stagewise.core.errors import ProtectionMissingError
from stagewise.core.instruments.loader import load_library
from stagewise.core.instruments.scoring import Result
from stagewise.core.models import Administration, AdministrationMode, DecisionKind, Stage
from stagewise.core.notes import drafts as notes
from stagewise.core.stages import records as stages
from stagewise.core.storage import anchor, backup, keys, protections, rawdb, store, verify
from tests.conftest import PASSPHRASE
from tests.core.administrations.test_administrations_helpers import make_world

SOAP = {"subjective": "Synthetic.", "objective": "Calm.", "assessment": "Steady.", "plan": "Weekly."}
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Records:
    """One final record of every protected kind, made through the core operations."""

    note: int  # signed, with an addendum
    newest_note: int  # the client's newest signed note, without addenda
    addendum: int
    administration: int  # completed PHQ-9 (item 9 answered 1: a risk alert)
    score_result: int
    risk_alert: int  # acknowledged
    stage_record: int
    decision: int


@pytest.fixture
def records(practice: store.Practice) -> Records:
    return make_records(practice)


def make_records(practice: store.Practice) -> Records:
    with practice.session_factory.begin() as s:
        world = make_world(s)
        info = adm.start(
            s, client_id=world.client_id, focus_id=world.mood_id, form_id="phq-9",
            mode=AdministrationMode.CLIENT, by_user_id=world.user_id, actor="dr.lee", library=load_library(),
        )  # fmt: skip
        for item in range(1, 10):
            adm.answer(s, info.id, str(item), 1, now=T0)
        adm.complete(s, info.id, actor="dr.lee", now=T0)
        (alert,) = risk.open_alerts(s, client_id=world.client_id)
        risk.acknowledge(
            s, alert.id, user_id=world.user_id, action_taken="Asked; safety plan.", actor="dr.lee"
        )
        record = stages.record_stage(
            s, focus_id=world.alcohol_id, stage=Stage.CONTEMPLATION, by_user_id=world.user_id, actor="dr.lee"
        )
        decision = stages.decide_intervention(
            s, focus_id=world.alcohol_id, intervention=None, decision=DecisionKind.ADDED,
            custom_title="Decisional balance", by_user_id=world.user_id, actor="dr.lee",
        )  # fmt: skip
        signed = []
        for day in (0, 1):
            draft = notes.create_draft(
                s, client_id=world.client_id, template_id="soap", author_id=world.user_id, actor="dr.lee",
                fields=SOAP, now=T0 + dt.timedelta(days=day),
            )  # fmt: skip
            when = T0 + dt.timedelta(days=day, minutes=5)
            signed.append(notes.sign_note(s, draft.id, user_id=world.user_id, actor="dr.lee", now=when))
            if day == 0:
                added = notes.add_addendum(
                    s, draft.id, "Late entry.", author_id=world.user_id, actor="dr.lee",
                    now=T0 + dt.timedelta(hours=2),
                )  # fmt: skip
        score_id = s.execute(text("SELECT max(id) FROM score_result")).scalar_one()
    return Records(signed[0].id, signed[1].id, added.id, info.id, score_id, alert.id, record.id, decision.id)


@contextlib.contextmanager
def attacker(practice: store.Practice) -> Iterator[Any]:
    """A plain keyed connection with foreign keys off, as someone holding the key would use."""
    conn = rawdb.connect(practice.path, practice.key)
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield conn
    finally:
        conn.close()


@dataclass(frozen=True)
class Case:
    kind: str  # the attribute of Records the tampering targets
    sql: str  # with {id}
    triggers: tuple[str, ...]  # what the database refuses it with
    expect: str  # the verify problem, with {id}


CHANGED = "record: {label} {{id}} was changed after it was recorded"
GONE = "record: {label} {{id}} is missing or no longer final"


def _case(kind: str, label: str, sql: str, trigger: str) -> Case:
    pattern = GONE if sql.startswith("DELETE") or "in_progress" in sql else CHANGED
    return Case(kind, sql, (trigger,), pattern.format(label=label))


CASES = [
    _case("note", "signed note", "UPDATE note SET fields = '{{}}' WHERE id = {id}", "note_signed_no_update"),
    _case("newest_note", "signed note", "DELETE FROM note WHERE id = {id}", "note_signed_no_delete"),
    _case(
        "addendum", "addendum", "UPDATE addendum SET text = 'Edited.' WHERE id = {id}", "addendum_no_update"
    ),
    _case("addendum", "addendum", "DELETE FROM addendum WHERE id = {id}", "addendum_no_delete"),
    _case(
        "administration",
        "administration",
        "UPDATE administration SET answers = json_set(answers, '$.\"9\"', 0) WHERE id = {id}",
        "administration_final_frozen",
    ),
    _case(
        "administration",
        "administration",
        "UPDATE administration SET result = '{{}}' WHERE id = {id}",
        "administration_final_frozen",
    ),
    _case(
        "administration",
        "administration",
        "UPDATE administration SET status = 'in_progress' WHERE id = {id}",
        "administration_final_frozen",
    ),
    _case(
        "administration",
        "administration",
        "DELETE FROM administration WHERE id = {id}",
        "administration_no_delete",
    ),
    _case(
        "score_result",
        "score result",
        "UPDATE score_result SET result = '{{}}' WHERE id = {id}",
        "score_result_no_update",
    ),
    _case(
        "score_result", "score result", "DELETE FROM score_result WHERE id = {id}", "score_result_no_delete"
    ),
    _case(
        "risk_alert",
        "risk alert",
        "UPDATE risk_alert SET action_taken = 'Nothing.' WHERE id = {id}",
        "risk_alert_frozen",
    ),
    _case(
        "risk_alert", "risk alert", "UPDATE risk_alert SET flag = 'none' WHERE id = {id}", "risk_alert_frozen"
    ),
    _case("risk_alert", "risk alert", "DELETE FROM risk_alert WHERE id = {id}", "risk_alert_no_delete"),
    _case(
        "stage_record",
        "stage record",
        "UPDATE stage_record SET stage = 'action' WHERE id = {id}",
        "stage_record_no_update",
    ),
    _case(
        "stage_record", "stage record", "DELETE FROM stage_record WHERE id = {id}", "stage_record_no_delete"
    ),
    _case(
        "decision",
        "intervention decision",
        "UPDATE intervention_decision SET decision = 'declined' WHERE id = {id}",
        "intervention_decision_no_update",
    ),
    _case(
        "decision",
        "intervention decision",
        "DELETE FROM intervention_decision WHERE id = {id}",
        "intervention_decision_no_delete",
    ),
]


def test_a_practice_with_every_kind_of_final_record_verifies(
    practice: store.Practice, records: Records
) -> None:
    report = verify.verify_practice(practice)
    assert report.problems == []
    assert report.records_checked == 8  # two notes, one of every other kind
    with practice.session_factory() as s:
        sealed, live = seals.sealed(s), seals.digests(s, "risk_alert")
        # The acknowledgement re-sealed the alert: the newest digest is the acknowledged row's.
        ack_event = s.execute(
            text("SELECT max(id) FROM audit_event WHERE action = 'acknowledge'")
        ).scalar_one()
    event_id, digest = sealed["risk_alert"][records.risk_alert]
    assert digest == live[records.risk_alert]
    assert event_id == ack_event - 1  # the seal comes just before the action's own event


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: c.sql.split(" SET ")[0].split(" WHERE ")[0] + " " + c.kind
)
def test_the_database_refuses_it_and_verify_catches_it_once_the_trigger_is_dropped(
    practice: store.Practice, records: Records, case: Case
) -> None:
    rid = getattr(records, case.kind)
    sql = case.sql.format(id=rid)
    with attacker(practice) as conn:
        with pytest.raises(sqlcipher3.dbapi2.IntegrityError):
            conn.execute(sql)
        for name in case.triggers:
            conn.execute(f"DROP TRIGGER {name}")
        assert conn.execute(sql).rowcount == 1
    report = verify.verify_practice(practice)
    assert not report.ok
    assert any(p.startswith(case.expect.format(id=rid)) for p in report.problems), report.problems
    for name in case.triggers:
        assert f"protection: trigger {name} is missing" in report.problems
    assert len(report.problems) == len(set(report.problems))  # one line each


def test_the_newest_signed_note_deleted_is_caught_by_verify_alone(
    practice: store.Practice, records: Records
) -> None:
    """The client's chain still verifies without its tail; the audit log's digest and hash do not."""
    with attacker(practice) as conn:
        conn.execute("DROP TRIGGER note_signed_no_delete")
        conn.execute(f"DELETE FROM note WHERE id = {records.newest_note}")
        conn.execute("CREATE TRIGGER note_signed_no_delete" + _rest("note_signed_no_delete"))
    report = verify.verify_practice(practice)
    assert report.protections == ()  # the trigger is back, exactly as expected: only the record shows it
    assert report.note_chain == ()
    n = records.newest_note
    assert [p for p in report.problems if f"note {n}" in p] == [
        f"record: signed note {n} is missing or no longer final, but audit event "
        f"{_event(practice, 'seal', n)} holds its digest (it was deleted or reopened)",
        f"record: audit event {_event(practice, 'sign', n)} records the hash of note {n}, which is missing "
        "(deleted)",
    ]


def _rest(name: str) -> str:
    sql = protections.expected(None)[name]
    return sql[len(f"CREATE TRIGGER {name}") :]


def _event(practice: store.Practice, action: str, note_id: int) -> int:
    with practice.session_factory() as s:
        if action == "sign":
            return int(
                s.execute(
                    text("SELECT id FROM audit_event WHERE action = 'sign' AND entity_id = :n"),
                    {"n": str(note_id)},
                ).scalar_one()
            )
        return seals.sealed(s)["note"][note_id][0]


def test_dropping_every_trigger_is_reported_by_name(practice: store.Practice, records: Records) -> None:
    expected = protections.expected(None)
    assert len(expected) == 25
    with attacker(practice) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in names:
            conn.execute(f"DROP TRIGGER {name}")
    report = verify.verify_practice(practice)
    assert not report.ok
    assert sorted(report.protections) == sorted(f"trigger {name} is missing" for name in expected)
    assert "Protective triggers: 25 problem(s)" in report.lines()


def test_a_changed_or_foreign_trigger_is_reported(practice: store.Practice) -> None:
    with attacker(practice) as conn:
        conn.execute("DROP TRIGGER stage_record_no_update")
        conn.execute(
            "CREATE TRIGGER stage_record_no_update BEFORE UPDATE ON stage_record WHEN 0"
            " BEGIN SELECT RAISE(ABORT, 'never'); END"
        )
        conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON client BEGIN SELECT 1; END")
    assert verify.verify_practice(practice).protections == (
        "trigger stage_record_no_update differs from the expected text (it was changed)",
        "trigger sneaky is not one of Stagewise's (it was added outside Stagewise)",
    )


def test_opening_a_file_with_missing_protections_refuses_and_says_why(practice: store.Practice) -> None:
    with attacker(practice) as conn:
        conn.execute("DROP TRIGGER risk_alert_no_delete")
    practice.close()
    with pytest.raises(ProtectionMissingError, match="trigger risk_alert_no_delete is missing") as err:
        store.open_practice(practice.path, practice.key)
    assert "stagewise verify" in str(err.value)
    with store.open_practice(practice.path, practice.key, allow_unprotected=True) as p:
        assert verify.verify_practice(p).problems == ["protection: trigger risk_alert_no_delete is missing"]


def test_a_cut_off_audit_tail_is_caught_by_the_key_files_anchor(
    practice: store.Practice, records: Records
) -> None:
    anchor.advance(practice)  # what opening the practice and every backup do
    with practice.session_factory() as s:
        newest = audit.verify_chain(s).head_id
    assert newest is not None
    stamped = anchor.read(keys.KeyFile.read(practice.keyfile_path), practice.key)
    assert stamped is not None
    assert stamped.audit_id == newest
    with attacker(practice) as conn:
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute(f"DELETE FROM audit_event WHERE id > {newest - 3}")  # the newest three events
        conn.execute("CREATE TRIGGER audit_no_delete" + _rest("audit_no_delete"))
    report = verify.verify_practice(practice)
    assert f"audit log: event {newest} is missing: events recorded earlier were removed" in report.problems
    # Opening it again does not move the anchor back to the shorter chain: the evidence stays.
    practice.close()
    with store.open_practice(practice.path, practice.key) as reopened:
        assert anchor.read(keys.KeyFile.read(reopened.keyfile_path), reopened.key) == stamped
        assert not verify.verify_practice(reopened).ok


def test_an_edited_anchor_is_not_believed(practice: store.Practice) -> None:
    anchor.advance(practice)
    keyfile = keys.KeyFile.read(practice.keyfile_path)
    assert keyfile.anchor is not None
    keyfile.anchor = {**keyfile.anchor, "audit_id": 0}
    keyfile.write(practice.keyfile_path)
    report = verify.verify_practice(practice)
    assert report.problems == [
        "key file: the audit anchor in the key file is not authentic (the key file was edited)"
    ]


def test_a_record_added_outside_stagewise_has_no_digest(practice: store.Practice, records: Records) -> None:
    with attacker(practice) as conn:
        conn.execute(
            "INSERT INTO stage_record (client_id, focus_id, stage, basis, recorded_at, effective)"
            " SELECT client_id, focus_id, stage, basis, recorded_at, effective FROM stage_record"
        )
        added = conn.execute("SELECT max(id) FROM stage_record").fetchone()[0]
    assert verify.verify_practice(practice).problems == [
        f"record: stage record {added} has no digest in the audit log (added outside Stagewise)"
    ]


def test_rescoring_adds_a_row_and_never_edits_one(practice: store.Practice, records: Records) -> None:
    with practice.session_factory() as s:
        before = s.execute(text("SELECT id, result, current FROM score_result")).all()
    with practice.session_factory.begin() as s:
        # The result may only change to that of a new score_result row; the database refuses anything else.
        with pytest.raises(Exception, match="a completed administration cannot be changed"):
            s.execute(
                text("UPDATE administration SET result = '{}' WHERE id = :i"), {"i": records.administration}
            )
    with practice.session_factory.begin() as s:
        target = s.get(Administration, records.administration)
        assert target is not None
        store_result(s, target, Result.from_json(target.result or {}), T0 + dt.timedelta(days=3))
        audit.record(s, "dr.lee", "update", "administration", target.id, {"change": "rescore"})
    with practice.session_factory() as s:
        after = s.execute(text("SELECT id, result, current FROM score_result ORDER BY id")).all()
        history = adm.results_history(s, records.administration)
    assert after[: len(before)] == before  # the earlier row is exactly as it was
    assert len(after) == len(before) + 1
    assert [current for _, current, _ in history] == [False, True]
    assert verify.verify_practice(practice).ok


def test_rotating_the_key_re_anchors_with_the_new_key(practice: store.Practice, records: Records) -> None:
    reopened, _recovery = store.rotate_key(practice, PASSPHRASE, actor="admin")
    with reopened:
        report = verify.verify_practice(reopened)
        assert report.problems == []
        assert report.anchor is not None


def test_the_restore_drill_names_each_problem(
    practice: store.Practice, records: Records, tmp_path: Path
) -> None:
    with attacker(practice) as conn:
        conn.execute("DROP TRIGGER stage_record_no_update")
        conn.execute(f"UPDATE stage_record SET reason = 'Edited.' WHERE id = {records.stage_record}")
    copy = backup.write_backup(practice.engine, tmp_path / "b.stagewise", practice.key)
    result = backup.drill(practice, copy)
    assert not result.ok
    assert "protection: trigger stage_record_no_update is missing" in result.problems
    assert any(
        p.startswith(f"record: stage record {records.stage_record} was changed") for p in result.problems
    )


def test_revision_0002_is_a_frozen_copy_and_a_new_file_has_exactly_the_expected_triggers(
    practice: store.Practice,
) -> None:
    import importlib.util

    from stagewise.core.storage import ddl, migrate

    location = migrate.SHIPPED_SCRIPT_LOCATION / "versions" / "0002_protect_final_records.py"
    spec = importlib.util.spec_from_file_location("revision_0002", location)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.DDL == ddl.FINAL_RECORD_TRIGGERS
    with practice.engine.connect() as conn:
        live = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())
    assert {n: live[n] for n in protections.expected(None)} == protections.expected(None)
    assert set(live) == set(protections.expected(None)) | ddl.HOUSEKEEPING_TRIGGERS
    assert set(protections.expected("0001")) < set(protections.expected("0002"))


def test_a_file_from_before_digests_gets_them_when_it_is_upgraded(
    practice_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A released 0001 practice has final records but no digests: the upgrade records them as they are."""
    from alembic import command

    from stagewise.core.storage import migrate

    created = store.create_practice(practice_path, PASSPHRASE)
    practice = created.practice
    with monkeypatch.context() as patched:
        patched.setattr(seals, "_take", lambda _session: {})  # write records as revision 0001 did
        made = make_records(practice)
    with practice.engine.begin() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    practice.close()
    with store.open_practice(practice_path, practice.key, migrate=False) as old:
        report = verify.verify_practice(old)
        assert report.ok
        assert not report.digests_checked
        assert "opening it upgrades it" in "\n".join(report.lines())
    with store.open_practice(practice_path, practice.key) as upgraded:
        report = verify.verify_practice(upgraded)
        assert report.problems == []
        assert report.records_checked == 8
        with upgraded.session_factory() as s:
            assert made.administration in seals.sealed(s)["administration"]
            (reason,) = {
                json.loads(d).get("reason")
                for d in s.execute(text("SELECT details FROM audit_event WHERE action = 'seal'")).scalars()
            }
        assert reason == "upgrade"
