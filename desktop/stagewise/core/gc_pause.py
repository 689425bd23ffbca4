"""Pausing the garbage collector while a read builds a very large list of small records.

Building ~100,000 small tuples triggers dozens of full collections in CPython 3.11, about a third of the
dashboard's read on the large demo practice (``docs/performance.md``).  None of those tuples can form a
reference cycle, so collecting can wait until the list is built.

The switch is process-wide, so it is counted: the first thread in pauses the collector (if it was on) and
the last one out turns it back on.  Nothing else in Stagewise touches the collector.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic garbage collection for the duration of the block (reentrant, thread-safe)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
