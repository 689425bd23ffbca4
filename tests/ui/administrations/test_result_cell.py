"""The one-line result in the assessments list: score with band, ruler and ladder values, stage."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from stagewise.core.instruments.loader import load_library
from stagewise.core.instruments.scoring import score
from stagewise.ui.practice.admin_labels import result_cell


def cell(form_id: str, answers: dict[str, int]) -> str:
    form = load_library().get(form_id)
    return result_cell(form, score(form, answers))


def test_a_banded_total_shows_its_value_and_band(qapp: QApplication) -> None:
    phq = {str(i): 1 for i in range(1, 10)} | {"10": 0}  # total 9: mild (5–9)
    assert cell("phq-9", phq) == "9 · mild"
    gad = {str(i): 2 for i in range(1, 8)}  # total 14: moderate (10–14)
    assert cell("gad-7", gad) == "14 · moderate"


def test_rulers_and_the_ladder_show_their_values(qapp: QApplication) -> None:
    assert cell("readiness-ruler", {"1": 8, "2": 6, "3": 7}) == ("Importance 8 · Confidence 6 · Readiness 7")
    assert cell("contemplation-ladder", {"1": 7}) == "7 of 10"


def test_an_instrument_no_longer_shipped_shows_only_its_stage(qapp: QApplication) -> None:
    form = load_library().get("phq-9")
    result = score(form, {str(i): 0 for i in range(1, 11)})
    assert result_cell(None, result) == ""
