"""Input that Stagewise refuses with one line and exit 2, never a traceback: very deep nesting, duplicate
JSON keys, times without a UTC offset; and echoed input is cut to a readable length."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stagewise import cli
from stagewise.core import jsoninput
from stagewise.core.enums import parse_utc
from stagewise.core.errors import ECHO_LIMIT, ImportValidationError, shorten
from stagewise.core.interchange import format as interchange
from stagewise.core.models import Client
from stagewise.core.storage import store
from tests.core.administrations.test_administrations_helpers import add_client, add_user

DEEP = "[" * 100_000 + "]" * 100_000


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _doc(created_at: str) -> str:
    return json.dumps(
        {
            "format": "stagewise-practice",
            "version": 1,
            "clients": [
                {
                    "chart_number": "N-1",
                    "given_name": "Test",
                    "family_name": "Person",
                    "date_of_birth": "1980-05-06",
                    "created_at": created_at,
                }
            ],
        }
    )


@pytest.fixture
def chart(practice: store.Practice) -> str:
    with practice.session_factory.begin() as s:
        add_client(s, "CLI-1", clinician_id=add_user(s, "dr.lee"))
    return "CLI-1"


def test_strict_json_refuses_duplicates_constants_and_deep_nesting() -> None:
    assert jsoninput.loads('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    with pytest.raises(jsoninput.JSONInputError, match="the key 'a' appears twice"):
        jsoninput.loads('{"a": 1, "a": 2}')
    with pytest.raises(jsoninput.JSONInputError, match="NaN is not allowed"):
        jsoninput.loads("[NaN]")
    with pytest.raises(jsoninput.JSONInputError, match="nested more than 64 levels"):
        jsoninput.loads(DEEP)
    with pytest.raises(jsoninput.JSONInputError, match="nested more than 64 levels"):
        jsoninput.loads("[" * 65 + "]" * 65)  # deep enough to refuse, shallow enough to parse
    jsoninput.loads("[" * 64 + "]" * 64)


def test_import_file_problems_are_refused_with_one_message(
    practice: store.Practice, practice_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = {
        "deep.json": (DEEP, "nested more than 64 levels deep"),
        "twice.json": (
            '{"format": "stagewise-practice", "version": 1, "version": 2, "clients": []}',
            "the key 'version' appears twice",
        ),
        "naive.json": (_doc("2026-01-05T09:30:00"), "$.clients[0].created_at: must be a date and time"),
    }
    for name, (text, message) in cases.items():
        source = tmp_path / name
        source.write_text(text, encoding="utf-8")
        assert cli.main(["import", str(practice_path), str(source)]) == 2, name
        err = capsys.readouterr().err
        assert message in err.splitlines()[0], err
        assert "Traceback" not in err
    with practice.read_factory() as s:
        assert s.execute(select(func.count()).select_from(Client)).scalar_one() == 0
    good = tmp_path / "good.json"
    good.write_text(_doc("2026-01-05T09:30:00+01:00"), encoding="utf-8")
    assert cli.main(["import", str(practice_path), str(good)]) == 0


def test_naive_times_are_refused_only_where_strict() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        parse_utc("2026-01-05T09:30:00", strict=True)
    assert parse_utc("2026-01-05T09:30:00") == dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    with pytest.raises(ImportValidationError):
        interchange.parse_document('{"a": 1, "a": 1}')


def test_score_and_administer_refuse_deep_or_duplicated_answers(
    practice_path: Path, chart: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    twice = tmp_path / "twice.json"
    twice.write_text('{"1": 2, "1": 3}', encoding="utf-8")
    for answers, message in ((deep, "nested more than 64 levels deep"), (twice, "the key '1' appears twice")):
        assert cli.main(["score", "phq-9", "--answers", str(answers)]) == 2
        assert message in _one_line(capsys.readouterr().err)
        code = cli.main(
            [
                "administer",
                str(practice_path),
                "--client",
                chart,
                "--form",
                "phq-9",
                "--answers",
                str(answers),
            ]
        )
        assert code == 2
        assert message in _one_line(capsys.readouterr().err)


def test_a_huge_item_name_is_not_echoed_in_full(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "x" * 10_000_000
    answers = tmp_path / "huge.json"
    answers.write_text(json.dumps({name: 1}), encoding="utf-8")
    assert cli.main(["score", "phq-9", "--answers", str(answers)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert len(line) < 300
    assert "(10000000 characters)" in line
    assert shorten("short") == "'short'"
    assert len(shorten("y" * 500)) < ECHO_LIMIT + 30


def test_a_bad_practice_form_file_is_reported_and_the_others_still_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stagewise.core.instruments import practice_forms_dir
    from stagewise.core.paths import AppPaths

    folder = practice_forms_dir(AppPaths.resolve(None))  # under the test's STAGEWISE_HOME
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text("this is [not toml", encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({str(n): 1 for n in range(1, 10)}), encoding="utf-8")
    assert cli.main(["score", "phq-9", "--answers", str(answers), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["scores"]["total"] == 9
    assert err.startswith("stagewise: note: skipped broken.toml: $: not valid TOML")
