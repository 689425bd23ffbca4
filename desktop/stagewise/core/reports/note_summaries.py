"""Signed notes in the clinician's progress summary: a short excerpt per note, or the full text.

By default each signed note prints as one heading line (date, template, who signed it and when) and an
excerpt of its fields of at most :data:`EXCERPT_CHARS` characters (about three lines), so a chart with
years of notes stays a printout of a few pages; the full text is a choice at print time
(:attr:`NoteText.FULL`).  The SHA-256 hashes that identify each signed text are not printed inline:
they go to an appendix at the end (note id, date, hash; addenda after their note).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Table

from stagewise.core.reports.data import NoteEntry
from stagewise.core.reports.layout import RULE_GREY, fmt_date, markup, para, styles, table_style

EXCERPT_CHARS = 150  # of a note's fields together: with its heading, two lines, at most three
FULL_FIELD_LIMIT = 4000  # a runaway field still cannot fill pages on its own in the "full" version


class NoteText(enum.StrEnum):
    """How much of each signed note a clinician summary prints."""

    EXCERPT = "excerpt"
    FULL = "full"


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters (with "…")."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


EXCERPT_LINES = 3  # an excerpt's paragraph (heading included) wraps to at most this many lines


@functools.cache
def note_style() -> ParagraphStyle:
    """Notes print a little smaller than body text (8.5 pt), like table cells."""
    return ParagraphStyle("note", parent=styles().cell, spaceBefore=2, spaceAfter=3)


def note_paragraph(n: NoteEntry, mode: NoteText) -> Paragraph:
    """One note as one paragraph: a bold heading, then an excerpt (run on) or every field (one a line)."""
    head = f"<b>{escape(fmt_date(n.written_at))} · {escape(n.template_title)}</b>"
    if mode is NoteText.EXCERPT:
        body = " · ".join(f"{name}: {' '.join(text.split())}" for name, text in n.fields)
        excerpt = escape(clip(body, EXCERPT_CHARS))
        if n.addenda:  # counted after the cut, so it always shows
            excerpt += f" · <i>{len(n.addenda)} addendum" + ("s" if len(n.addenda) > 1 else "") + "</i>"
        return markup(f"{head} (note {n.id}, {escape(n.signed_by)}): {excerpt}", note_style())
    parts = [f"{head} · note {n.id}, signed by {escape(n.signed_by)} on {escape(fmt_date(n.signed_at))}"]
    for name, text in n.fields:
        parts.append(f"<b>{escape(name)}:</b> {escape(clip(text, FULL_FIELD_LIMIT))}")
    for add in n.addenda:
        parts.append(
            f"<i>Addendum {escape(fmt_date(add.written_at))} by {escape(add.author)}:</i> "
            f"{escape(clip(add.text, FULL_FIELD_LIMIT))}"
        )
    return markup("<br/>".join(parts), note_style())


def notes_section(notes: Sequence[NoteEntry], mode: NoteText) -> list[Flowable]:
    """The "Signed notes" section: one paragraph per note (a note may split across a page break)."""
    st = styles()
    what = "an excerpt of each signed note" if mode is NoteText.EXCERPT else "each signed note in full"
    out: list[Flowable] = [
        CondPageBreak(4 * cm),
        para("Signed notes" + (" (excerpts)" if mode is NoteText.EXCERPT else ""), st.h1),
        para(
            f"This summary shows {what}; the complete notes stay in the practice file. The appendix lists "
            "each note's SHA-256 hash, which identifies the exact signed text (check with “stagewise "
            "verify”).",
            st.small,
        ),
    ]
    if not notes:
        out.append(para("No signed note in this period."))
    out.extend(note_paragraph(n, mode) for n in notes)
    return out


def hash_appendix(notes: Sequence[NoteEntry], width: float) -> list[Flowable]:
    """The appendix of hashes: one compact row per signed note and per addendum, in the notes' order."""
    if not notes:
        return []
    st = styles()
    cell = st.mono_small
    rows: list[list[Flowable]] = [[para(h, cell) for h in ("Note", "Signed", "SHA-256 of the signed text")]]
    for n in notes:
        rows.append([para(f"note {n.id}", cell), para(fmt_date(n.signed_at), cell), para(n.hash, cell)])
        for add in n.addenda:
            rows.append(
                [
                    para(f"addendum to {n.id}", cell),
                    para(fmt_date(add.written_at), cell),
                    para(add.hash, cell),
                ]
            )
    table = Table(rows, colWidths=[0.17 * width, 0.15 * width, 0.68 * width], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE_GREY),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [
        CondPageBreak(5 * cm),
        para("Appendix: note hashes", st.h1),
        para(
            "The SHA-256 hash of each signed note and addendum in this summary. The same text always gives "
            "the same hash, so a hash that still matches shows the note has not changed since it was signed.",
            st.small,
        ),
        table,
    ]
