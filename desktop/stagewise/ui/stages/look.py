"""Style-sheet pieces the stage screens share (on top of the app's ``app.qss``)."""

from __future__ import annotations

from stagewise.ui import style


def date_edit_sheet() -> str:
    """A date field's calendar button drawn like the combo boxes' (``app.qss`` styles only the frame)."""
    icon = style.resource("icons", "chevron-down.svg").as_posix()
    return (
        "QDateEdit { padding-right: 24px; }"
        "QDateEdit::drop-down { subcontrol-origin: padding; subcontrol-position: center right; width: 22px;"
        " border: none; }"
        f'QDateEdit::down-arrow {{ image: url("{icon}"); width: 12px; height: 12px; }}'
    )
