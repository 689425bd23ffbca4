"""Draft autosave: publish the newest text, write it in one short transaction, never out of order.

The editor publishes a snapshot of its fields, then asks for a save either in the background
(``save_async``: after a pause in typing or on a focus change, so typing never waits on the database) or
right now (``save_sync``: on lock, close, signing).  Every write holds one lock and writes the *newest*
published snapshot at that moment, so an older snapshot can never overwrite a newer one, whichever path
runs first; unchanged text writes nothing.  Writes are ``notes.save_draft`` (p99 ≈ 13 ms, docs/notes.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from stagewise.core.errors import ConflictError, StagewiseError
from stagewise.core.notes import drafts as notes
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


class DraftSaver(QObject):
    """Saves one draft.  ``saved(DraftSaved)`` after a write; ``failed(str)`` with a sentence for the user."""

    saved = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        session_factory: Callable[[], Any],
        note_id: int,
        stored: Mapping[str, str],
        *,
        runner: OpRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session_factory = session_factory  # the open practice's factory, or None once it is locked
        self.note_id = note_id
        self.runner = runner or OpRunner(self)
        self._lock = threading.Lock()
        self._stored: dict[str, str] = dict(stored)
        self._latest: dict[str, str] = dict(stored)
        self._in_flight = False
        self._again = False
        self._stopped = False

    # -- state --------------------------------------------------------------------------------------

    def publish(self, fields: Mapping[str, str]) -> None:
        """The editor's newest text (called on the UI thread; one reference swap, so always whole)."""
        self._latest = dict(fields)

    @property
    def dirty(self) -> bool:
        return self._latest != self._stored

    @property
    def stored(self) -> dict[str, str]:
        """What the database holds, as far as this saver knows."""
        return dict(self._stored)

    @property
    def busy(self) -> bool:
        return self._in_flight

    def reset(self, stored: Mapping[str, str]) -> None:
        """The database holds ``stored`` now (written by another call, e.g. a session summary)."""
        with self._lock:
            self._stored = dict(stored)
            self._latest = dict(stored)

    def stop(self) -> None:
        """No more writes (the note was signed or discarded, or the database is about to close)."""
        self._stopped = True

    # -- saving -------------------------------------------------------------------------------------

    def _write(self) -> Any:
        with self._lock:
            fields = self._latest
            if self._stopped or fields == self._stored:
                return None
            factory = self.session_factory()
            if factory is None:
                raise ConflictError("the practice is locked.")
            with factory.begin() as s:
                result = notes.save_draft(s, self.note_id, fields)
            self._stored = fields
            return result

    def save_async(self) -> None:
        """Write the newest text on a worker thread (one write at a time; a later request follows it)."""
        if self._stopped or not self.dirty:
            return
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True
        self.runner.run(self._write, on_done=self._done, on_failed=self._failed, name="autosave")

    def save_sync(self) -> bool:
        """Write the newest text now, on this thread (waits for a background write first).  True: stored."""
        if self._stopped:
            return not self.dirty
        try:
            result = self._write()
        except StagewiseError as exc:
            self._report(exc)
            return False
        except Exception as exc:  # the database went away: say so, keep the text in the editor
            self._report(exc)
            return False
        if result is not None:
            self.saved.emit(result)
        return True

    def _done(self, result: Any) -> None:
        self._in_flight = False
        if result is not None:
            self.saved.emit(result)
        if self._again:
            self._again = False
            self.save_async()

    def _failed(self, exc: BaseException) -> None:
        self._in_flight = False
        self._again = False
        self._report(exc)

    def _report(self, exc: BaseException) -> None:
        log.warning("draft %s not saved: %s", self.note_id, type(exc).__name__)
        if isinstance(exc, StagewiseError):
            self.failed.emit(str(exc))
        else:
            self.failed.emit(self.tr("the practice file could not be written."))
