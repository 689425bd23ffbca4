"""Giving an instrument: start, save each answer, resume, complete, void, re-score, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as adm
from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, NotFoundError, ScoringError, UserInputError
from stagewise.core.instruments.loader import Library, load_library
from stagewise.core.instruments.scoring import ScoringOptions
from stagewise.core.models import (
    Administration,
    AdministrationMode,
    AdministrationStatus,
    AuditEvent,
    Focus,
    FormVersion,
    ScoreResult,
    Stage,
)
from stagewise.core.storage import store
from tests.core.administrations.test_administrations_helpers import (
    TINY_FORM,
    World,
    add_client,
    make_world,
    write_tiny_form,
)

CLIN = AdministrationMode.CLINICIAN
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def library() -> Library:
    return load_library()


@pytest.fixture
def world(practice: store.Practice) -> World:
    with practice.session_factory.begin() as s:
        return make_world(s)


@pytest.fixture
def s(practice: store.Practice) -> Iterator[Session]:
    with practice.session_factory.begin() as session:
        yield session


def _urica(s: Session, world: World, library: Library, *, now: dt.datetime = T0) -> adm.AdministrationInfo:
    return adm.start(
        s,
        client_id=world.client_id,
        focus_id=world.alcohol_id,
        form_id="urica-32",
        mode=CLIN,
        by_user_id=world.user_id,
        actor="dr.lee",
        library=library,
        now=now,
    )


def _give_all(s: Session, adm_id: int, value: int, library: Library, form_id: str = "urica-32") -> None:
    for item in library.get(form_id).items:
        adm.answer(s, adm_id, item.id, value)


def test_start_snapshots_the_form_and_fills_the_behaviour(s: Session, world: World, library: Library) -> None:
    info = _urica(s, world, library)
    form = library.get("urica-32")
    assert info.status is AdministrationStatus.IN_PROGRESS
    assert (info.form_id, info.form_version, info.focus_key) == ("urica-32", form.version, "alcohol")
    assert info.behaviour_text == "my drinking"
    assert info.current_item == "1"
    assert adm.resume_point(info) == "1"
    assert info.item_ids == tuple(it.id for it in form.items)
    assert info.answers == {}
    stored = s.execute(select(FormVersion)).scalar_one()
    assert (stored.form_id, stored.sha256, stored.source) == ("urica-32", form.sha256, form.source_text)
    # a second start reuses the snapshot
    _urica(s, world, library)
    assert s.execute(select(func.count()).select_from(FormVersion)).scalar() == 1
    event = audit.recent(s, limit=1)[0]
    assert (event.action, event.entity, event.details["form"]) == ("create", "administration", "urica-32")
    # a focus without a phrase uses its label in lower case
    ladder = adm.start(
        s,
        client_id=world.client_id,
        focus_id=world.mood_id,
        form_id="contemplation-ladder",
        mode=AdministrationMode.CLIENT,
        by_user_id=world.user_id,
        actor="dr.lee",
        library=library,
    )
    assert ladder.behaviour_text == "low mood"
    assert "low mood" in adm.item_text(s, ladder, "1")


def test_start_refuses_a_removed_or_foreign_focus(s: Session, world: World, library: Library) -> None:
    other = add_client(s, "C-999")
    with pytest.raises(ConflictError, match="another client"):
        adm.start(
            s, client_id=other, focus_id=world.alcohol_id, form_id="urica-32", mode=CLIN,
            by_user_id=world.user_id, actor=None, library=library,
        )  # fmt: skip
    focus = s.get(Focus, world.mood_id)
    assert focus is not None
    focus.active = False
    with pytest.raises(ConflictError, match="removed"):
        adm.start(
            s, client_id=world.client_id, focus_id=world.mood_id, form_id="urica-32", mode=CLIN,
            by_user_id=world.user_id, actor=None, library=library,
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        adm.start(
            s, client_id=12345, focus_id=None, form_id="phq-9", mode=CLIN, by_user_id=None, actor=None,
            library=library,
        )  # fmt: skip
    with pytest.raises(UserInputError, match="unknown instrument"):
        adm.start(
            s, client_id=world.client_id, focus_id=None, form_id="no-such-form", mode=CLIN,
            by_user_id=None, actor=None, library=library,
        )  # fmt: skip


def test_a_discharged_client_may_still_be_given_an_instrument(s: Session, library: Library) -> None:
    client = add_client(s, "D-1", status="discharged")
    info = adm.start(
        s, client_id=client, focus_id=None, form_id="phq-9", mode=CLIN, by_user_id=None, actor=None,
        library=library,
    )  # fmt: skip
    assert info.status is AdministrationStatus.IN_PROGRESS
    assert info.behaviour_text is None


def test_out_of_scale_answer_is_refused_with_a_message_and_nothing_stored(
    s: Session, world: World, library: Library
) -> None:
    info = _urica(s, world, library)
    adm.answer(s, info.id, "1", 4)
    for bad in (6, 0, 2.5, True, "3"):
        with pytest.raises(ScoringError, match=r"item 2 .*allowed values are 1, 2, 3, 4, 5"):
            adm.answer(s, info.id, "2", bad)  # type: ignore[arg-type]
    with pytest.raises(ScoringError, match="no item '99'"):
        adm.answer(s, info.id, "99", 3)
    after = adm.get(s, info.id)
    assert after.answers == {"1": 4}
    assert after.current_item == "2"


def test_each_answer_is_durable_in_its_own_transaction_and_not_audited(
    practice: store.Practice, practice_path: Path, world: World, library: Library
) -> None:
    with practice.session_factory.begin() as s:
        info = _urica(s, world, library)
        events_before = s.execute(select(func.count()).select_from(AuditEvent)).scalar()
    for item_id, value in (("1", 2), ("2", 5), ("3", 1)):
        with practice.session_factory.begin() as s:
            saved = adm.answer(s, info.id, item_id, value)
            assert saved.value == value
            assert saved.risk == ()
    assert saved.next_item == "4"
    assert (saved.answered, saved.total) == (3, 32)
    practice.close()
    reopened = store.open_practice(practice_path, practice.key)
    try:
        with reopened.session_factory.begin() as s:
            (again,) = adm.in_progress(s, client_id=world.client_id)
            assert again.id == info.id
            assert again.answers == {"1": 2, "2": 5, "3": 1}
            assert adm.resume_point(again) == "4"
            assert s.execute(select(func.count()).select_from(AuditEvent)).scalar() == events_before
    finally:
        reopened.close()


def test_resume_point_follows_navigation_and_wraps(s: Session, world: World, library: Library) -> None:
    info = _urica(s, world, library)
    for item_id in ("1", "2", "3"):
        adm.answer(s, info.id, item_id, 3)
    adm.set_current_item(s, info.id, "2")  # went back to look at item 2 (answered): resume at the next gap
    assert adm.resume_point(adm.get(s, info.id)) == "4"
    adm.set_current_item(s, info.id, "30")
    adm.answer(s, info.id, "30", 3)
    got = adm.get(s, info.id)
    assert got.current_item == "31"
    assert adm.resume_point(got) == "31"
    for item_id in ("31", "32"):
        adm.answer(s, info.id, item_id, 3)
    assert adm.resume_point(adm.get(s, info.id)) == "4"  # wraps round to the first gap
    saved = adm.clear_answer(s, info.id, "2")
    assert saved.value is None
    assert adm.resume_point(adm.get(s, info.id)) == "2"
    assert "2" not in adm.get(s, info.id).answers
    with pytest.raises(ScoringError):
        adm.set_current_item(s, info.id, "77")


def test_an_open_administration_keeps_its_instrument_version_when_the_file_changes(
    practice: store.Practice, world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "practice-forms"
    path = write_tiny_form(folder)
    lib1 = load_library([folder])
    with practice.session_factory.begin() as s:
        info = adm.start(
            s, client_id=world.client_id, focus_id=world.alcohol_id, form_id="tiny-test", mode=CLIN,
            by_user_id=world.user_id, actor=None, library=lib1,
        )  # fmt: skip
    # Same id and version, different file: value 2 is dropped from the scale, the wording changes.
    changed = TINY_FORM.replace(', { value = 2, label = "LABEL2" }', "").replace("FIRST", "CHANGED")
    path.write_text(changed, encoding="utf-8")
    lib2 = load_library([folder])
    assert lib2.get("tiny-test").allowed_values("1") == (0, 1)
    with practice.session_factory.begin() as s:
        saved = adm.answer(s, info.id, "1", 2)  # allowed by the version it started with
        assert saved.value == 2
        assert adm.item_text(s, adm.get(s, info.id), "1") == "FIRST my drinking"
        done = adm.complete(s, info.id, actor=None)
    assert done.result is not None
    assert done.result.scores["total"] is None
    assert done.result.missing == ("2",)
    assert done.result.complete is False
    with practice.session_factory.begin() as s:
        other = adm.start(
            s, client_id=world.client_id, focus_id=None, form_id="tiny-test", mode=CLIN,
            by_user_id=None, actor=None, library=lib2,
        )  # fmt: skip
        with pytest.raises(ScoringError, match="allowed values are 0, 1"):
            adm.answer(s, other.id, "1", 2)
        assert s.execute(select(func.count()).select_from(FormVersion)).scalar() == 2


def test_complete_scores_stores_the_result_and_audits(s: Session, world: World, library: Library) -> None:
    info = _urica(s, world, library)
    _give_all(s, info.id, 5, library)
    done = adm.complete(s, info.id, actor="dr.lee", now=T0 + dt.timedelta(minutes=9))
    assert done.status is AdministrationStatus.COMPLETE
    assert done.completed_at == T0 + dt.timedelta(minutes=9)
    assert done.result is not None
    assert done.result.complete
    assert done.result.scores["readiness"] == pytest.approx(10.0)
    assert done.result.stage is Stage.PRECONTEMPLATION  # 10 is nearer 9.3 than 11.0 (ATTC group means)
    assert "nearest" in done.result.stage_rule.lower()
    rows = s.execute(select(ScoreResult).where(ScoreResult.administration_id == info.id)).scalars().all()
    assert len(rows) == 1
    assert rows[0].current
    assert rows[0].result == done.result.to_json()
    event = audit.recent(s, limit=1)[0]
    assert (event.action, event.entity, event.details["change"]) == ("update", "administration", "complete")
    with pytest.raises(ConflictError, match="completed"):
        adm.answer(s, info.id, "1", 1)
    with pytest.raises(ConflictError):
        adm.complete(s, info.id, actor=None)


def test_an_incomplete_administration_can_be_completed_and_says_so(
    s: Session, world: World, library: Library
) -> None:
    info = _urica(s, world, library)
    adm.answer(s, info.id, "1", 3)
    done = adm.complete(s, info.id, actor=None)
    assert done.result is not None
    assert not done.result.complete
    assert "2" in done.result.missing
    assert done.result.scores["readiness"] is None


def test_void_keeps_the_record_hides_it_from_trends_and_never_deletes(
    s: Session, world: World, library: Library
) -> None:
    first = _urica(s, world, library, now=T0)
    _give_all(s, first.id, 3, library)
    adm.complete(s, first.id, actor=None, now=T0)
    second = _urica(s, world, library, now=T0 + dt.timedelta(days=30))
    _give_all(s, second.id, 4, library)
    adm.complete(s, second.id, actor=None, now=T0 + dt.timedelta(days=30))
    with pytest.raises(UserInputError, match="reason"):
        adm.void(s, second.id, "  ", actor="dr.lee")
    voided = adm.void(s, second.id, "Entered for the wrong client", actor="dr.lee")
    assert voided.status is AdministrationStatus.VOIDED
    assert voided.void_reason == "Entered for the wrong client"
    assert voided.result is not None  # kept
    assert [a.id for a in adm.history(s, client_id=world.client_id)] == [first.id]
    assert [a.id for a in adm.history(s, client_id=world.client_id, include_voided=True)] == [
        first.id,
        second.id,
    ]
    event = audit.recent(s, limit=1)[0]
    assert (event.action, event.entity_id, event.details) == (
        "void",
        str(second.id),
        {"client_id": world.client_id, "was": "complete"},
    )
    assert "wrong client" not in str(event.details)
    with pytest.raises(ConflictError, match="already voided"):
        adm.void(s, second.id, "again", actor=None)
    open_one = _urica(s, world, library)
    adm.void(s, open_one.id, "Client left early", actor=None)
    assert adm.in_progress(s, client_id=world.client_id) == []
    with pytest.raises(ConflictError, match="voided"):
        adm.answer(s, open_one.id, "1", 3)
    with pytest.raises(DBAPIError, match="never deleted"):
        with s.begin_nested():
            s.execute(text("DELETE FROM administration WHERE id = :i"), {"i": first.id})
    assert s.get(Administration, first.id) is not None


def test_previous_history_and_item_history(s: Session, world: World, library: Library) -> None:
    infos = []
    for n, value in enumerate((2, 3, 4)):
        info = _urica(s, world, library, now=T0 + dt.timedelta(days=30 * n))
        _give_all(s, info.id, value, library)
        if n == 2:
            adm.answer(s, info.id, "5", 2)  # this statement moved back
        infos.append(adm.complete(s, info.id, actor=None, now=T0 + dt.timedelta(days=30 * n, minutes=10)))
    assert adm.previous(s, infos[0].id) is None
    prev = adm.previous(s, infos[2].id)
    assert prev is not None
    assert prev.id == infos[1].id
    assert prev.result is not None
    assert prev.result.scores["precontemplation"] == pytest.approx(3.0)
    hist = adm.item_history(s, client_id=world.client_id, form_id="urica-32", focus_id=world.alcohol_id)
    assert [c.administration_id for c in hist.columns] == [i.id for i in infos]
    assert len(hist.rows) == 32
    row5 = next(r for r in hist.rows if r.item_id == "5")
    assert row5.values == (2, 3, 2)
    assert row5.moved
    assert row5.change == 0
    row1 = hist.rows[0]
    assert row1.values == (2, 3, 4)
    assert row1.change == 2
    assert "my drinking" in row1.text or "problem" in row1.text
    # a focus filter that matches nothing
    assert adm.history(s, client_id=world.client_id, focus_id=world.mood_id) == []


def test_rescore_keeps_both_results(s: Session, world: World, library: Library) -> None:
    info = _urica(s, world, library)
    _give_all(s, info.id, 5, library)  # readiness 10
    adm.complete(s, info.id, actor=None)
    same = adm.rescore(s, info.id, actor="dr.lee")
    assert not same.changed
    assert len(adm.results_history(s, info.id)) == 1
    outcome = adm.rescore(
        s, info.id, actor="dr.lee", options=ScoringOptions(urica_stage_rule="habits_lab_cutoffs")
    )
    assert outcome.changed
    assert outcome.old.stage is Stage.PRECONTEMPLATION
    assert outcome.new.stage is Stage.CONTEMPLATION
    assert any("stage" in line for line in outcome.differences)
    history = adm.results_history(s, info.id)
    assert [current for _, current, _ in history] == [False, True]
    got = adm.get(s, info.id)
    assert got.result is not None
    assert got.result.stage is Stage.CONTEMPLATION
    event = audit.recent(s, limit=1)[0]
    assert event.details["change"] == "rescore"
    open_one = _urica(s, world, library)
    with pytest.raises(ConflictError):
        adm.rescore(s, open_one.id, actor=None)


def test_a_focus_removed_while_open_keeps_saving(s: Session, world: World, library: Library) -> None:
    info = _urica(s, world, library)
    adm.answer(s, info.id, "1", 2)
    focus = s.get(Focus, world.alcohol_id)
    assert focus is not None
    focus.active = False
    saved = adm.answer(s, info.id, "2", 2)
    assert saved.answered == 2
    got = adm.get(s, info.id)
    assert got.focus_removed
    assert got.answers == {"1": 2, "2": 2}
    done = adm.complete(s, info.id, actor=None)
    assert done.status is AdministrationStatus.COMPLETE
    assert done.focus_removed


def test_latest_results_and_stage_comparison_for_a_focus(s: Session, world: World, library: Library) -> None:
    old = _urica(s, world, library, now=T0)
    _give_all(s, old.id, 3, library)
    adm.complete(s, old.id, actor=None, now=T0)
    new = _urica(s, world, library, now=T0 + dt.timedelta(days=1))
    _give_all(s, new.id, 5, library)
    adm.complete(s, new.id, actor=None, now=T0 + dt.timedelta(days=1))
    rcq = adm.start(
        s, client_id=world.client_id, focus_id=world.alcohol_id, form_id="rcq-12", mode=CLIN,
        by_user_id=world.user_id, actor=None, library=library,
    )  # fmt: skip
    _give_all(s, rcq.id, 2, library, "rcq-12")
    adm.complete(s, rcq.id, actor=None)
    results = adm.latest_results_for_focus(s, world.alcohol_id)
    assert [r.form_id for r in results] == ["rcq-12", "urica-32"]
    assert results[1].scores["readiness"] == pytest.approx(10.0)  # the newer URICA
    comparison = adm.stage_comparison(s, world.alcohol_id)
    assert [row.form_id for row in comparison.rows] == ["rcq-12", "urica-32"]
    stages = {row.form_id: row.stage for row in comparison.rows}
    assert stages["urica-32"] is Stage.PRECONTEMPLATION
    assert comparison.disagreement == (len({st for st in stages.values() if st is not None}) > 1)


def test_recent_and_favourite_instruments_come_first(s: Session, world: World, library: Library) -> None:
    for n, form_id in enumerate(("gad-7", "phq-9", "gad-7")):
        adm.start(
            s, client_id=world.client_id, focus_id=None, form_id=form_id, mode=CLIN,
            by_user_id=world.user_id, actor=None, library=library, now=T0 + dt.timedelta(hours=n),
        )  # fmt: skip
    assert adm.recent_forms(s, user_id=world.user_id) == ["gad-7", "phq-9"]
    assert adm.recent_forms(s, user_id=world.user_id, limit=1) == ["gad-7"]
    choices = adm.ordered_form_choices(
        s, user_id=world.user_id, library=library, favourites=("barc-10", "not-installed")
    )
    ids = [f.id for f in choices]
    assert ids[:3] == ["barc-10", "gad-7", "phq-9"]
    assert sorted(ids) == sorted(library.ids)


def test_screen_has_the_questions_and_nothing_about_the_client(
    s: Session, world: World, library: Library
) -> None:
    info = _urica(s, world, library)
    adm.answer(s, info.id, "1", 4)
    view = adm.screen(s, info.id)
    assert (view.form_id, view.mode, view.resume_at) == ("urica-32", CLIN, "2")
    assert "my drinking" in view.client_instructions
    assert len(view.items) == 32
    first = view.items[0]
    assert first.answer == 4
    assert [o.value for o in first.options] == [1, 2, 3, 4, 5]
    assert first.options[0].label == "Strongly disagree"
    assert view.items[1].answer is None
    assert "Example" not in repr(view)
    assert "C-001" not in repr(view)
    ladder = adm.start(
        s, client_id=world.client_id, focus_id=world.alcohol_id, form_id="contemplation-ladder",
        mode=AdministrationMode.CLIENT, by_user_id=None, actor=None, library=library,
    )  # fmt: skip
    ladder_view = adm.screen(s, ladder.id)
    values = [o.value for o in ladder_view.items[0].options]
    assert values == sorted(values, reverse=True)  # the ladder shows its top rung first


def test_client_level_measures_are_filed_without_a_focus(s: Session, world: World, library: Library) -> None:
    """PHQ-9 and GAD-7 are about the client: whichever focus the screen had selected, one history."""
    assert library.get("phq-9").client_level
    assert library.get("gad-7").client_level
    assert not any(library.get(f).client_level for f in ("urica-32", "audit", "audit-c", "dast-10"))
    ids = []
    for n, focus in enumerate((world.alcohol_id, world.mood_id, None)):
        info = adm.start(
            s, client_id=world.client_id, focus_id=focus, form_id="phq-9", mode=CLIN,
            by_user_id=world.user_id, actor="dr.lee", library=library, now=T0 + dt.timedelta(days=7 * n),
        )  # fmt: skip
        assert (info.focus_id, info.behaviour_text) == (None, None)
        _give_all(s, info.id, 1, library, "phq-9")
        adm.complete(s, info.id, actor="dr.lee", now=T0 + dt.timedelta(days=7 * n, minutes=5))
        ids.append(info.id)
    assert [h.id for h in adm.history(s, client_id=world.client_id, form_id="phq-9")] == ids
    last = adm.previous(s, ids[2])
    assert last is not None
    assert last.id == ids[1]
