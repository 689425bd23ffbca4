"""Pieces shared by the questionnaire screens: number-key entry and how values read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from stagewise.ui.context import AppContext

Number = int | float

# Long enough to type "1" then "0" on a 0–10 scale, short enough not to feel like a wait.
MULTI_KEY_MS = 900


def _tr(text: str) -> str:
    return QCoreApplication.translate("administer", text)


def user_id(ctx: AppContext) -> int | None:
    return ctx.user.id if ctx.user is not None else None


def value_text(value: Number) -> str:
    return f"{value:g}"


def describe_values(values: Sequence[Number]) -> str:
    """``1 to 5`` for a run of whole numbers, else ``0, 2 or 4``."""
    ordered = sorted(values)
    if len(ordered) > 2 and ordered == list(range(int(ordered[0]), int(ordered[-1]) + 1)):
        return _tr("%1 to %2").replace("%1", value_text(ordered[0])).replace("%2", value_text(ordered[-1]))
    words = [value_text(v) for v in ordered]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " " + _tr("or") + " " + words[-1]


def key_hint(values: Sequence[Number]) -> str:
    """What the number keys do for this scale, e.g. ``type 0–10 (for 10: 1 then 0)``."""
    texts = [value_text(v) for v in values]
    extra = ""
    if any(len(t) > 1 and t.lstrip("-") != t for t in texts):
        extra = _tr(" (a minus value: − then the number)")
    multi = [t for t in texts if len(t.lstrip("-")) > 1]
    if multi:
        extra += (
            _tr(" (for %1: type %2 then %3 quickly)")
            .replace("%1", multi[0])
            .replace("%2", multi[0][:-1])
            .replace("%3", multi[0][-1])
        )
    return _tr("type %1").replace("%1", describe_values(values)) + extra


class KeyBuffer(QObject):
    """Turns number key presses into a printed response value.

    A value is taken as soon as no other value starts with what was typed ("4" on a 1–5 scale); "1" on
    a 0–10 scale waits ``MULTI_KEY_MS`` for a "0" (or until ``flush``: Enter, Tab, leaving the item).
    Anything that cannot become a value is rejected with a sentence, and nothing is stored.
    """

    committed = Signal(object)  # the value
    rejected = Signal(str)  # what was typed
    pending_changed = Signal(str)  # what is typed so far ("" when nothing is waiting)

    def __init__(self, parent: QObject | None = None, *, delay_ms: int = MULTI_KEY_MS) -> None:
        super().__init__(parent)
        self._values: dict[str, Number] = {}
        self._typed = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)

    def set_values(self, values: Sequence[Number]) -> None:
        self.clear()
        self._values = {value_text(v): v for v in values}

    @property
    def pending(self) -> str:
        return self._typed

    @staticmethod
    def accepts(text: str) -> bool:
        return len(text) == 1 and (text.isdigit() or text in "-−")

    def feed(self, char: str) -> None:
        char = "-" if char == "−" else char
        typed = self._typed + char
        starts = [t for t in self._values if t.startswith(typed)]
        if typed in self._values and len(starts) == 1:
            self._take(typed)
        elif starts:
            self._typed = typed
            self._timer.start()
            self.pending_changed.emit(typed)
        elif self._typed and self._typed in self._values:
            # "1" then "5" on a 0–10 scale: the 1 stands, and the 5 starts again.
            self._take(self._typed)
            self.feed(char)
        else:
            self.clear()
            self.rejected.emit(typed)

    def flush(self) -> None:
        """Take what is waiting, if it is a value (Enter, Tab, moving away, or the pause)."""
        typed = self._typed
        if not typed:
            return
        if typed in self._values:
            self._take(typed)
        else:
            self.clear()
            self.rejected.emit(typed)

    def clear(self) -> None:
        self._timer.stop()
        if self._typed:
            self._typed = ""
            self.pending_changed.emit("")

    def _take(self, typed: str) -> None:
        self._timer.stop()
        self._typed = ""
        self.pending_changed.emit("")
        self.committed.emit(self._values[typed])


def rejected_message(typed: str, item_number: int, values: Sequence[Number]) -> str:
    return (
        _tr("%1 is not an answer to item %2: %3. Nothing was saved.")
        .replace("%1", typed.replace("-", "−"))
        .replace("%2", str(item_number))
        .replace("%3", _tr("use") + " " + describe_values(values))
    )


def repolish(widget: QWidget, name: str, value: Any) -> None:
    """Set a style property and make the style sheet notice."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def run_safely(parent: QWidget, fn: Callable[[], Any], on_error: Callable[[str], None]) -> Any | None:
    """Run a core call; a StagewiseError becomes a sentence for ``on_error``."""
    from stagewise.core.errors import StagewiseError

    try:
        return fn()
    except StagewiseError as exc:
        on_error(str(exc))
        return None


ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter
