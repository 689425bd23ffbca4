"""The registry of note windows that practice-wide views (search, to-do) open themselves."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from stagewise.ui.context import AppContext
from stagewise.ui.notes.editor import NoteWindow


class NoteWindows(dict[int, QWidget]):
    """Note windows a practice-wide view (search, to-do) opens itself when it has no chart to open into.

    Keyed by note id; a window removes itself when closed.  The owner is passed per call, never stored,
    so the owner and this registry do not keep each other alive after Qt has deleted the owner.
    """

    def show_note(
        self,
        ctx: AppContext,
        note_id: int,
        owner: QWidget,
        on_open: Callable[[QWidget], None] | None = None,
    ) -> QWidget:
        """Show (creating if needed) the window for ``note_id`` and bring it to the front.

        ``on_open`` connects extra signals of a newly created window (e.g. refresh a list on changes).
        """
        window = self.get(note_id)
        if window is None:
            window = NoteWindow(ctx, note_id, parent=owner)
            window.closed.connect(lambda nid: self.pop(nid, None))
            if on_open is not None:
                on_open(window)
            self[note_id] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def save_all(self) -> None:
        """Save every open draft now (before a lock closes the database)."""
        for window in list(self.values()):
            window.save_now()  # type: ignore[attr-defined]

    def close_all(self) -> None:
        for window in list(self.values()):
            window.close()
        self.clear()
