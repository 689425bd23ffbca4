"""The one place screens hear what changed: :class:`ChangeHub` (``ctx.changes``).

``ui/ops.py`` announces the :class:`~stagewise.core.changes.OpChanges` of every operation after its
transaction commits; windows and tabs connect to ``ctx.changes.changed`` and refresh what they show
when the changes concern them.  Nobody wires one screen to another by hand.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from stagewise.core.changes import OpChanges

log = logging.getLogger(__name__)


class ChangeHub(QObject):
    """Broadcasts committed changes: ``changed(OpChanges, source)`` (the acting widget, or None)."""

    changed = Signal(object, object)

    def announce(self, changes: OpChanges, source: object = None) -> None:
        if changes.empty:
            return
        log.debug("changes: %s", changes)
        self.changed.emit(changes, source)
