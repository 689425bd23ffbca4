"""Each instrument's wording against the source text written into ``docs/instruments/<id>.md``.

The page's item table quotes the shipped wording and names its source; its "Wording checked against the
source" table quotes the source's own text for the items that were corrected or confirmed.  Both are parsed
here and compared with the loaded form, so the test fails if either the file or the page drifts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stagewise.core.instruments import Form, load_library

DOCS = Path(__file__).parents[3] / "docs" / "instruments"
SHIPPED = load_library().forms


def _section(form_id: str, heading: str) -> list[str]:
    text = (DOCS / f"{form_id}.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"{form_id}.md has no '## {heading}' section"
    return match.group(1).splitlines()


def _rows(form_id: str, heading: str) -> list[list[str]]:
    rows = [
        line.strip().strip("|").split(" | ") for line in _section(form_id, heading) if line.startswith("| ")
    ]
    return [[cell.strip() for cell in row] for row in rows[1:]]  # the first row is the header


def _checked(form_id: str) -> dict[str, str]:
    """``where`` → the source's verbatim text, from the "Wording checked against the source" table."""
    out: dict[str, str] = {}
    for where, quoted, _source in _rows(form_id, "Wording checked against the source"):
        assert quoted.startswith('"'), (form_id, where)
        assert quoted.endswith('"'), (form_id, where)
        out[where] = quoted[1:-1]
    return out


def _shipped(form: Form, where: str) -> str:
    kind, _, key = where.partition(" ")
    if kind == "item":
        return form.item(key).text
    if kind == "stem":
        return form.client_instructions
    if kind == "option":
        labels = {o.label for s in form.scales for o in s.options if str(o.value) == key}
        assert len(labels) == 1, (form.id, where, labels)
        return labels.pop()
    raise AssertionError(f"{form.id}: unknown row {where!r}")


@pytest.mark.parametrize("form", SHIPPED, ids=[f.id for f in SHIPPED])
def test_item_table_quotes_every_shipped_item_and_names_its_source(form: Form) -> None:
    rows = _rows(form.id, "Items and the source of each wording")
    assert [r[0] for r in rows] == [it.id for it in form.items]
    for (item_id, wording, source), item in zip(rows, form.items, strict=True):
        assert wording == item.text.replace("|", "/"), (form.id, item_id)
        assert source, (form.id, item_id)


@pytest.mark.parametrize("form", SHIPPED, ids=[f.id for f in SHIPPED])
def test_checked_wording_is_the_sources_text(form: Form) -> None:
    text = (DOCS / f"{form.id}.md").read_text(encoding="utf-8")
    if "## Wording checked against the source" not in text:
        pytest.skip("no item of this instrument was corrected or checked letter by letter")
    for where, source_text in _checked(form.id).items():
        assert _shipped(form, where) == source_text, (form.id, where)


@pytest.mark.parametrize("form", SHIPPED, ids=[f.id for f in SHIPPED])
def test_unverified_section_lists_the_files_caveats(form: Form) -> None:
    listed = [line[2:] for line in _section(form.id, "Unverified") if line.startswith("* ")]
    assert listed == list(form.unverified)


# The corrections of issue #16.15, each against the source's text on the instrument's page.
FIXES = [
    ("phq-9", "item 9", "dead, or of"),
    ("gad-7", "item 1", "anxious, or"),
    ("gad-7", "item 5", "it's hard"),
    ("socrates-8a", "option 1", "NO!"),
    ("socrates-8a", "option 5", "YES!"),
    ("socrates-8d", "option 1", "NO!"),
    ("socrates-8d", "option 5", "YES!"),
]


@pytest.mark.parametrize(("form_id", "where", "old"), FIXES)
def test_each_wording_fix_matches_the_source(form_id: str, where: str, old: str) -> None:
    form = load_library().get(form_id)
    source_text = _checked(form_id)[where]  # the row must exist: the fix is recorded against its source
    assert _shipped(form, where) == source_text
    assert old not in source_text
    assert old not in _shipped(form, where)


def test_phq9_item9_is_the_official_wording() -> None:
    # CamCOPS phq9.xml and HL7 US Core (LOINC 44260-8), as quoted in docs/instruments/phq-9.md.
    item = load_library().get("phq-9").item("9")
    assert item.text == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert item.loinc == "44260-8"
