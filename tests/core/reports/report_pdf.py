"""Helpers for reading generated PDFs with poppler (pdftotext, pdfinfo, pdffonts, pdftoppm)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def pdf_pages(pdf: Path, *, password: str | None = None) -> list[str]:
    """The text of each page (pdftotext, reading order, no -layout)."""
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if password is not None:
        cmd += ["-upw", password]
    out = subprocess.run([*cmd, str(pdf), "-"], capture_output=True, check=True).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def flat(text: str) -> str:
    """Whitespace collapsed to single spaces (table cells wrap lines anywhere)."""
    return " ".join(text.split())


def pdf_info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout


def pdf_fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout


def render_pngs(pdf: Path, prefix: Path, *, first: int = 1, last: int | None = None) -> list[Path]:
    """Render pages to PNG at 60 dpi (for looking at them); returns the files written."""
    cmd = ["pdftoppm", "-png", "-r", "60", "-f", str(first)]
    if last is not None:
        cmd += ["-l", str(last)]
    subprocess.run([*cmd, str(pdf), str(prefix)], check=True, capture_output=True)
    return sorted(prefix.parent.glob(prefix.name + "*.png"))
