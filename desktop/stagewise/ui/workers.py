"""Run core calls off the UI thread and hand the result back on it (the Anki "op" pattern).

``run_op(parent, fn, on_done=..., on_failed=...)`` runs ``fn()`` on a ``QThreadPool`` worker.  ``fn`` must
not touch widgets; it receives nothing and returns a plain value.  The callbacks run on the UI thread.
A ``StagewiseError`` is an expected outcome (its text is for the user); anything else is logged and
passed on as well, so the caller can show the crash dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class Op(QRunnable):
    """One background call; ``signals.done(result)`` or ``signals.failed(exception)`` when it ends."""

    def __init__(self, fn: Callable[[], Any], name: str = "op") -> None:
        super().__init__()
        self.fn = fn
        self.name = name
        self.signals = _Signals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # hand every failure to the UI thread; never lose it in the pool
            log.debug("op %s failed: %s", self.name, type(exc).__name__)
            self.signals.failed.emit(exc)
            return
        self.signals.done.emit(result)


class _Receiver(QObject):
    """Lives on the UI thread, so the worker's signals reach it queued, on the UI thread."""

    def __init__(self, runner: OpRunner, op: Op, on_done: Any, on_failed: Any) -> None:
        super().__init__(runner)
        self.runner = runner
        self.op = op
        self.on_done = on_done
        self.on_failed = on_failed

    @Slot(object)
    def done(self, result: Any) -> None:
        self._finish()
        if self.on_done is not None:
            self.on_done(result)

    @Slot(object)
    def failed(self, exc: BaseException) -> None:
        self._finish()
        if self.on_failed is not None:
            self.on_failed(exc)
        else:
            log.error("op %s failed", self.op.name, exc_info=exc)

    def _finish(self) -> None:
        self.runner._running.discard(self)
        self.deleteLater()


class OpRunner(QObject):
    """Keeps running ops alive until they report back, and runs them on one pool."""

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._running: set[_Receiver] = set()

    def run(
        self,
        fn: Callable[[], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        name: str = "op",
    ) -> Op:
        op = Op(fn, name)
        receiver = _Receiver(self, op, on_done, on_failed)
        self._running.add(receiver)
        op.signals.done.connect(receiver.done)
        op.signals.failed.connect(receiver.failed)
        self.pool.start(op)
        return op

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every op started on the pool has finished (shutdown and tests only)."""
        return self.pool.waitForDone(msecs)
