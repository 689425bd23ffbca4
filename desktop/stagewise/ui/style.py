"""The app's look: Fusion style, a calm neutral palette with one accent colour, and ``app.qss``."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from stagewise.core.paths import shipped_dir

log = logging.getLogger(__name__)

ACCENT = "#2f6f73"  # deep teal: calm, readable on white, distinct from warning red
TEXT = "#1f2933"
WINDOW = "#f4f5f7"
BASE = "#ffffff"
ALT_BASE = "#f8f9fa"
MUTED = "#6b7580"


def resource(*parts: str) -> Path:
    return shipped_dir("resources").joinpath(*parts)


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("stagewise.svg", "stagewise-256.png", "stagewise-64.png"):
        path = resource("icons", name)
        if path.exists():
            icon.addFile(str(path))
    return icon


def palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: ALT_BASE,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: "#d4e6e7",
        QPalette.ColorRole.HighlightedText: TEXT,
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#8a939c",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.BrightText: "#b3261e",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#a0a7ae"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#a0a7ae"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#a0a7ae"))
    return p


def apply(app: QApplication) -> None:
    """Fusion + palette + 10.5 pt type + the style sheet (missing sheet: plain Fusion, logged)."""
    app.setStyle("Fusion")
    app.setPalette(palette())
    font = QFont(app.font())
    font.setPointSizeF(10.5)
    app.setFont(font)
    try:
        sheet = resource("styles", "app.qss").read_text(encoding="utf-8")
        app.setStyleSheet(sheet.replace("@ICONS@", resource("icons").as_posix()))
    except (OSError, FileNotFoundError):
        log.warning("style sheet not found; using the plain style")
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
