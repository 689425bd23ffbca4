"""Register the shipped DejaVu Sans family with ReportLab, once per process.

The PDF standard fonts cover Latin-1 only; names such as "Zoë Łukasiewicz-Ødegård" need an embedded
Unicode font.  DejaVu Sans (Bitstream Vera licence, ``resources/fonts/LICENSE-DejaVu.txt``) is shipped in
``resources/fonts`` and embedded as a subset in every report.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from stagewise.core.errors import StorageError
from stagewise.core.paths import shipped_dir


@dataclass(frozen=True, slots=True)
class FontFamily:
    """ReportLab font names of one registered family."""

    regular: str
    bold: str
    italic: str
    bold_italic: str


FAMILY = FontFamily(
    regular="DejaVuSans",
    bold="DejaVuSans-Bold",
    italic="DejaVuSans-Oblique",
    bold_italic="DejaVuSans-BoldOblique",
)

_FILES = {
    FAMILY.regular: "DejaVuSans.ttf",
    FAMILY.bold: "DejaVuSans-Bold.ttf",
    FAMILY.italic: "DejaVuSans-Oblique.ttf",
    FAMILY.bold_italic: "DejaVuSans-BoldOblique.ttf",
}

_lock = threading.Lock()
_registered = False


def register_fonts() -> FontFamily:
    """Register DejaVu Sans (regular, bold, oblique, bold oblique) with ReportLab; idempotent.

    Returns:
        The registered font names (use ``FAMILY.regular`` as a paragraph ``fontName``; ``<b>``/``<i>``
        map to the other faces).

    Raises:
        StorageError: a font file is missing from this installation.
    """
    global _registered
    with _lock:
        if _registered:
            return FAMILY
        folder = shipped_dir("resources") / "fonts"
        for name, filename in _FILES.items():
            path = folder / filename
            if not path.is_file():
                raise StorageError(
                    f"The report font {filename} is missing from {folder}; reinstall Stagewise."
                )
            pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(
            FAMILY.regular,
            normal=FAMILY.regular,
            bold=FAMILY.bold,
            italic=FAMILY.italic,
            boldItalic=FAMILY.bold_italic,
        )
        _registered = True
        return FAMILY
