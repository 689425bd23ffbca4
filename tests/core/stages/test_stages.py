"""Stage records, timeline, suggestions, intervention decisions and interchange, on real SQLCipher."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ImportValidationError, NotFoundError, UserInputError
from stagewise.core.interchange import stage_records as stage_interchange
from stagewise.core.models import (
    AuditEvent,
    Client,
    ClientStatus,
    DecisionKind,
    Focus,
    Stage,
    StageBasis,
    StageRecord,
    User,
)
from stagewise.core.stages import metric_records, records as stages
from stagewise.core.stages.interventions import InterventionModel, load_interventions
from stagewise.core.stages.labels import (
    DEFAULT_CLIENT_LABELS,
    client_label,
    client_labels,
    clinician_label,
    validate_label_overrides,
)
from stagewise.core.stages.metrics import compute_metrics
from stagewise.core.storage.store import Practice

PC, C, P, A, M = (
    Stage.PRECONTEMPLATION,
    Stage.CONTEMPLATION,
    Stage.PREPARATION,
    Stage.ACTION,
    Stage.MAINTENANCE,
)
D = dt.date
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _user(s: Session, name: str = "ann") -> int:
    user = User(username=name, display_name=name.title(), roles="clinician", password_hash="x")
    s.add(user)
    s.flush()
    return user.id


def _client(s: Session, chart: str = "C-001", focuses: tuple[str, ...] = ("alcohol",)) -> Client:
    client = Client(
        chart_number=chart,
        given_name="Test",
        family_name="Person",
        given_name_key="test",
        family_name_key="person",
        date_of_birth=D(1980, 1, 1),
    )
    client.focuses = [Focus(key=k, label=k.title()) for k in focuses]
    s.add(client)
    s.flush()
    return client


@pytest.fixture
def ids(session: Session) -> dict[str, int]:
    client = _client(session)
    return {"user": _user(session), "client": client.id, "focus": client.focuses[0].id}


def _rec(
    s: Session,
    ids: dict[str, int],
    stage: Stage | None,
    day: dt.date,
    *,
    proposed: Stage | None = None,
    reason: str | None = None,
) -> stages.StageRecordInfo:
    return stages.record_stage(
        s,
        focus_id=ids["focus"],
        stage=stage,
        proposed=proposed,
        reason=reason,
        effective=day,
        by_user_id=ids["user"],
        actor="ann",
        now=NOW,
    )


# ---------------------------------------------------------------------------------------------------------
# Recording


def test_basis_is_derived_from_proposal_and_stage(session: Session, ids: dict[str, int]) -> None:
    judged = _rec(session, ids, C, D(2026, 1, 1))
    accepted = _rec(session, ids, P, D(2026, 1, 10), proposed=P)
    overridden = _rec(session, ids, A, D(2026, 1, 20), proposed=P, reason="Started last week already")
    paused = _rec(session, ids, None, D(2026, 2, 1), reason="Acute crisis")
    assert [r.basis for r in (judged, accepted, overridden, paused)] == [
        StageBasis.CLINICAL_JUDGEMENT,
        StageBasis.INSTRUMENT,
        StageBasis.OVERRIDE,
        StageBasis.NOT_STAGED,
    ]
    assert [r.is_override for r in (judged, accepted, overridden, paused)] == [False, False, True, False]
    assert overridden.by_username == "ann"
    assert overridden.focus_key == "alcohol"
    assert overridden.reason == "Started last week already"
    assert paused.stage is None
    assert paused.direction is None


@pytest.mark.parametrize("reason", [None, "", "   \n\t"])
def test_override_without_a_reason_is_refused(
    session: Session, ids: dict[str, int], reason: str | None
) -> None:
    with pytest.raises(
        UserInputError, match="A reason is required when your stage differs from the proposed one"
    ):
        _rec(session, ids, A, D(2026, 1, 1), proposed=C, reason=reason)
    assert stages.history(session, ids["focus"]) == []


def test_not_staged_needs_a_reason_and_pauses_reminders(session: Session, ids: dict[str, int]) -> None:
    with pytest.raises(UserInputError, match="not staged for now"):
        _rec(session, ids, None, D(2026, 1, 1), reason=" ")
    _rec(session, ids, C, D(2026, 1, 1))
    assert not stages.reassessment_paused(session, ids["focus"])
    _rec(session, ids, None, D(2026, 1, 5), reason="Detoxification")
    assert stages.reassessment_paused(session, ids["focus"])
    _rec(session, ids, C, D(2026, 1, 20))
    assert not stages.reassessment_paused(session, ids["focus"])


def test_the_database_refuses_an_override_without_reason_even_from_raw_sql(
    practice: Practice, ids: dict[str, int], session: Session
) -> None:
    session.commit()
    row = StageRecord(
        client_id=ids["client"],
        focus_id=ids["focus"],
        proposed="contemplation",
        stage="action",
        basis="override",
        reason="  ",
        effective=D(2026, 1, 1),
    )
    with practice.session_factory() as s:
        s.add(row)
        with pytest.raises(IntegrityError, match="override_needs_reason"):
            s.flush()


def test_stage_records_cannot_be_changed(practice: Practice, ids: dict[str, int], session: Session) -> None:
    info = _rec(session, ids, C, D(2026, 1, 1))
    session.commit()
    with pytest.raises((IntegrityError, OperationalError), match="cannot be changed"):
        with practice.session_factory.begin() as s:
            s.execute(text("UPDATE stage_record SET stage = 'action' WHERE id = :i"), {"i": info.id})


def test_a_backward_move_is_accepted_and_marked_as_recycling(session: Session, ids: dict[str, int]) -> None:
    _rec(session, ids, C, D(2026, 1, 1))
    _rec(session, ids, A, D(2026, 1, 15))
    back = _rec(session, ids, PC, D(2026, 2, 1))
    assert back.direction == "backward"
    assert back.is_recycling
    assert stages.current_stage(session, ids["focus"]) == back
    line = stages.timeline(session, ids["focus"], until=D(2026, 2, 10))
    assert [p.record.id for p in line.recycling_points] == [back.id]
    m = compute_metrics(
        metric_records.load_metric_records(session), period_start=None, period_end=D(2026, 2, 10)
    )
    assert (m.moves, m.forward_moves, m.courses_recycled, m.courses_with_pairs) == (2, 1, 1, 1)
    assert m.recycling_share == 1.0


def test_future_dates_are_refused_but_today_is_fine(session: Session, ids: dict[str, int]) -> None:
    with pytest.raises(UserInputError, match="in the future"):
        _rec(session, ids, C, D(2026, 3, 3))
    today = _rec(session, ids, C, D(2026, 3, 1))
    assert today.effective == D(2026, 3, 1)
    default = stages.record_stage(
        session, focus_id=ids["focus"], stage=P, by_user_id=None, actor=None, now=NOW
    )
    assert default.effective >= D(2026, 3, 1)


def test_unknown_focus_user_or_administration_is_not_found(session: Session, ids: dict[str, int]) -> None:
    with pytest.raises(NotFoundError):
        stages.record_stage(session, focus_id=999, stage=C, by_user_id=None, actor=None)
    with pytest.raises(NotFoundError):
        stages.record_stage(session, focus_id=ids["focus"], stage=C, by_user_id=999, actor=None)
    with pytest.raises(NotFoundError):
        stages.record_stage(
            session,
            focus_id=ids["focus"],
            stage=C,
            proposed=C,
            administration_id=5,
            by_user_id=None,
            actor=None,
        )


def test_history_is_ordered_by_effective_date_and_direction_skips_pauses(
    session: Session, ids: dict[str, int]
) -> None:
    late = _rec(session, ids, A, D(2026, 2, 1))
    early = _rec(session, ids, C, D(2026, 1, 1))  # backdated entry
    pause = _rec(session, ids, None, D(2026, 2, 10), reason="Crisis")
    after = _rec(session, ids, P, D(2026, 2, 20))
    history = stages.history(session, ids["focus"])
    assert [r.id for r in history] == [early.id, late.id, pause.id, after.id]
    assert [r.direction for r in history] == [None, "forward", None, "backward"]  # A → (pause) → P


def test_same_day_records_compare_with_the_day_before(session: Session, ids: dict[str, int]) -> None:
    _rec(session, ids, P, D(2026, 1, 1))
    first = _rec(session, ids, A, D(2026, 1, 2))
    corrected = _rec(session, ids, C, D(2026, 1, 2))
    assert (first.direction, corrected.direction) == ("forward", "backward")
    line = stages.timeline(session, ids["focus"], until=D(2026, 1, 5))
    assert [p.superseded for p in line.points] == [False, True, False]
    assert [(s.stage, s.start, s.end) for s in line.segments] == [
        (P, D(2026, 1, 1), D(2026, 1, 2)),
        (C, D(2026, 1, 2), D(2026, 1, 5)),
    ]


def test_timeline_segments_merge_confirmations_and_show_pauses(session: Session, ids: dict[str, int]) -> None:
    a = _rec(session, ids, PC, D(2026, 1, 1))
    b = _rec(session, ids, PC, D(2026, 1, 20), proposed=P, reason="Still undecided")
    c = _rec(session, ids, None, D(2026, 2, 1), reason="Short inpatient stay")
    d = _rec(session, ids, C, D(2026, 2, 10))
    line = stages.timeline(session, ids["focus"], until=D(2026, 3, 1))
    assert [(s.stage, s.start, s.end, s.record_ids, s.open_ended) for s in line.segments] == [
        (PC, D(2026, 1, 1), D(2026, 2, 1), (a.id, b.id), False),
        (None, D(2026, 2, 1), D(2026, 2, 10), (c.id,), False),
        (C, D(2026, 2, 10), D(2026, 3, 1), (d.id,), True),
    ]
    assert [s.days for s in line.segments] == [31, 9, 19]
    assert [s.start for s in line.not_staged_spans] == [D(2026, 2, 1)]
    assert [p.record.id for p in line.override_points] == [b.id]
    assert line.recycling_points == ()  # PC → (pause) → C is forward
    cut = stages.timeline(session, ids["focus"], until=D(2026, 2, 5))
    assert [p.record.id for p in cut.points] == [a.id, b.id, c.id]
    assert cut.segments[-1].open_ended
    assert cut.segments[-1].end == D(2026, 2, 5)


def test_timeline_of_a_discharged_client_ends_at_discharge(session: Session, ids: dict[str, int]) -> None:
    _rec(session, ids, A, D(2026, 1, 1))
    client = session.get(Client, ids["client"])
    assert client is not None
    client.status = ClientStatus.DISCHARGED.value
    client.discharged_at = dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)
    session.flush()
    line = stages.timeline(session, ids["focus"])
    assert line.until == client.discharged_at.astimezone().date()
    assert line.segments[-1].end == line.until


def test_recording_writes_an_audit_event_without_client_text(session: Session, ids: dict[str, int]) -> None:
    info = _rec(session, ids, A, D(2026, 1, 1), proposed=C, reason="Secret personal detail")
    events = audit.recent(session, action="create")
    event = next(e for e in events if e.entity == "stage_record")
    assert event.entity_id == str(info.id)
    assert event.username == "ann"
    assert event.details == {
        "client_id": ids["client"],
        "focus_id": ids["focus"],
        "basis": "override",
        "administration_id": None,
    }
    assert "Secret" not in json.dumps(event.details)
    assert audit.verify_chain(session).ok


# ---------------------------------------------------------------------------------------------------------
# Suggestions and decisions


@pytest.fixture(scope="module")
def library():  # type: ignore[no-untyped-def]
    return load_interventions(extra_dirs=[__import__("pathlib").Path("/nonexistent")])


def test_suggestions_follow_the_current_stage(session: Session, ids: dict[str, int], library) -> None:  # type: ignore[no-untyped-def]
    assert stages.focus_suggestions(session, library, ids["focus"]).entries == ()
    _rec(session, ids, A, D(2026, 1, 1))
    action = stages.focus_suggestions(session, library, ids["focus"], models=[InterventionModel.TTM])
    assert action.stage is A
    assert not action.recycling
    assert {e.id for e in action.entries} == {
        "ttm.self-liberation",
        "ttm.helping-relationships",
        "ttm.counterconditioning",
        "ttm.contingency-management",
        "ttm.stimulus-control",
    }
    _rec(session, ids, C, D(2026, 1, 10))
    back = stages.focus_suggestions(session, library, ids["focus"])
    assert back.recycling
    assert "mi.recycling-renew" in {e.id for e in back.entries}
    _rec(session, ids, None, D(2026, 1, 20), reason="Crisis")
    paused = stages.focus_suggestions(session, library, ids["focus"])
    assert paused.paused
    assert paused.entries == ()


def test_decisions_are_stored_audited_and_listed(session: Session, ids: dict[str, int], library) -> None:  # type: ignore[no-untyped-def]
    rec = _rec(session, ids, PC, D(2026, 1, 1))
    cbaa = library.get("smart.cost-benefit-analysis")
    accepted = stages.decide_intervention(
        session,
        focus_id=ids["focus"],
        intervention=cbaa,
        decision=DecisionKind.ACCEPTED,
        by_user_id=ids["user"],
        actor="ann",
    )
    declined = stages.decide_intervention(
        session,
        focus_id=ids["focus"],
        intervention=library.get("ttm.dramatic-relief"),
        decision=DecisionKind.DECLINED,
        reason="  Not now  ",
        by_user_id=ids["user"],
        actor="ann",
    )
    added = stages.decide_intervention(
        session,
        focus_id=ids["focus"],
        intervention=None,
        decision=DecisionKind.ADDED,
        custom_title="  Letter   to future self ",
        by_user_id=None,
        actor="ann",
    )
    assert (accepted.intervention_id, accepted.title, accepted.model) == (
        "smart.cost-benefit-analysis",
        cbaa.title,
        InterventionModel.SMART,
    )
    assert accepted.stage is PC
    assert accepted.stage_record_id == rec.id
    assert accepted.by_username == "ann"
    assert declined.reason == "Not now"
    assert (added.intervention_id, added.title, added.model) == (None, "Letter to future self", None)
    listed = stages.decisions(session, focus_id=ids["focus"])
    assert [d.id for d in listed] == [accepted.id, declined.id, added.id]
    assert stages.decisions(session, client_id=ids["client"]) == listed
    assert stages.decisions(session, client_id=ids["client"] + 1) == []
    n = session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "decide")
    ).scalar_one()
    assert n == 3


def test_decision_rules(session: Session, ids: dict[str, int], library) -> None:  # type: ignore[no-untyped-def]
    entry = library.get("mi.oars")
    with pytest.raises(UserInputError, match="title"):
        stages.decide_intervention(
            session,
            focus_id=ids["focus"],
            intervention=None,
            decision=DecisionKind.ADDED,
            by_user_id=None,
            actor=None,
        )
    with pytest.raises(UserInputError, match="not added"):
        stages.decide_intervention(
            session,
            focus_id=ids["focus"],
            intervention=entry,
            decision=DecisionKind.ADDED,
            custom_title="x",
            by_user_id=None,
            actor=None,
        )
    with pytest.raises(UserInputError, match="Choose an intervention"):
        stages.decide_intervention(
            session,
            focus_id=ids["focus"],
            intervention=None,
            decision=DecisionKind.ACCEPTED,
            by_user_id=None,
            actor=None,
        )
    with pytest.raises(NotFoundError, match="stage record"):
        stages.decide_intervention(
            session,
            focus_id=ids["focus"],
            intervention=entry,
            decision=DecisionKind.ACCEPTED,
            stage_record_id=12345,
            by_user_id=None,
            actor=None,
        )


# ---------------------------------------------------------------------------------------------------------
# Metrics loader and interchange


def test_metric_records_carry_discharge_and_overrides(session: Session, ids: dict[str, int]) -> None:
    _rec(session, ids, C, D(2026, 1, 1), proposed=P, reason="Ambivalent still")
    other = _client(session, "C-002", ("smoking",))
    stages.record_stage(
        session,
        focus_id=other.focuses[0].id,
        stage=A,
        effective=D(2026, 1, 2),
        by_user_id=None,
        actor=None,
        now=NOW,
    )
    other.status = ClientStatus.DISCHARGED.value
    other.discharged_at = dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)
    session.flush()
    records = sorted(metric_records.load_metric_records(session), key=lambda r: r.recorded_order)
    assert [(r.focus_key, r.stage, r.is_override, r.clinician) for r in records] == [
        ("alcohol", C, True, "Ann"),  # the person (display name), not the user name
        ("smoking", A, False, None),
    ]
    assert records[0].client_discharged_on is None
    assert records[1].client_discharged_on == other.discharged_at.astimezone().date()
    assert [r.focus_key for r in metric_records.load_metric_records(session, focus="smoking")] == ["smoking"]
    assert metric_records.load_metric_records(session, until=D(2026, 1, 1))[0].focus_key == "alcohol"


def test_stage_records_and_decisions_round_trip(session: Session, ids: dict[str, int], library) -> None:  # type: ignore[no-untyped-def]
    _rec(session, ids, C, D(2026, 1, 1), proposed=C)
    _rec(session, ids, P, D(2026, 1, 10))
    _rec(session, ids, A, D(2026, 1, 10), proposed=P, reason="Already changing")
    _rec(session, ids, None, D(2026, 2, 1), reason="Crisis")
    stages.decide_intervention(
        session,
        focus_id=ids["focus"],
        intervention=library.get("mi.p-change-plan"),
        decision=DecisionKind.DECLINED,
        reason="Later",
        by_user_id=ids["user"],
        actor="ann",
        now=dt.datetime(2026, 1, 11, 9, tzinfo=dt.UTC),
    )
    exported = stage_interchange.export_client_sections(session, ids["client"])
    assert exported["stage_records"][0] == {
        "focus": "alcohol",
        "effective": "2026-01-01",
        "proposed": "contemplation",
        "stage": "contemplation",
        "basis": "instrument",
        "reason": None,
        "by": "ann",
        "recorded_at": "2026-03-01T12:00:00.000Z",
    }
    assert exported["intervention_decisions"][0]["decided_at"] == "2026-01-11T09:00:00.000Z"
    json.dumps(exported)  # plain JSON
    problems = stage_interchange.validate_client_sections(
        exported, "$.clients[0]", focus_keys={"alcohol"}, usernames={"ann"}
    )
    assert problems == []

    twin = _client(session, "C-009")
    written = stage_interchange.import_client_sections(
        session,
        twin.id,
        exported,
        focus_ids={"alcohol": twin.focuses[0].id},
        user_ids={"ann": ids["user"]},
        actor="ann",
    )
    assert written == (4, 1)
    assert stage_interchange.export_client_sections(session, twin.id) == exported
    imported = stages.history(session, twin.focuses[0].id)
    assert [r.stage for r in imported] == [C, P, A, None]
    (decision,) = stages.decisions(session, client_id=twin.id)
    assert decision.stage_record_id == imported[2].id  # the record current on Jan 11


def test_invalid_sections_are_reported_with_json_paths(session: Session, ids: dict[str, int]) -> None:
    data = {
        "stage_records": [
            {"focus": "alcohol", "effective": "2026-01-01", "proposed": "contemplation", "stage": "action"},
            {"focus": "cannabis", "effective": "2026-13-01", "stage": "thinking", "by": "zed", "colour": 1},
            {
                "focus": "alcohol",
                "effective": "2026-01-05",
                "stage": None,
                "basis": "instrument",
                "reason": "x",
            },
        ],
        "intervention_decisions": [
            {"focus": "alcohol", "intervention": "mi.oars", "title": "Own", "decision": "added"},
            {"focus": "alcohol", "intervention": None, "title": " ", "decision": "accepted", "model": "cbt"},
        ],
    }
    problems = stage_interchange.validate_client_sections(
        data, "$.clients[2]", focus_keys={"alcohol"}, usernames={"ann"}
    )
    paths = [p for p, _ in problems]
    assert paths == [
        "$.clients[2].stage_records[0].reason",
        "$.clients[2].stage_records[1].colour",
        "$.clients[2].stage_records[1].focus",
        "$.clients[2].stage_records[1].effective",
        "$.clients[2].stage_records[1].stage",
        "$.clients[2].stage_records[1].by",
        "$.clients[2].stage_records[2].basis",
        "$.clients[2].intervention_decisions[0].intervention",
        "$.clients[2].intervention_decisions[1].title",
        "$.clients[2].intervention_decisions[1].model",
        "$.clients[2].intervention_decisions[1].intervention",
    ]
    with pytest.raises(ImportValidationError):
        stage_interchange.import_client_sections(
            session, ids["client"], data, focus_ids={"alcohol": ids["focus"]}, user_ids={}, actor=None
        )
    assert stages.history(session, ids["focus"]) == []
    assert stage_interchange.validate_client_sections({}, "$", focus_keys=set(), usernames=set()) == []
    assert stage_interchange.validate_client_sections(
        {"stage_records": {}}, "$", focus_keys=set(), usernames=set()
    ) == [("$.stage_records", "must be a list")]


# ---------------------------------------------------------------------------------------------------------
# Client-facing labels


def test_client_labels_are_plain_and_editable() -> None:
    assert client_label(PC) == "Not yet sure change is needed"
    assert client_label(M) == "Keeping changes going"
    assert client_label(None) == "Taking a pause from stage check-ins"
    assert clinician_label(PC) == "Precontemplation"
    assert clinician_label(None) == "Not staged for now"
    overrides = {"precontemplation": "  Not sure yet ", "action": "  ", Stage.CONTEMPLATION: "Weighing it up"}
    assert client_label(PC, overrides) == "Not sure yet"
    assert client_label(A, overrides) == "Making changes"  # a blank override falls back to the default
    assert client_label(C, overrides) == "Weighing it up"
    assert list(client_labels()) == list(DEFAULT_CLIENT_LABELS)
    for label in DEFAULT_CLIENT_LABELS.values():  # never technical names, never labels for people
        assert not any(
            word in label.lower() for word in ("contemplat", "precontemplator", "denial", "addict")
        )


def test_label_overrides_are_validated() -> None:
    assert validate_label_overrides({"action": " Doing  it ", "maintenance": ""}) == {"action": "Doing it"}
    with pytest.raises(UserInputError, match="is not a stage"):
        validate_label_overrides({"relapse": "x"})
    with pytest.raises(UserInputError, match="under 80"):
        validate_label_overrides({"action": "x" * 81})


def test_a_day_that_ends_not_staged_is_skipped_when_comparing(session: Session, ids: dict[str, int]) -> None:
    _rec(session, ids, C, D(2026, 1, 1))
    _rec(session, ids, M, D(2026, 1, 2))  # corrected the same day to "not staged"
    _rec(session, ids, None, D(2026, 1, 2), reason="Admitted for detoxification")
    later = _rec(session, ids, P, D(2026, 1, 9))
    assert later.direction == "forward"  # compared with C (Jan 1), not with the superseded M


def test_one_stage_table_serves_every_wording() -> None:
    from stagewise.core.enums import STAGE_ORDER
    from stagewise.core.reports.charts import STAGES_BOTTOM_UP
    from stagewise.core.settings import DEFAULT_CLIENT_STAGE_LABELS
    from stagewise.core.stages import labels as stage_labels

    table = stage_labels.STAGE_TABLE
    assert [w.stage for w in table] == [*sorted(Stage, key=STAGE_ORDER.__getitem__), None]
    assert [s.order for s in Stage] == [0, 1, 2, 3, 4]
    assert list(STAGES_BOTTOM_UP) == [w.stage for w in table[:-1]]
    assert dict(DEFAULT_CLIENT_STAGE_LABELS) == {w.stage: w.client for w in table if w.stage is not None}
    assert stage_labels.clinician_label(None) == stage_labels.NOT_STAGED_WORDING == "Not staged for now"
    assert stage_labels.client_label(None) == "Taking a pause from stage check-ins"
    assert [stage_labels.abbreviation(s) for s in Stage] == ["PC", "C", "P", "A", "M"]
