"""Properties of scoring over every shipped instrument, plus validation and the result contract."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stagewise.core.errors import ScoringError
from stagewise.core.instruments import Form, load_library
from stagewise.core.instruments.scoring import Result, ScoringOptions, diff_results, score, validate_answer
from stagewise.core.models import Stage

FORMS = load_library().forms
FORM_IDS = [f.id for f in FORMS]
OPTION_SETS = [
    ScoringOptions(),
    ScoringOptions(sex="female"),
    ScoringOptions(sex="male", urica_stage_rule="habits_lab_cutoffs"),
]


def complete_answers(form: Form) -> st.SearchStrategy[dict[str, int | float]]:
    return st.fixed_dictionaries({it.id: st.sampled_from(form.allowed_values(it.id)) for it in form.items})


@pytest.mark.parametrize("form", FORMS, ids=FORM_IDS)
@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_complete_answers_score_inside_the_published_range(form: Form, data: st.DataObject) -> None:
    values = data.draw(complete_answers(form))
    options = data.draw(st.sampled_from(OPTION_SETS))
    r = score(form, values, options)
    assert r.complete
    assert r.missing == ()
    for name in form.score_names():
        value = r.scores[name]
        assert value is not None, name
        lo, hi = form.score_range(name)
        assert lo - 1e-9 <= value <= hi + 1e-9, (name, value, (lo, hi))
    for band_set in form.bands:
        assert band_set.score in r.bands  # every banded score gets a band
    if form.stage is not None:
        assert isinstance(r.stage, Stage)
    else:
        assert r.stage is None
        assert "assigns no stage" in r.stage_rule
    json.dumps(r.to_json())  # plain JSON types only


@pytest.mark.parametrize("form", FORMS, ids=FORM_IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_incomplete_answers_are_flagged_never_prorated(form: Form, data: st.DataObject) -> None:
    values = data.draw(complete_answers(form))
    required = [it.id for it in form.items if not it.optional]
    dropped = data.draw(st.sets(st.sampled_from(required), min_size=1))
    partial = {k: v for k, v in values.items() if k not in dropped}
    r = score(form, partial)
    assert not r.complete
    assert r.missing == tuple(i for i in required if i in dropped)  # printed order
    for sd in form.scores:
        if any(i in dropped for i in sd.items):
            assert r.scores[sd.name] is None
    for d in form.derived:
        if any(r.scores[n] is None for n in d.expression.names):
            assert r.scores[d.name] is None


@pytest.mark.parametrize("form", FORMS, ids=FORM_IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_values_off_the_scale_are_refused_with_item_and_allowed_values(
    form: Form, data: st.DataObject
) -> None:
    item = data.draw(st.sampled_from(form.items))
    allowed = form.allowed_values(item.id)
    bad = data.draw(
        st.one_of(st.integers(-100, 100), st.floats(allow_nan=True, allow_infinity=True)).filter(
            lambda v: v not in allowed or (isinstance(v, float) and math.isnan(v))
        )
    )
    with pytest.raises(ScoringError, match=rf"^item {item.id} of {form.id}: .* allowed values are "):
        score(form, {item.id: bad})


def test_contract_error_message_exactly() -> None:
    urica = load_library().get("urica-32")
    with pytest.raises(ScoringError) as info:
        score(urica, {"12": 7})
    assert str(info.value) == "item 12 of urica-32: 7 is not allowed; allowed values are 1, 2, 3, 4, 5"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(True, "bool is not a number"), ("3", "'3' is not a number"), ([3], "list is not a number"), (None, "")],
)
def test_non_numbers_are_refused_none_means_unanswered(value: object, fragment: str) -> None:
    phq = load_library().get("phq-9")
    if value is None:
        assert score(phq, {"1": None}).missing[0] == "1"
        return
    with pytest.raises(ScoringError, match=f"item 1 of phq-9: {fragment}"):
        score(phq, {"1": value})


def test_unknown_item_and_json_float_integers() -> None:
    phq = load_library().get("phq-9")
    with pytest.raises(ScoringError, match="phq-9 has no item '11'; its items are 1–10"):
        score(phq, {"11": 1})
    assert validate_answer(phq, "1", 2.0) == 2
    assert isinstance(validate_answer(phq, "1", 2.0), int)
    with pytest.raises(ScoringError, match="object mapping"):
        score(phq, [("1", 2)])  # type: ignore[arg-type]


def test_result_json_contract_and_round_trip() -> None:
    r = score(load_library().get("phq-9"), {str(i): 1 for i in range(1, 10)} | {"9": 2})
    data = r.to_json()
    assert list(data) == [
        "form",
        "form_version",
        "scoring_version",
        "complete",
        "scores",
        "bands",
        "stage",
        "stage_rule",
        "flags",
        "missing",
        "messages",
        "unverified",
    ]
    assert data["form"] == "phq-9"
    assert data["stage"] is None
    assert data["flags"] == ["phq9_item9_positive"]
    assert Result.from_json(json.loads(json.dumps(data))) == r
    staged = score(load_library().get("rcq-12"), {str(i): 0 for i in range(1, 13)})
    assert Result.from_json(staged.to_json()).stage is Stage.ACTION
    with pytest.raises(ScoringError, match="expected shape"):
        Result.from_json({"form": "x"})


def test_diff_results_shows_what_a_rule_change_did() -> None:
    urica = load_library().get("urica-32")
    values = {str(i): 4 for i in range(1, 33)} | {i: 1 for i in ("1", "5", "11", "13", "23", "26", "29")}
    old = score(urica, values)
    new = score(urica, values, ScoringOptions(urica_stage_rule="habits_lab_cutoffs"))
    diff = diff_results(old, new)
    assert diff.changed
    assert diff.stage == (Stage.CONTEMPLATION, Stage.PREPARATION)  # readiness 11
    assert diff.scores == {}
    assert "stage: contemplation → preparation" in diff.lines()
    assert not diff_results(old, old).changed
    fewer = dict(values)
    del fewer["2"]
    d2 = diff_results(old, score(urica, fewer))
    assert d2.scores["contemplation"] == (4.0, None)
    assert d2.complete == (True, False)
    assert d2.old_versions == (urica.version, urica.scoring_version)
