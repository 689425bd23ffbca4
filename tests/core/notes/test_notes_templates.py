from __future__ import annotations

from pathlib import Path

import pytest

from stagewise.core.errors import FormError, NotFoundError
from stagewise.core.notes.templates import (
    FieldKind,
    default_templates,
    load_templates,
    parse_template,
    practice_template_dir,
)
from stagewise.core.paths import AppPaths

GOOD = """
id = "group"
version = "2.1"
title = "Group session"

[[fields]]
id = "attendance"
label = "Attendance"
kind = "text"
required = true

[[fields]]
id = "themes"
label = "Themes"
kind = "multiline"
"""


def test_shipped_templates_load_in_menu_order() -> None:
    lib = load_templates()
    assert lib.ids() == ["soap", "dap", "birp", "free_text", "treatment_plan"]
    soap = lib.get("soap")
    assert [f.id for f in soap.fields] == ["subjective", "objective", "assessment", "plan"]
    assert all(f.required and f.kind is FieldKind.MULTILINE for f in soap.fields)
    plan = lib.get("treatment_plan")
    kinds = {f.id: f.kind for f in plan.fields}
    assert kinds == {
        "problems": FieldKind.LIST,
        "goals": FieldKind.LIST,
        "objectives": FieldKind.LIST,
        "target_dates": FieldKind.LIST,
        "interventions": FieldKind.LIST,
        "review_date": FieldKind.DATE,
    }
    assert plan.field("review_date").required
    assert not plan.field("interventions").required
    for t in lib:
        assert t.title
        assert t.version
        assert t.fields


def test_required_and_date_checks() -> None:
    plan = load_templates().get("treatment_plan")
    values = plan.empty_fields()
    assert [f.id for f in plan.missing_required(values)] == [
        "problems",
        "goals",
        "objectives",
        "target_dates",
        "review_date",
    ]
    values.update(problems="p", goals="g", objectives="o", target_dates="t", review_date="2026-02-30")
    assert plan.missing_required(values) == []
    assert [f.id for f in plan.invalid_dates(values)] == ["review_date"]


def test_practice_templates_are_added_from_the_data_folder(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "home")
    folder = practice_template_dir(paths)
    folder.mkdir(parents=True)
    (folder / "group.toml").write_text(GOOD, encoding="utf-8")
    lib = default_templates(paths)
    assert lib.ids()[-1] == "group"
    group = lib.get("group")
    assert group.version == "2.1"
    assert group.source == "group.toml"
    assert "group" in lib
    assert len(lib) == 6
    with pytest.raises(NotFoundError, match="choose one of: soap, dap"):
        lib.get("missing")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "text"', 'kind = "essay"'), r"bad\.toml: fields\[0\]\.kind: Input should be 'text'"),
        (('label = "Attendance"\n', ""), r"bad\.toml: fields\[0\]\.label: required key is missing"),
        (('title = "Group session"', 'title = "Group"\ncolour = "red"'), r"bad\.toml: colour: unknown key"),
        (
            ('id = "themes"', 'id = "attendance"'),
            r"bad\.toml: fields: Value error, field id 'attendance' is used twice",
        ),
        (('id = "group"', 'id = "Group Notes"'), r"bad\.toml: id: String should match pattern"),
        (('version = "2.1"', "version = ["), r"bad\.toml: not valid TOML"),
        (
            ("required = true", 'required = "yes"'),
            r"bad\.toml: fields\[0\]\.required: Input should be a valid boolean",
        ),
    ],
)
def test_malformed_templates_name_file_path_and_reason(change: tuple[str, str], message: str) -> None:
    source = GOOD.replace(*change)
    assert source != GOOD
    with pytest.raises(FormError, match=message):
        parse_template(source, "bad.toml")


def test_a_template_without_fields_is_refused() -> None:
    with pytest.raises(FormError, match=r"x\.toml: fields: List should have at least 1 item"):
        parse_template('id = "x"\nversion = "1"\ntitle = "X"\nfields = []\n', "x.toml")


def test_practice_template_cannot_take_a_shipped_id(tmp_path: Path) -> None:
    (tmp_path / "mysoap.toml").write_text(GOOD.replace('id = "group"', 'id = "soap"'), encoding="utf-8")
    with pytest.raises(
        FormError, match=r"mysoap\.toml: id: template id 'soap' is already defined by soap\.toml"
    ):
        load_templates([tmp_path])
