"""The licence catalogue lists every instrument with its licence and marks what is unverified."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from stagewise.core.instruments import load_library
from stagewise.ui.instruments.licences import LicenceWindow
from tests.ui.conftest import MakeWindow, PracticeFile, shoot


def test_every_instrument_with_licence_and_unverified_notes(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file)  # locked: the catalogue needs no sign-in
    assert window.licences_action.isEnabled()
    window.licences_action.trigger()
    catalogue = window.tool_windows["licences"]
    assert isinstance(catalogue, LicenceWindow)
    library = load_library()
    titles = [catalogue.table.item(r, 0).text() for r in range(catalogue.table.rowCount())]
    assert len(titles) == len(library.forms)
    assert all(any(f.short_title in t for t in titles) for f in library.forms)
    catalogue.select("urica-32")
    row = catalogue.table.currentRow()
    assert catalogue.table.item(row, 1).text() == "Public domain"
    assert catalogue.table.item(row, 3).text() == "⚠ unverified"
    text = catalogue.details.toPlainText()
    assert "HABITS Lab" in text  # the attribution
    assert "habits_lab_cutoffs" in text  # the unverified note about the optional stage rule
    catalogue.resize(1366, 768)
    shoot(catalogue, "licence-catalogue")
