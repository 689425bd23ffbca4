"""The one UI runner for core operations (Anki's ``CollectionOp``, adapted).

``run_op(ctx, op, ...)`` runs ``op(session)`` in one transaction on the open practice
(``session_factory.begin()``: one user action = one transaction), then, after the commit:

* announces the operation's :class:`~stagewise.core.changes.OpChanges` on ``ctx.changes`` when it
  returned :class:`~stagewise.core.changes.Done`, or the ``changes`` the caller states for a core call
  that returns a plain value (a read states none and announces nothing);
* calls ``on_success`` with the value.

A :class:`~stagewise.core.errors.StagewiseError` is an expected outcome: its text (``error_text``, the
one mapping) goes to ``on_error`` when the caller shows errors in place, or else to one plain message
box (``ctx.messages``).  Nothing was stored.  Any other exception is a bug and propagates (the crash
dialog).  ``slow=True`` runs the transaction on the worker pool (``ui/workers.py``) and the callbacks
back on the UI thread; ``op`` must then not touch widgets.

``perform(ctx, op)`` is the same transaction and announcement for callers that want the error raised
(a dialog that keeps the typed text and says what to fix).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication

from stagewise.core.changes import Done, OpChanges
from stagewise.core.errors import StagewiseError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from sqlalchemy.orm import Session

    from stagewise.ui.context import AppContext
    from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)

_runner: OpRunner | None = None


def error_text(exc: StagewiseError) -> str:
    """What the user reads for an expected failure: the core's sentence, nothing technical."""
    text = str(exc).strip()
    return text or QCoreApplication.translate("ops", "That could not be done. Nothing was changed.")


def _unwrap(ctx: AppContext, result: Any, source: object, changes: OpChanges | None = None) -> Any:
    if isinstance(result, Done):
        ctx.changes.announce(result.changes if changes is None else result.changes | changes, source)
        return result.value
    if changes is not None:
        ctx.changes.announce(changes, source)
    return result


def _transaction(ctx: AppContext, op: Callable[[Session], Any]) -> Any:
    practice = ctx.practice
    if practice is None:
        raise StagewiseError(QCoreApplication.translate("ops", "The practice is locked. Sign in again."))
    with practice.session_factory.begin() as s:
        return op(s)


def perform(
    ctx: AppContext, op: Callable[[Session], Any], *, source: object = None, changes: OpChanges | None = None
) -> Any:
    """Run ``op`` in one transaction now; announce its changes; a ``StagewiseError`` is raised."""
    return _unwrap(ctx, _transaction(ctx, op), source, changes)


def _show(ctx: AppContext, exc: StagewiseError, title: str, parent: QWidget | None, on_error: Any) -> None:
    text = error_text(exc)
    if on_error is not None:
        on_error(text)
    elif ctx.messages is not None:
        ctx.messages.error(parent, title, text)
    else:
        from stagewise.ui.dialogs import Messages

        Messages(no_dialogs=ctx.no_dialogs).error(parent, title, text)


def pool_runner() -> OpRunner:
    """The worker pool slow operations run on (one for the app)."""
    global _runner
    if _runner is None:
        from stagewise.ui.workers import OpRunner

        _runner = OpRunner(QCoreApplication.instance())
    return _runner


def run_op(
    ctx: AppContext,
    op: Callable[[Session], Any],
    *,
    on_success: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    parent: QWidget | None = None,
    title: str = "",
    slow: bool = False,
    runner: OpRunner | None = None,
    changes: OpChanges | None = None,
) -> Any:
    """Run one user action; returns its value (None on an expected error, or when ``slow``)."""
    if ctx.practice is None:
        return None
    source = parent
    title = title or QCoreApplication.translate("ops", "Stagewise")
    if not slow:
        try:
            value = perform(ctx, op, source=source, changes=changes)
        except StagewiseError as exc:
            log.info("operation refused: %s", type(exc).__name__)
            _show(ctx, exc, title, parent, on_error)
            return None
        if on_success is not None:
            on_success(value)
        return value

    def done(result: Any) -> None:
        value = _unwrap(ctx, result, source, changes)
        if on_success is not None:
            on_success(value)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, StagewiseError):
            _show(ctx, exc, title, parent, on_error)
            return
        raise exc

    (runner or pool_runner()).run(lambda: _transaction(ctx, op), on_done=done, on_failed=failed, name="op")
    return None
