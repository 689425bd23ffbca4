"""Blank instruments printed as paper forms, for clients who complete them on paper.

The form shows the instrument's title, the client instructions, every item verbatim (with the behaviour
placeholder filled: the client's focus if given, else the instrument's generic wording), the response
scale, the licence attribution and citation, and — as a footnote for the clinician who scores it — the
instrument file's specific unverified caveats.  It never shows the bands (an unverified key is named only in
its caveat, e.g. the RCQ's).  Every
page carries "Name / Chart / Date" lines so that a loose page can be matched to its client.

Items that share a short scale (up to six options) are laid out as a grid, one row per item; longer
scales (the 0–10 rulers) get a row of boxes with the end anchors beneath; the Contemplation Ladder (a
descending scale with worded rungs) is printed as a list, highest rung first.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table
from sqlalchemy.orm import Session

from stagewise.core.instruments.model import Form, Item, Scale
from stagewise.core.models import Setting
from stagewise.core.reports.layout import (
    LIGHT_FILL,
    RULE_GREY,
    PageDecor,
    PageSizeName,
    Rendered,
    frame_width,
    markup,
    para,
    render,
    styles,
    table_style,
)
from stagewise.core.reports.output import Output, ReportEvent, output_of, record_output

GRID_MAX_OPTIONS = 6
NUM_W = 1.0 * cm  # item-number column ("10." must not wrap)
BOX = "☐"  # U+2610 BALLOT BOX (in DejaVu Sans)
IDENT_LINE = "Name ______________________   Chart no. __________   Date ______________"
FLUSH = [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
ZEBRA = colors.HexColor("#F7F7F7")  # alternate grid rows: helps the eye follow a row to its boxes
DEFAULT_SAFETY_TEXT = (
    "If you are having thoughts of harming yourself, please tell your clinician straight away, or call "
    "your local emergency number if you are in danger now."
)
FORM_CONFIDENTIALITY = "Confidential once completed: please hand this form back to your clinician."


def _runs(form: Form) -> list[tuple[Scale, list[Item]]]:
    """Consecutive items grouped by their scale."""
    runs: list[tuple[Scale, list[Item]]] = []
    for item in form.items:
        if runs and runs[-1][0].id == item.scale:
            runs[-1][1].append(item)
        else:
            runs.append((form.scale(item.scale), [item]))
    return runs


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _item_para(form: Form, item: Item, behaviour: str | None, style: ParagraphStyle) -> Paragraph:
    text = escape(form.item_text(item.id, behaviour))
    if item.optional:
        text += " <i>(optional)</i>"
    return markup(text, style)


def _grid(form: Form, scale: Scale, items: Sequence[Item], behaviour: str | None, width: float) -> Table:
    st = styles()
    options = scale.display_options()
    centre = ParagraphStyle("grid_head", parent=st.cell_bold, fontSize=7, leading=8.5, alignment=1)
    box_style = ParagraphStyle("grid_box", parent=st.cell, fontSize=9, leading=11, alignment=1)
    opt_w = min(2.0 * cm, (width * 0.62) / len(options))
    num_w = NUM_W
    text_w = width - num_w - opt_w * len(options)
    header: list[Any] = [para("", st.cell), para("", st.cell)] + [
        para(form.fill(o.label, behaviour) or _num(o.value), centre) for o in options
    ]
    rows: list[list[Any]] = [header]
    for item in items:
        rows.append(
            [para(f"{item.number}.", st.cell_bold), _item_para(form, item, behaviour, st.cell)]
            + [para(f"{BOX} {_num(o.value)}", box_style) for o in options]
        )
    table = Table(rows, colWidths=[num_w, text_w] + [opt_w] * len(options), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), LIGHT_FILL),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE_GREY),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, ZEBRA]),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _ruler(form: Form, scale: Scale, item: Item, behaviour: str | None, width: float) -> list[Flowable]:
    """One item on a long ascending scale: a row of numbered boxes with the end anchors beneath."""
    st = styles()
    options = scale.display_options()
    n = len(options)
    box_style = ParagraphStyle("ruler_box", parent=st.cell, fontSize=9, leading=11, alignment=1)
    left = ParagraphStyle("ruler_left", parent=st.small, spaceAfter=0)
    right = ParagraphStyle("ruler_right", parent=left, alignment=2)
    col = (width - NUM_W) / n
    half = n // 2
    rows: list[list[Any]] = [
        [markup(f"{BOX}<br/>{_num(o.value)}", box_style) for o in options],
        [para(form.fill(options[0].label, behaviour), left)]
        + [""] * (half - 1)
        + [""] * (n - 2 * half)
        + [para(form.fill(options[-1].label, behaviour), right)]
        + [""] * (half - 1),
    ]
    table = Table(rows, colWidths=[col] * n, hAlign="LEFT")
    table.setStyle(
        table_style(
            [
                ("SPAN", (0, 1), (half - 1, 1)),
                ("SPAN", (n - half, 1), (n - 1, 1)),
                ("LINEBELOW", (0, 0), (-1, 0), 0.25, RULE_GREY),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [KeepTogether(_numbered(form, item, behaviour, table, width))]


def _numbered(form: Form, item: Item, behaviour: str | None, answers: Table, width: float) -> list[Flowable]:
    """The item's number and wording, then its answer table indented under the wording."""
    st = styles()
    head = Table(
        [[para(f"{item.number}.", st.cell_bold), _item_para(form, item, behaviour, st.body)]],
        colWidths=[NUM_W, width - NUM_W],
        hAlign="LEFT",
    )
    head.setStyle(table_style([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    indent = Table([["", answers]], colWidths=[NUM_W, width - NUM_W], hAlign="LEFT")
    indent.setStyle(
        table_style([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [head, indent, Spacer(1, 8)]


def _ladder(form: Form, scale: Scale, item: Item, behaviour: str | None, width: float) -> list[Flowable]:
    """One item on a long scale with worded steps (the ladder): a list of options, in display order."""
    st = styles()
    rows: list[list[Any]] = []
    for o in scale.display_options():
        rows.append([para(f"{BOX} {_num(o.value)}", st.cell), para(form.fill(o.label, behaviour), st.cell)])
    table = Table(rows, colWidths=[1.6 * cm, width - 2.4 * cm], hAlign="LEFT")
    table.setStyle(
        table_style(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE_GREY),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return _numbered(form, item, behaviour, table, width)


def _story(form: Form, behaviour: str | None, width: float, safety_text: str | None) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = [para(form.title, st.title)]
    if behaviour or any("{behaviour}" in i.text or "[the behaviour]" in i.text for i in form.items):
        story.append(para(f"About: {form.fill('{behaviour}', behaviour)}", st.h3))
    story.append(para(form.fill(form.client_instructions, behaviour), st.body))
    story.append(Spacer(1, 6))
    for scale, items in _runs(form):
        if len(scale.options) <= GRID_MAX_OPTIONS:
            story.append(_grid(form, scale, items, behaviour, width))
            story.append(Spacer(1, 8))
            continue
        middle_worded = any(o.label for o in scale.display_options()[1:-1])
        for item in items:
            if scale.orientation == "descending" or middle_worded:
                story.extend(_ladder(form, scale, item, behaviour, width))
            else:
                story.extend(_ruler(form, scale, item, behaviour, width))
    if any(item.flag is not None for item in form.items):
        # A flagged item (e.g. PHQ-9 item 9) may be answered at home, away from the clinician.
        story.append(Spacer(1, 4))
        story.append(para(safety_text or DEFAULT_SAFETY_TEXT, st.h3))
    story.append(Spacer(1, 10))
    lic = form.licence
    story.append(
        KeepTogether(
            [
                para("About this questionnaire", st.h3),
                para(lic.attribution, st.small),
                para(form.citation, st.small),
                para(f"{form.id} version {form.version}", st.small),
            ]
        )
    )
    if form.caveats():  # a footnote for the clinician who scores the paper form: the specific caveats
        notes = "<br/>".join(f"• {escape(c)}" for c in form.caveats())
        story.append(markup(f"<b>Not verified ({escape(form.citation_short)}):</b><br/>{notes}", st.small))
    return story


def render_blank_form(
    form: Form,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    behaviour: str | None = None,
    practice_name: str = "",
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    safety_text: str | None = None,
) -> Rendered:
    """Print ``form`` as a blank paper questionnaire.

    Args:
        form: the instrument (from ``stagewise.core.instruments.load_library().get(id)``).
        out: file name or binary file object.
        behaviour: the client's focus wording ("my drinking") for the placeholder; None prints the
            instrument's generic wording.
        practice_name: printed in the header (blank: the form's short title only).
        page_size: A4 or Letter.
        password: optional PDF password.
        safety_text: the practice's safety sentence, printed under forms with a flagged item (PHQ-9 item 9);
            None prints a default.
    """
    width = frame_width(page_size)
    decor = PageDecor(
        practice_name=practice_name or form.short_title,
        title=form.short_title,
        identifiers=IDENT_LINE,
        confidentiality=FORM_CONFIDENTIALITY,
        generated=f"{form.short_title} {form.version} · printed {dt.date.today().isoformat()}",
    )
    return render(
        _story(form, behaviour, width, safety_text),
        out,
        decor,
        page_size=page_size,
        password=password,
        subject=form.title,
    )


def write_blank_form(
    session: Session,
    form: Form,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    actor: str | None,
    behaviour: str | None = None,
    practice_name: str = "",
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    action: Output | str | None = Output.PRINT,
) -> Rendered:
    """Render a blank form and record ``action`` (view, print, export; None: the caller records it when
    it happens, see :mod:`stagewise.core.reports.output`) in the audit log (entity ``form``, id = form id)."""
    output = output_of(action)
    safety = session.get(Setting, "safety_text")
    rendered = render_blank_form(
        form,
        out,
        behaviour=behaviour,
        practice_name=practice_name,
        page_size=page_size,
        password=password,
        safety_text=str(safety.value) if safety is not None and safety.value else None,
    )
    event = ReportEvent(
        "form",
        form.id,
        {
            "report": "blank_form",
            "version": form.version,
            "pages": rendered.pages,
            "encrypted": rendered.encrypted,
        },
    )
    if output is not None:
        record_output(session, actor, output, event)
    return replace(rendered, event=event)
