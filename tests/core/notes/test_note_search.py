from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from stagewise.core.notes import drafts as notes
from stagewise.core.notes.search import (
    MARK_END,
    MARK_START,
    fts_query,
    query_words,
    rebuild_index,
    search_notes,
    snippet_spans,
)
from tests.core.notes.test_notes import SOAP, T0, make_people


def _note(
    s: Session, client: int, author: int, body: str, *, at: dt.datetime = T0, template: str = "free_text"
) -> int:
    field = "text" if template == "free_text" else "data"
    d = notes.create_draft(s, client_id=client, template_id=template, author_id=author, actor=None, now=at)
    notes.save_draft(s, d.id, {field: body}, now=at)
    return d.id


def ids(hits: list[notes.SearchHit]) -> list[int]:
    return [h.note_id for h in hits]


def test_words_are_anded_prefix_matched_and_accent_blind(session: Session) -> None:
    p = make_people(session)
    a = _note(session, p.client, p.alice, "Discussed cravings after the café visit.")
    b = _note(session, p.client, p.alice, "Cravings low; motivation rising.", at=T0 + dt.timedelta(days=1))
    assert ids(search_notes(session, "cravings")) == [b, a]  # newest first
    assert ids(search_notes(session, "cravings cafe")) == [a]
    assert ids(search_notes(session, "CRAV")) == [b, a]  # the last word is a prefix
    assert ids(search_notes(session, "crav motivation")) == []  # only the last word is a prefix
    assert ids(search_notes(session, "motivation crav")) == [b]
    assert ids(search_notes(session, "cravings", limit=1)) == [b]


def test_client_filter_expands_the_last_word_from_the_clients_own_words(session: Session) -> None:
    p = make_people(session)
    a = _note(session, p.client, p.alice, "Met at the Café; talked about cravings and cravat shopping.")
    _note(session, p.other_client, p.alice, "cravings crave")
    b = _note(session, p.client, p.alice, "Craving less.", at=T0 + dt.timedelta(days=1))
    assert ids(search_notes(session, "caf", client_id=p.client)) == [a]
    assert ids(search_notes(session, "CRAV", client_id=p.client)) == [b, a]
    assert ids(search_notes(session, "cravings", client_id=p.client)) == [a]
    assert ids(search_notes(session, "talked crava", client_id=p.client)) == [a]
    assert search_notes(session, "crave", client_id=p.client) == []
    (hit,) = search_notes(session, "shop", client_id=p.client)
    assert f"{MARK_START}shopping{MARK_END}" in hit.snippet


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "crav*ings",
        "NEAR(cravings motivation)",
        "cravings AND OR NOT",
        "-cravings",
        "body:cravings",
        "^cravings",
        "(cravings",
        "cravings)",
        "{body}: x",
        "''; DROP TABLE note; --",
        "*",
        "   ",
        "",
        "+++",
        "a" * 5000,
    ],
)
def test_fts_syntax_is_plain_text_and_never_raises(session: Session, query: str) -> None:
    p = make_people(session)
    n = _note(session, p.client, p.alice, "Cravings AND motivation; NOT worried; body text.")
    hits = search_notes(session, query)
    assert all(h.note_id == n for h in hits)
    if query.strip(" *+-\"'") == "":
        assert hits == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40))
def test_any_text_is_a_valid_query(session: Session, query: str) -> None:
    hits = search_notes(session, query)
    assert hits == []  # empty practice; what matters is that nothing raised
    match = fts_query(query)
    assert match is None or match.count('"') % 2 == 0


def test_query_building() -> None:
    assert query_words('he said "stop" -- now*') == ["he", "said", "stop", "now"]
    assert fts_query('he said "stop"') == '"he" AND "said" AND "stop"*'
    assert fts_query("NEAR OR") == '"NEAR" AND "OR"*'
    assert fts_query("!!") is None


def test_snippet_marks_matches(session: Session) -> None:
    p = make_people(session)
    _note(session, p.client, p.alice, "Long talk.\nDiscussed relapse prevention and relapsing thoughts.")
    (hit,) = search_notes(session, "relaps")
    assert f"{MARK_START}relapse{MARK_END}" in hit.snippet
    assert f"{MARK_START}relapsing{MARK_END}" in hit.snippet
    assert ("relapse", True) in hit.spans
    assert hit.bracketed() == "Long talk. Discussed [relapse] prevention and [relapsing] thoughts."
    assert snippet_spans(f"a{MARK_START}b{MARK_END}c") == [("a", False), ("b", True), ("c", False)]
    assert hit.chart_number == "C-001"
    assert hit.template_id == "free_text"
    assert hit.status is notes.NoteStatus.DRAFT
    assert hit.author_username == "alice"
    assert hit.written_at == T0


def test_filters(session: Session) -> None:
    p = make_people(session)
    a = _note(session, p.client, p.alice, "anxiety work", at=T0)
    b = _note(session, p.other_client, p.alice, "anxiety work", at=T0 + dt.timedelta(days=3))
    c = _note(session, p.client, p.bob, "anxiety work", at=T0 + dt.timedelta(days=5), template="dap")
    assert ids(search_notes(session, "anxiety", client_id=p.client)) == [c, a]
    assert ids(search_notes(session, "anxiety", author_id=p.bob)) == [c]
    assert ids(search_notes(session, "anxiety", template_id="dap")) == [c]
    assert ids(search_notes(session, "anxiety", since=T0 + dt.timedelta(days=1))) == [c, b]
    assert ids(search_notes(session, "anxiety", until=T0 + dt.timedelta(days=4))) == [b, a]
    day = (T0 + dt.timedelta(days=3)).astimezone().date()
    assert ids(search_notes(session, "anxiety", since=day, until=day)) == [b]
    assert ids(search_notes(session, "anxiety", status="draft", client_id=p.client, author_id=p.alice)) == [a]


def test_index_follows_edits_signing_addenda_and_discards(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP
    )
    assert ids(search_notes(session, "cravings")) == [d.id]
    notes.save_draft(session, d.id, {"subjective": "Reports sleeping badly."})
    assert search_notes(session, "cravings") == []
    assert ids(search_notes(session, "sleeping")) == [d.id]
    signed = notes.sign_note(session, d.id, user_id=p.alice, actor=None)
    (hit,) = search_notes(session, "sleeping")
    assert hit.status is notes.NoteStatus.SIGNED
    notes.add_addendum(session, signed.id, "Late entry: insomnia since March.", author_id=p.alice, actor=None)
    notes.add_addendum(session, signed.id, "Second: referred to sleep clinic.", author_id=p.alice, actor=None)
    assert ids(search_notes(session, "insomnia")) == [d.id]
    assert ids(search_notes(session, "clinic sleeping")) == [d.id]
    body = session.execute(text("SELECT body FROM note_fts WHERE rowid = :id"), {"id": d.id}).scalar_one()
    assert body.index("sleeping badly") < body.index("insomnia") < body.index("sleep clinic")
    other = notes.create_draft(
        session,
        client_id=p.client,
        template_id="soap",
        author_id=p.alice,
        actor=None,
        fields={"plan": "insomnia"},
    )
    assert ids(search_notes(session, "insomnia")) == [other.id, d.id]
    notes.discard_draft(session, other.id, actor=None)
    assert ids(search_notes(session, "insomnia")) == [d.id]


def test_rebuild_index_gives_the_same_index(session: Session) -> None:
    p = make_people(session)
    d = notes.create_draft(
        session, client_id=p.client, template_id="soap", author_id=p.alice, actor=None, fields=SOAP
    )
    notes.sign_note(session, d.id, user_id=p.alice, actor=None)
    notes.add_addendum(session, d.id, "Late entry: insomnia.", author_id=p.alice, actor=None)
    _note(session, p.other_client, p.bob, "Another note.")
    query = text("SELECT rowid, body FROM note_fts ORDER BY rowid")
    before = session.execute(query).all()
    session.execute(text("DELETE FROM note_fts"))
    assert search_notes(session, "insomnia") == []
    assert rebuild_index(session) == 2
    assert session.execute(query).all() == before
    assert ids(search_notes(session, "insomnia")) == [d.id]


def test_search_uses_recency_order_without_ranking(session: Session) -> None:
    plan = session.execute(
        text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM note_fts WHERE note_fts MATCH '\"a\"'"
            " ORDER BY rowid DESC LIMIT 5"
        )
    ).all()
    assert not any("TEMP B-TREE" in str(row[-1]) for row in plan)  # FTS5 walks rowids; no sort step
