"""The Qt binding itself: a release that loses references on a hot path would crash a long session."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication


def test_processing_events_keeps_every_reference_to_none(qapp: QApplication) -> None:
    # PySide6 6.12.0 dropped one reference to None per processEvents() call: after ~100,000 calls (a day
    # of waiting loops, or the GUI test suite) the interpreter aborted with "deallocating None".
    before = sys.getrefcount(None)
    for _ in range(2_000):
        qapp.processEvents()
    assert sys.getrefcount(None) >= before - 50  # other objects may come and go; 2,000 lost is the bug
