"""Page template shared by every report: header, identifiers, "Page x of y", confidentiality footer.

Every page carries the practice's name, the report's title, the identifiers of whom it is about (when
there is someone) and "Page N of M", so a single page separated from the rest is still attributable and
its place is known.  The total page count is drawn after layout by :class:`_NumberedCanvas`, which keeps
each finished page's drawing state and writes the footers when the document is saved (one layout pass).

Design (issue 7): A4 by default (Letter on request), 2 cm margins, DejaVu Sans 9.5 pt body, tables with
light rules, a colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design").
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle

from stagewise.core.errors import EncryptionUnavailableError
from stagewise.core.reports.fonts import FAMILY, register_fonts
from stagewise.core.reports.output import ReportEvent

# Okabe & Ito (2008) colour-universal-design palette: distinguishable with the common colour-vision
# deficiencies.  Charts also vary line style and marker shape, so no meaning rests on colour alone.
OKABE_ITO = {
    "black": colors.HexColor("#000000"),
    "orange": colors.HexColor("#E69F00"),
    "sky_blue": colors.HexColor("#56B4E9"),
    "bluish_green": colors.HexColor("#009E73"),
    "yellow": colors.HexColor("#F0E442"),
    "blue": colors.HexColor("#0072B2"),
    "vermillion": colors.HexColor("#D55E00"),
    "reddish_purple": colors.HexColor("#CC79A7"),
}
RULE_GREY = colors.HexColor("#9A9A9A")
LIGHT_FILL = colors.HexColor("#F0F0F0")
TEXT_GREY = colors.HexColor("#444444")

MARGIN = 2 * cm
HEADER_HEIGHT = 1.0 * cm  # below the top margin line: practice, title, identifiers
FOOTER_HEIGHT = 0.2 * cm

DEFAULT_CONFIDENTIALITY = (
    "Confidential health information. Share only with the person it describes or with their consent."
)


class PageSizeName(enum.StrEnum):
    """Paper sizes a practice may choose."""

    A4 = "a4"
    LETTER = "letter"

    @property
    def size(self) -> tuple[float, float]:
        """Width and height in points."""
        size: tuple[float, float] = A4 if self is PageSizeName.A4 else LETTER
        return size


@dataclass(frozen=True, slots=True)
class Styles:
    """Paragraph styles of every report (DejaVu Sans throughout)."""

    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    mono_small: ParagraphStyle


@functools.cache
def styles() -> Styles:
    """The report paragraph styles (fonts are registered on first use)."""
    fam = register_fonts()
    base = ParagraphStyle(
        "body", fontName=fam.regular, fontSize=9.5, leading=12.5, alignment=TA_LEFT, spaceAfter=4
    )
    return Styles(
        title=ParagraphStyle("title", parent=base, fontName=fam.bold, fontSize=16, leading=20, spaceAfter=6),
        h1=ParagraphStyle(
            "h1", parent=base, fontName=fam.bold, fontSize=13, leading=16, spaceBefore=10, spaceAfter=5
        ),
        h2=ParagraphStyle(
            "h2", parent=base, fontName=fam.bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        h3=ParagraphStyle(
            "h3", parent=base, fontName=fam.bold, fontSize=9.5, leading=12.5, spaceBefore=6, spaceAfter=2
        ),
        body=base,
        small=ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=TEXT_GREY),
        cell=ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0),
        cell_bold=ParagraphStyle("cell_bold", parent=base, fontName=fam.bold, fontSize=8.5, leading=10.5),
        mono_small=ParagraphStyle(
            "mono_small", parent=base, fontSize=7, leading=8.5, textColor=TEXT_GREY, spaceAfter=0
        ),
    )


def para(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of plain text (escaped: names and note text are never parsed as markup)."""
    return Paragraph(escape(text), style or styles().body)


def markup(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of trusted markup (``<b>`` etc.); interpolate only escaped values into ``text``."""
    return Paragraph(text, style or styles().body)


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A table style whose cells use DejaVu Sans (ReportLab's cell default is unembedded Helvetica,
    which it selects for every cell, even one holding a paragraph)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FAMILY.regular), *commands])


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    col_widths: Sequence[float],
    *,
    align_right: Sequence[int] = (),
) -> Table:
    """A table with a bold header row repeated on every page and light horizontal rules.

    Args:
        header: column headings.
        rows: cell values; strings are escaped and wrapped in paragraphs.
        col_widths: widths in points (should add up to the frame width).
        align_right: column indexes holding numbers.
    """
    st = styles()
    right = ParagraphStyle("cell_right", parent=st.cell, alignment=2)
    right_bold = ParagraphStyle("cell_bold_right", parent=st.cell_bold, alignment=2)
    body: list[list[Any]] = [
        [para(h, right_bold if i in align_right else st.cell_bold) for i, h in enumerate(header)]
    ]
    for row in rows:
        body.append(
            [
                para(c, right if i in align_right else st.cell) if isinstance(c, str) else c
                for i, c in enumerate(row)
            ]
        )
    table = Table(body, colWidths=list(col_widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), LIGHT_FILL),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE_GREY),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE_GREY),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


@dataclass(frozen=True, slots=True)
class PageDecor:
    """What every page of one report shows around the body.

    Attributes:
        practice_name: top left.
        title: top right (the report's name).
        identifiers: second header line, e.g. "Zoë Ł… · Chart 1234 · born 1984-03-02" (None on a practice
            report or a blank form, whose header still names the practice).
        confidentiality: footer sentence.
        generated: footer text saying when the report was made.
    """

    practice_name: str
    title: str
    identifiers: str | None
    confidentiality: str = DEFAULT_CONFIDENTIALITY
    generated: str = ""


def fmt_date(day: dt.date | dt.datetime) -> str:
    """``2 Mar 2024`` (unambiguous in every English locale)."""
    return f"{day.day} {day:%b %Y}"


def made_line(when: dt.datetime | None = None) -> str:
    """The footer's "when it was made", in the computer's local time zone (files and the CLI keep ISO
    8601 in UTC; a person reading a page reads the clock on their wall)."""
    local = (when or dt.datetime.now(dt.UTC)).astimezone()
    zone = local.tzname() or local.strftime("UTC%z")
    return f"Made with Stagewise on {fmt_date(local)} at {local:%H:%M} {zone}"


def frame_width(page_size: PageSizeName) -> float:
    """Usable body width in points for ``page_size``."""
    return float(page_size.size[0] - 2 * MARGIN)


def _fit(canv: Canvas, text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` (a header must never overrun the page)."""
    if canv.stringWidth(text, font, size) <= width:
        return text
    while text and canv.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_header(canv: Canvas, decor: PageDecor, page_w: float, page_h: float) -> None:
    fam = FAMILY
    top = page_h - MARGIN + HEADER_HEIGHT + 0.05 * cm
    half = (page_w - 2 * MARGIN) / 2
    canv.saveState()
    canv.setFillColor(colors.black)
    canv.setFont(fam.bold, 9)
    canv.drawString(MARGIN, top, _fit(canv, decor.practice_name, fam.bold, 9, half - 6))
    canv.setFont(fam.regular, 9)
    canv.drawRightString(page_w - MARGIN, top, _fit(canv, decor.title, fam.regular, 9, half - 6))
    if decor.identifiers:
        canv.setFont(fam.bold, 9)
        ident = _fit(canv, decor.identifiers, fam.bold, 9, page_w - 2 * MARGIN)
        canv.drawString(MARGIN, top - 12, ident)
    canv.setStrokeColor(RULE_GREY)
    canv.setLineWidth(0.5)
    canv.line(MARGIN, top - 17, page_w - MARGIN, top - 17)
    canv.restoreState()


def _draw_footer(canv: Canvas, decor: PageDecor, page: int, pages: int, page_w: float) -> None:
    fam = FAMILY
    y = MARGIN - 0.9 * cm
    canv.saveState()
    canv.setStrokeColor(RULE_GREY)
    canv.setLineWidth(0.5)
    canv.line(MARGIN, y + 11, page_w - MARGIN, y + 11)
    canv.setFillColor(TEXT_GREY)
    page_text = f"Page {page} of {pages}"
    canv.setFont(fam.bold, 8)
    canv.drawRightString(page_w - MARGIN, y, page_text)
    room = page_w - 2 * MARGIN - canv.stringWidth(page_text, fam.bold, 8) - 12
    canv.setFont(fam.regular, 7)
    canv.drawString(MARGIN, y, _fit(canv, decor.confidentiality, fam.regular, 7, room))
    if decor.generated:
        canv.drawString(MARGIN, y - 9, _fit(canv, decor.generated, fam.regular, 7, room))
    canv.restoreState()


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """A canvas that defers each page's footer until the total number of pages is known."""

    decor: PageDecor
    result: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        width = self._pagesize[0]
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            _draw_footer(self, self.decor, number, total, width)
            super().showPage()
        self.result["pages"] = total
        super().save()


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a report render produced; ``event`` is the audit event a ``write_*`` function records
    (or leaves to the caller, see :mod:`stagewise.core.reports.output`)."""

    pages: int
    encrypted: bool
    event: ReportEvent | None = None


def _encrypt(pdf: bytes, password: str) -> bytes:
    """``pdf`` encrypted with AES-256 (standard security handler /V 5 /R 6, crypt filter /AESV3).

    ReportLab's own encryption offers 128-bit RC4 or the deprecated AES revision 5 (which poppler
    refuses), so the finished PDF is encrypted by pypdf instead; no weaker cipher is ever used.  The
    password is both the user and the owner password (as before); printing and copying are allowed,
    changing the document is not.

    Raises:
        EncryptionUnavailableError: pypdf or its AES back end (``cryptography``) is missing.
    """
    try:
        from pypdf import PdfWriter
        from pypdf.constants import UserAccessPermissions as Perm
    except ImportError as exc:
        raise EncryptionUnavailableError(_NO_AES) from exc
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    try:
        writer.encrypt(
            user_password=password,
            owner_password=password,
            algorithm="AES-256",
            permissions_flag=Perm.PRINT
            | Perm.PRINT_TO_REPRESENTATION
            | Perm.EXTRACT
            | Perm.EXTRACT_TEXT_AND_GRAPHICS,
        )
    except (ImportError, NotImplementedError) as exc:  # pypdf without an AES back end
        raise EncryptionUnavailableError(_NO_AES) from exc
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_NO_AES = (
    "The PDF cannot be password-protected: AES-256 encryption needs the 'pypdf' and 'cryptography' "
    "packages. Reinstall Stagewise, or make the PDF without a password."
)


def render(
    story: list[Flowable],
    out: str | os.PathLike[str] | IO[bytes],
    decor: PageDecor,
    *,
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    subject: str = "",
) -> Rendered:
    """Lay out ``story`` on decorated pages and write the PDF.

    Args:
        story: the body flowables.
        out: a file name or a binary file object.
        decor: header and footer content.
        page_size: A4 or Letter.
        password: if given, the PDF opens only with it (AES-256; raises
            :class:`EncryptionUnavailableError` rather than fall back to a weaker cipher).
        subject: the PDF's subject metadata (never a client name: metadata is easy to overlook).

    Returns:
        The number of pages written.
    """
    register_fonts()
    # Encrypted: lay out in memory, encrypt the finished file, then write it out.
    plain = io.BytesIO() if password else None
    target: Any = plain if plain is not None else (os.fspath(out) if isinstance(out, os.PathLike) else out)
    width, height = page_size.size
    doc = BaseDocTemplate(
        target,
        pagesize=(width, height),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=decor.title,
        author=decor.practice_name,
        subject=subject,
        creator="Stagewise",
        invariant=1,
        initialFontName=FAMILY.regular,
    )
    frame = Frame(
        MARGIN,
        MARGIN,
        width - 2 * MARGIN,
        height - 2 * MARGIN,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )

    def on_page(canv: Canvas, _doc: BaseDocTemplate) -> None:
        _draw_header(canv, decor, width, height)

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
    result: dict[str, int] = {}
    maker = type("NumberedCanvas", (_NumberedCanvas,), {"decor": decor, "result": result})
    doc.build(story, canvasmaker=maker)
    if plain is not None and password:
        data = _encrypt(plain.getvalue(), password)
        if isinstance(out, str | os.PathLike):
            with open(out, "wb") as fh:
                fh.write(data)
        else:
            out.write(data)
    return Rendered(pages=result.get("pages", 0), encrypted=bool(password))
