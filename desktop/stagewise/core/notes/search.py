"""Full-text search over notes (SQLite FTS5 inside the encrypted practice file).

The index (``note_fts``, rowid = note id) holds each note's field values and its addenda; triggers in
``ddl.py`` keep it in step with every save, signature and addendum in the same transaction.

Query rules (``docs/notes.md``): the user's text is split into words (letters and digits; everything
else separates words, exactly like the index's ``unicode61`` tokenizer); each word is quoted as an FTS5
string, the words are ANDed, and the last word also matches as a prefix (so results appear while typing).
FTS syntax characters (``" * ( ) : ^ - + NEAR AND OR NOT``) are therefore plain text and never raise.

Hits come newest note first (FTS5 walks its rowids in descending order and stops at the limit), never
ranked: BM25 over a common term across 250,000 notes costs ~250 ms, recency order < 1 ms (DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from stagewise.core.models import NoteStatus, iso_utc, parse_utc
from stagewise.core.users import people, require_clinical

MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"
SNIPPET_TOKENS = 16
FEW_NOTES = 2000  # up to this many notes, a client's own notes drive a client-filtered search
MAX_EXPANSION = 500  # at most this many whole words stand for a last-word prefix on that path
MAX_WORDS = 16  # more words than this only slow the query down; the rest are ignored

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchHit:
    note_id: int
    client_id: int
    chart_number: str
    client_name: str  # "Given Family": a chart number alone does not tell a clinician whose note it is
    written_at: dt.datetime
    template_id: str
    status: NoteStatus
    author_username: str
    author_name: str  # the person, as shown (``users.person_label``)
    snippet: str  # matches between MARK_START and MARK_END

    @property
    def spans(self) -> list[tuple[str, bool]]:
        """The snippet as ``(text, is_match)`` pieces, for highlighting."""
        return snippet_spans(self.snippet)

    def bracketed(self) -> str:
        """The snippet with matches in ``[…]`` and line breaks as spaces (for terminals)."""
        flat = " ".join(self.snippet.split())
        return flat.replace(MARK_START, "[").replace(MARK_END, "]")


def snippet_spans(snippet: str) -> list[tuple[str, bool]]:
    """Split a marked snippet into ``(text, is_match)`` pieces (empty pieces dropped)."""
    out: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(f"[{MARK_START}{MARK_END}]", snippet)):
        if part:
            out.append((part, i % 2 == 1))
    return out


def query_words(query: str) -> list[str]:
    """The words of a user's query, as the index tokenizes them."""
    return _WORD.findall(query)[:MAX_WORDS]


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts_query(query: str, *, last_terms: Sequence[str] | None = None) -> str | None:
    """A safe FTS5 MATCH expression for the user's text, or None when it has no words.

    Args:
        query: the user's text.
        last_terms: if given, the whole terms the last word stands for (its prefix expansion); matched as
            ``("t1" OR "t2" …)`` instead of a prefix query.
    """
    words = query_words(query)
    if not words:
        return None
    quoted = [_quote(w) for w in words]
    if last_terms is None:
        quoted[-1] += "*"
    else:
        quoted[-1] = "(" + " OR ".join([quoted[-1], *(_quote(t) for t in last_terms)]) + ")"
    return " AND ".join(quoted)


def fold(word: str) -> str:
    """A word as the index stores it: case-folded, without diacritics (like ``remove_diacritics 2``)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _client_terms(session: Session, client_id: int, prefix: str) -> list[str]:
    """The words in one client's notes that start with ``prefix`` (at most :data:`MAX_EXPANSION`)."""
    start = fold(prefix)
    bodies = session.execute(
        text(
            "SELECT note_fts.body FROM note CROSS JOIN note_fts ON note_fts.rowid = note.id"
            " WHERE note.client_id = :c"
        ),
        {"c": client_id},
    ).scalars()
    terms: set[str] = set()
    for body in bodies:
        terms.update(t for t in map(fold, _WORD.findall(body or "")) if t.startswith(start) and t != start)
    return sorted(terms)[:MAX_EXPANSION]


def _bound(value: dt.date | dt.datetime, *, end: bool) -> str:
    """ISO text bound for ``written_at``; a date means the whole local day."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.astimezone()
    else:
        day = value + dt.timedelta(days=1) if end else value
        moment = dt.datetime.combine(day, dt.time.min).astimezone()
    return iso_utc(moment)


def _few_notes(session: Session, client_id: int) -> bool:
    """Whether the client has at most :data:`FEW_NOTES` notes (an index-only count, stopped early)."""
    count = session.execute(
        text("SELECT count(*) FROM (SELECT 1 FROM note WHERE client_id = :c LIMIT :n)"),
        {"c": client_id, "n": FEW_NOTES + 1},
    ).scalar_one()
    return int(count) <= FEW_NOTES


def search_notes(
    session: Session,
    query: str,
    *,
    client_id: int | None = None,
    author_id: int | None = None,
    template_id: str | None = None,
    status: NoteStatus | str | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    limit: int = 50,
    actor: str | None = None,
) -> list[SearchHit]:
    """Notes matching every word of ``query``, newest first.

    Args:
        session: any session (read only; the caller audits the search if it wants to).
        query: the user's text, taken literally (see the module docstring).
        client_id: one client's notes only.
        author_id: one author's notes only.
        template_id: one template's notes only.
        status: draft, awaiting_cosign or signed only.
        since: written at or after (a date means from the start of that local day).
        until: written before (a date means up to the end of that local day, inclusive).
        limit: at most this many hits (1-1000).
        actor: the searching user; an account without a clinical role is refused.

    Returns:
        Hits with a snippet whose matches are wrapped in :data:`MARK_START` / :data:`MARK_END`.

    Raises:
        ClinicalRoleRequiredError: ``actor`` is an account that is neither clinician nor supervisor.
    """
    require_clinical(session, actor)
    match = fts_query(query)
    if match is None:
        return []
    where = ["note_fts MATCH :match"]
    params: dict[str, Any] = {"match": match, "limit": max(1, min(int(limit), 1000))}
    if client_id is not None:
        where.append("n.client_id = :client_id")
        params["client_id"] = client_id
    if author_id is not None:
        where.append("n.author_id = :author_id")
        params["author_id"] = author_id
    if template_id is not None:
        where.append("n.template_id = :template_id")
        params["template_id"] = template_id
    if status is not None:
        where.append("n.status = :status")
        params["status"] = NoteStatus(status).value
    if since is not None:
        where.append("n.written_at >= :since")
        params["since"] = _bound(since, end=False)
    if until is not None:
        where.append("n.written_at < :until")
        params["until"] = _bound(until, end=True)
    # Which table drives the loop decides the cost.  Practice-wide, note_fts is the outer loop (CROSS JOIN
    # pins the order): FTS5 walks its rowids newest first and stops at LIMIT.  For a client with few notes,
    # walking a common term's whole doclist to find them would take ~1 s at 250,000 notes; instead their
    # notes (by index) drive, and each probes the FTS row by rowid.
    # FTS5 rebuilds a prefix query's merged doclist on every rowid probe (~10 ms for a common prefix), so
    # on this path the last word's prefix is expanded from the client's own words into exact terms.
    outer = "note_fts CROSS JOIN note AS n ON n.id = note_fts.rowid"
    order = "note_fts.rowid DESC"
    if client_id is not None and _few_notes(session, client_id):
        outer = "note AS n CROSS JOIN note_fts ON note_fts.rowid = n.id"
        order = "n.id DESC"
        params["match"] = fts_query(
            query, last_terms=_client_terms(session, client_id, query_words(query)[-1])
        )
    sql = f"""
        SELECT note_fts.rowid, n.client_id, c.chart_number, n.written_at, n.template_id, n.status, u.username,
               snippet(note_fts, 0, '{MARK_START}', '{MARK_END}', '{ELLIPSIS}', {SNIPPET_TOKENS}),
               n.author_id, c.given_name, c.family_name
          FROM {outer}
          JOIN client AS c ON c.id = n.client_id
          JOIN user AS u ON u.id = n.author_id
         WHERE {" AND ".join(where)}
         ORDER BY {order}
         LIMIT :limit"""
    rows = session.execute(text(sql), params).all()
    person = people(session) if rows else {}
    return [
        SearchHit(
            note_id=int(r[0]),
            client_id=int(r[1]),
            chart_number=str(r[2]),
            client_name=f"{r[9]} {r[10]}",
            written_at=parse_utc(r[3]),
            template_id=str(r[4]),
            status=NoteStatus(r[5]),
            author_username=str(r[6]),
            author_name=person.get(int(r[8]), str(r[6])),
            snippet=str(r[7]),
        )
        for r in rows
    ]


def rebuild_index(session: Session) -> int:
    """Rebuild the whole search index from the notes and addenda (repair tool; returns the notes indexed).

    Triggers keep the index in step during normal use; this is for ``stagewise verify --repair``-style
    maintenance after an index problem, and writes nothing but the index.
    """
    session.execute(text("DELETE FROM note_fts"))
    session.execute(
        text(
            "INSERT INTO note_fts(rowid, body) SELECT n.id,"
            " coalesce((SELECT group_concat(value, char(10)) FROM json_each(n.fields)"
            "           WHERE type = 'text'), '')"
            " || coalesce((SELECT char(10) || group_concat(text, char(10))"
            "              FROM (SELECT text FROM addendum WHERE note_id = n.id ORDER BY id)), '')"
            " FROM note AS n"
        )
    )
    return int(session.execute(text("SELECT count(*) FROM note_fts")).scalar_one())
