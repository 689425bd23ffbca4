from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core import users
from stagewise.core.audit import trail as audit
from stagewise.core.clients import records as clients
from stagewise.core.clients.records import FocusInput
from stagewise.core.errors import ImportValidationError, NotFoundError, UserInputError
from stagewise.core.interchange import format as interchange
from stagewise.core.interchange.format import (
    ImportContext,
    Problem,
    Section,
    SectionRegistry,
    ValidationContext,
)
from stagewise.core.models import Client, Focus, Role
from stagewise.core.storage import store
from tests.conftest import PASSPHRASE

EMPTY = SectionRegistry()  # only the built-in client fields
TODAY = dt.date(2026, 3, 1)


def _user(session: Session, username: str = "clin") -> users.UserInfo:
    return users.create_user(
        session,
        username=username,
        display_name="Casey Clinician",
        password="Copper-Meadow-Falcon-31",
        roles=[Role.CLINICIAN],
        actor=None,
    )


def _populate(session: Session) -> None:
    clin = _user(session)
    zoe = clients.create_client(
        session,
        chart_number="C-100",
        given_name="Zoë",
        family_name="Łukasiewicz-Ødegård",
        date_of_birth=dt.date(1990, 3, 1),
        clinician_id=clin.id,
        focuses=[FocusInput("smoking", "Smoking"), FocusInput("alcohol", "Alcohol", "my drinking", 14)],
        actor="clin",
    )
    clients.remove_focus(session, zoe.focuses[0].id, actor="clin")
    jo = clients.create_client(
        session,
        chart_number="A-7",
        given_name="Jo",
        family_name="O'Brien",
        date_of_birth=dt.date(1970, 1, 1),
        actor="clin",
    )
    clients.discharge(session, jo.id, actor="clin")


def _count(session: Session, model: type[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def other_practice(tmp_path: Path) -> Iterator[store.Practice]:
    created = store.create_practice(tmp_path / "other.stagewise", PASSPHRASE, name="Other")
    try:
        yield created.practice
    finally:
        created.practice.close()


# --------------------------------------------------------------------------------------------------------
# Export


def test_export_is_deterministic_with_fixed_key_order(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        _populate(s)
        result = interchange.export_practice(s, actor="clin", registry=EMPTY)
    assert (result.clients, result.focuses) == (2, 2)
    text = result.text
    assert text.endswith("}\n")
    assert "Łukasiewicz-Ødegård" in text
    doc = json.loads(text)
    assert list(doc) == ["format", "version", "clients"]
    assert (doc["format"], doc["version"]) == ("stagewise-practice", 1)
    assert [c["chart_number"] for c in doc["clients"]] == ["A-7", "C-100"]
    assert list(doc["clients"][1]) == list(interchange.CLIENT_FIELDS)
    zoe = doc["clients"][1]
    assert zoe["clinician"] == "clin"
    assert zoe["status"] == "active"
    assert zoe["date_of_birth"] == "1990-03-01"
    assert [
        {k: f[k] for k in ("id", "label", "behaviour_phrase", "reassessment_days", "active")}
        for f in zoe["focuses"]
    ] == [
        {
            "id": "alcohol",
            "label": "Alcohol",
            "behaviour_phrase": "my drinking",
            "reassessment_days": 14,
            "active": True,
        },
        {
            "id": "smoking",
            "label": "Smoking",
            "behaviour_phrase": None,
            "reassessment_days": None,
            "active": False,
        },
    ]
    assert list(zoe["focuses"][0]) == list(interchange.FOCUS_FIELDS)
    assert zoe["focuses"][1]["removed_at"].endswith("Z")
    assert doc["clients"][0]["status"] == "discharged"
    assert doc["clients"][0]["discharged_at"]
    assert text.startswith('{\n  "format": "stagewise-practice",\n  "version": 1,\n  "clients": [\n    {\n')
    with practice.session_factory.begin() as s:
        assert interchange.export_practice(s, actor="clin", registry=EMPTY).text == text
        event = audit.recent(s, limit=1)[0]
    assert (event.action, event.entity) == ("export", "practice")
    assert event.details == {"format": "stagewise-practice", "version": 1, "clients": 2, "focuses": 2}


def test_export_one_client(session: Session) -> None:
    _populate(session)
    result = interchange.export_practice(session, actor="clin", chart_number="C-100", registry=EMPTY)
    assert [c["chart_number"] for c in json.loads(result.text)["clients"]] == ["C-100"]
    event = audit.recent(session, limit=1)[0]
    assert (event.action, event.entity) == ("export", "client")
    with pytest.raises(NotFoundError, match="No client has chart number Z-1"):
        interchange.export_practice(session, actor="clin", chart_number="Z-1", registry=EMPTY)


def test_round_trip_is_byte_identical(practice: store.Practice, other_practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        _populate(s)
        first = interchange.export_practice(s, actor="clin", registry=EMPTY).text
    with other_practice.session_factory.begin() as s:
        _user(s)
        summary = interchange.import_document(
            s, interchange.parse_document(first), actor="admin", registry=EMPTY
        )
    assert (summary.clients, summary.focuses) == (2, 2)
    with other_practice.session_factory.begin() as s:
        second = interchange.export_practice(s, actor="admin", registry=EMPTY).text
        imported = clients.get_by_chart_number(s, "C-100")
        event = audit.recent(s, limit=2)[1]
    assert second == first
    assert imported is not None
    assert imported.display_name == "Łukasiewicz-Ødegård, Zoë"
    assert (event.action, event.details["clients"], event.details["focuses"]) == ("import", 2, 2)
    with other_practice.session_factory() as s:
        assert [r.chart_number for r in clients.list_clients(s, query="zoe odeg")] == ["C-100"]


def test_write_file_is_private_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    interchange.write_file(out, "{}\n")
    assert out.read_text(encoding="utf-8") == "{}\n"
    assert out.stat().st_mode & 0o777 == 0o600
    with pytest.raises(UserInputError, match="already exists"):
        interchange.write_file(out, "[]\n")
    interchange.write_file(out, "[]\n", overwrite=True)
    assert out.read_text(encoding="utf-8") == "[]\n"
    with pytest.raises(UserInputError, match="does not exist"):
        interchange.write_file(tmp_path / "missing" / "x.json", "{}\n")


# --------------------------------------------------------------------------------------------------------
# Validation


def _doc(*client_entries: Any) -> dict[str, Any]:
    return {"format": "stagewise-practice", "version": 1, "clients": list(client_entries)}


def _entry(chart: str = "C-1", **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "chart_number": chart,
        "given_name": "Jo",
        "family_name": "Smith",
        "date_of_birth": "1980-05-06",
        "focuses": [{"id": "alcohol", "label": "Alcohol"}],
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not ...}


def _problems(doc: Any, **kw: Any) -> list[Problem]:
    kw.setdefault("registry", EMPTY)
    kw.setdefault("today", TODAY)
    return interchange.validate_document(doc, **kw)


def test_a_minimal_file_is_valid() -> None:
    minimal = _doc(
        {"chart_number": "C-1", "given_name": "Jo", "family_name": "Smith", "date_of_birth": "1980-05-06"}
    )
    assert _problems(minimal) == []


def test_every_problem_is_listed_with_its_json_path() -> None:
    doc = _doc(
        _entry("C-1"),
        _entry(
            "C-2",
            given_name="",
            date_of_birth="06/05/1980",
            status="gone",
            clinician="nobody",
            nickname="JJ",
            focuses=[
                {"id": "Alcohol", "label": "Alcohol"},
                {"label": "Smoking", "reassessment_days": 0},
                {"id": "gambling", "label": "Gambling", "active": "yes"},
                {"id": "gambling", "label": "Betting", "removed_at": "2026-01-01T00:00:00Z"},
            ],
        ),
        _entry("C-1", date_of_birth="2026-02-30"),
        "not a client",
        _entry(" ", family_name=..., date_of_birth="2027-01-01", discharged_at="2026-01-01T00:00:00Z"),
        _entry("C-9", created_at="yesterday", focuses={"id": "alcohol"}),
    )
    assert _problems(doc, usernames=["clin"]) == [
        ("$.clients[1].nickname", "unknown field; this version of Stagewise cannot import it"),
        ("$.clients[1].given_name", "must not be empty"),
        ("$.clients[1].date_of_birth", "must be a date written YYYY-MM-DD"),
        ("$.clients[1].status", 'must be "active" or "discharged"'),
        (
            "$.clients[1].clinician",
            "no clinician with user name nobody in this practice; "
            "add the account first (stagewise users add) or remove the field",
        ),
        (
            "$.clients[1].focuses[0].id",
            "must be 1 to 64 lowercase letters, digits, dashes or underscores (like alcohol)",
        ),
        ("$.clients[1].focuses[1].id", "is missing"),
        ("$.clients[1].focuses[1].reassessment_days", "must be between 1 and 3650 days"),
        ("$.clients[1].focuses[2].active", "must be true or false"),
        ("$.clients[1].focuses[3].removed_at", 'is only allowed on a focus with "active": false'),
        ("$.clients[1].focuses[3].id", "focus id gambling appears twice for this client"),
        ("$.clients[2].chart_number", "chart number C-1 is also used by $.clients[0]"),
        ("$.clients[2].date_of_birth", "2026-02-30 is not a real date"),
        ("$.clients[3]", "must be an object, not text"),
        ("$.clients[4].family_name", "is missing"),
        ("$.clients[4].chart_number", "must not be empty"),
        ("$.clients[4].date_of_birth", "is in the future"),
        ("$.clients[4].discharged_at", 'is only allowed when status is "discharged"'),
        ("$.clients[5].created_at", "must be a date and time like 2026-01-05T09:30:00.000Z"),
        ("$.clients[5].focuses", "must be a list of focuses"),
    ]


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([], ("$", 'must be an object with "format": "stagewise-practice", not a list')),
        (
            {"format": "fhir", "clients": []},
            ("$.format", 'must be "stagewise-practice"; this is not a Stagewise practice file'),
        ),
        ({"format": "stagewise-practice", "version": "1"}, ("$.version", "must be a whole number")),
        (
            {"format": "stagewise-practice", "version": 2, "clients": []},
            (
                "$.version",
                "this file is version 2, written by a newer Stagewise; this one reads version 1: "
                "update Stagewise to import it",
            ),
        ),
        ({"format": "stagewise-practice", "version": 1}, ("$.clients", "must be a list of clients")),
    ],
)
def test_wrong_format_or_newer_version_is_refused(doc: Any, problem: Problem) -> None:
    assert _problems(doc) == [problem]


def test_chart_numbers_already_in_the_practice_are_problems() -> None:
    assert _problems(_doc(_entry("C-1"), _entry("C-2")), existing_chart_numbers={"C-2"}) == [
        ("$.clients[1].chart_number", "chart number C-2 is already in use in this practice")
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"format": ', "not valid JSON at line 1, column 12"),
        (b'{"a": NaN}', "NaN is not allowed"),
    ],
)
def test_unreadable_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ImportValidationError, match=reason) as caught:
        interchange.parse_document(data)
    assert caught.value.problems[0][0] == "$"


def test_read_document_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_doc(_entry())).encode())
    assert interchange.read_document(path)["clients"][0]["chart_number"] == "C-1"
    with pytest.raises(UserInputError, match="There is no file"):
        interchange.read_document(tmp_path / "missing.json")


# --------------------------------------------------------------------------------------------------------
# Import writes nothing unless everything is valid


def test_partly_invalid_file_imports_nothing(session: Session) -> None:
    clients.create_client(
        session,
        chart_number="C-5",
        given_name="Al",
        family_name="Existing",
        date_of_birth=dt.date(1980, 1, 1),
        actor="x",
    )
    events_before = len(audit.recent(session))
    doc = _doc(
        *[_entry(f"N-{i}") for i in range(10)], _entry("C-5"), _entry("N-11", date_of_birth="1899-12-31")
    )
    with pytest.raises(ImportValidationError) as caught:
        interchange.import_document(session, doc, actor="admin", registry=EMPTY, today=TODAY)
    assert caught.value.problems == [
        ("$.clients[10].chart_number", "chart number C-5 is already in use in this practice"),
        ("$.clients[11].date_of_birth", "is before 1900"),
    ]
    assert "(and 1 more problem(s))" in str(caught.value)
    assert _count(session, Client) == 1
    assert _count(session, Focus) == 0
    assert len(audit.recent(session)) == events_before


def test_import_fills_defaults_and_search_keys(session: Session) -> None:
    doc = _doc(
        {
            "chart_number": " C-1 ",
            "given_name": " Zoë ",
            "family_name": "Ødegård",
            "date_of_birth": "1980-05-06",
        },
        _entry("C-2", status="discharged", focuses=[{"id": "alcohol", "label": "Alcohol", "active": False}]),
    )
    summary = interchange.import_document(session, doc, actor="admin", registry=EMPTY, today=TODAY)
    assert (summary.clients, summary.focuses) == (2, 1)
    zoe = clients.get_by_chart_number(session, "C-1")
    assert zoe is not None
    assert (zoe.given_name, zoe.status.value, zoe.focuses) == ("Zoë", "active", ())
    assert [r.chart_number for r in clients.list_clients(session, query="odegard zoe")] == ["C-1"]
    jo = clients.get_by_chart_number(session, "C-2")
    assert jo is not None
    assert jo.status.value == "discharged"
    assert not jo.focuses[0].active


# --------------------------------------------------------------------------------------------------------
# Sections


class Widgets:
    """A test section: records per client, kept in memory, referring to focuses and users."""

    def __init__(self) -> None:
        self.stored: dict[int, list[dict[str, Any]]] = {}
        self.calls: list[str] = []

    def export(self, session: Session, ctx: interchange.ExportContext) -> list[Any]:
        return sorted(self.stored.get(ctx.client_id, []), key=lambda w: w["n"])

    def validate(self, value: Any, path: str, ctx: ValidationContext) -> list[Problem]:
        self.calls.append(f"validate {path}")
        if not isinstance(value, list):
            return [(path, "must be a list")]
        problems: list[Problem] = []
        for i, item in enumerate(value):
            if item.get("focus") not in ctx.focus_keys:
                problems.append((f"{path}[{i}].focus", "is not a focus of this client"))
            if item.get("by") not in ctx.usernames:
                problems.append((f"{path}[{i}].by", "is not a user"))
        return problems

    def import_(self, session: Session, ctx: ImportContext, value: Any) -> int:
        self.calls.append(f"import {ctx.chart_number}")
        for item in value:
            assert ctx.focus_id(item["focus"]) > 0
            assert ctx.user_id(item["by"]) is not None
            assert session.get(Client, ctx.client_id) is not None
            self.stored.setdefault(ctx.client_id, []).append(dict(item))
        return len(value)


def _widget_registry(widgets: Widgets, order: int = 10) -> SectionRegistry:
    return SectionRegistry([Section("widgets", widgets.export, widgets.validate, widgets.import_, order)])


def test_a_section_is_validated_before_anything_is_written(session: Session) -> None:
    _user(session)
    widgets = Widgets()
    doc = _doc(
        _entry("C-1", widgets=[{"n": 1, "focus": "alcohol", "by": "clin"}]),
        _entry("C-2", widgets=[{"n": 2, "focus": "smoking", "by": "ghost"}]),
    )
    with pytest.raises(ImportValidationError) as caught:
        interchange.import_document(session, doc, actor="admin", registry=_widget_registry(widgets))
    assert caught.value.problems == [
        ("$.clients[1].widgets[0].focus", "is not a focus of this client"),
        ("$.clients[1].widgets[0].by", "is not a user"),
    ]
    assert widgets.calls == ["validate $.clients[0].widgets", "validate $.clients[1].widgets"]
    assert _count(session, Client) == 0


def test_sections_import_after_clients_and_export_in_order(
    practice: store.Practice, other_practice: store.Practice
) -> None:
    widgets = Widgets()
    registry = _widget_registry(widgets)
    doc = _doc(
        _entry(
            "C-2",
            widgets=[{"n": 2, "focus": "alcohol", "by": "clin"}, {"n": 1, "focus": "alcohol", "by": "clin"}],
        ),
        _entry("C-1"),
    )
    with practice.session_factory.begin() as s:
        _user(s)
        summary = interchange.import_document(s, doc, actor="admin", registry=registry)
        assert summary.sections == {"widgets": 2}
        assert widgets.calls[-1] == "import C-2"
        exported = interchange.export_practice(s, actor="admin", registry=registry)
    assert exported.sections == {"widgets": 2}
    entries = json.loads(exported.text)["clients"]
    assert [list(c)[-1] for c in entries] == ["widgets", "widgets"]
    assert entries[0]["widgets"] == []
    assert [w["n"] for w in entries[1]["widgets"]] == [1, 2]
    # A file with a section this installation does not know is refused, not silently trimmed.
    assert _problems(json.loads(exported.text), usernames=["clin"]) == [
        ("$.clients[0].widgets", "unknown field; this version of Stagewise cannot import it"),
        ("$.clients[1].widgets", "unknown field; this version of Stagewise cannot import it"),
    ]


def test_registry_rules_and_discovery() -> None:
    widgets = Widgets()
    with pytest.raises(ValueError, match="client field"):
        SectionRegistry([Section("focuses", widgets.export, widgets.validate, widgets.import_)])
    first = Section("b", widgets.export, widgets.validate, widgets.import_, order=5)
    second = Section("a", widgets.export, widgets.validate, widgets.import_, order=5)
    third = Section("c", widgets.export, widgets.validate, widgets.import_, order=1)
    assert [s.name for s in SectionRegistry([first, second, third]).sections] == ["c", "a", "b"]
    with pytest.raises(ValueError, match="registered twice"):
        SectionRegistry([first, Section("b", widgets.export, widgets.validate, widgets.import_, order=9)])
    interchange.register_section("widgets", widgets.export, widgets.validate, widgets.import_)
    try:
        assert "widgets" in interchange.default_registry().names()
    finally:
        interchange.unregister_section("widgets")
    assert "widgets" not in interchange.default_registry().names()
