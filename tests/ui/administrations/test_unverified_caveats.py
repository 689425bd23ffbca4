"""#16.16: an instrument's specific unverified caveats on the picker and the clinician's questionnaire screen,
never in hand-over mode."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from stagewise.core.instruments import load_library
from stagewise.core.models import AdministrationMode
from stagewise.ui.administrations import picker
from stagewise.ui.administrations.clinician_form import ClinicianForm
from stagewise.ui.administrations.handover import HandoverWindow
from stagewise.ui.context import AppContext
from stagewise.ui.practice import admin_labels
from tests.ui.administrations.test_administer import client, ctx, make_tab, start
from tests.ui.conftest import shoot

__all__ = ["ctx"]  # the fixture, shared with test_administer


def all_label_text(window: QWidget) -> str:
    return "\n".join(label.text() for label in window.findChildren(QLabel))


def select(dialog: picker.StartDialog, form_id: str) -> None:
    ids = [f.id for f in dialog.data.forms]
    dialog.form_list.setCurrentRow(ids.index(form_id))


def test_picker_shows_the_selected_instruments_own_caveats(qtbot: QtBot, ctx: AppContext) -> None:
    me = client(ctx)
    dialog = picker.StartDialog(None, picker.load_choices(ctx, me.id), me.focuses[0].id)
    qtbot.addWidget(dialog)
    dialog.resize(1000, 700)
    dialog.show()
    library = load_library()

    select(dialog, "rcq-12")
    rcq = library.get("rcq-12")
    text = dialog.caveats.text()
    assert dialog.caveats.isVisible()
    assert text.startswith("⚠ Not verified for RCQ (Rollnick et al. 1992):")
    assert "Scoring rule not verified against the manual" in text  # scoring itself is unverified
    for caveat in rcq.unverified:
        assert f"• {caveat}" in text  # the file's specific words, not a generic line
    qtbot.wait(50)  # let the layout take the new text's height
    assert dialog.caveats.height() >= dialog.caveats.heightForWidth(dialog.caveats.width())
    shoot(dialog, "picker-caveats-rcq-1000x700")

    # Another instrument, another caveat: the panel follows the selection.
    select(dialog, "phq-9")
    text = dialog.caveats.text()
    assert "Kroenke et al. 2001" in text
    assert "CamCOPS and HL7 US Core" in text
    assert not any(c in text for c in rcq.unverified)
    assert "Scoring rule not verified" not in text

    # Every instrument: author–year only, never a file name or a section sign.
    for row, form in enumerate(dialog.data.forms):
        dialog.form_list.setCurrentRow(row)
        shown = dialog.caveats.text()
        assert shown.split("\n")[1:] == [f"• {c}" for c in form.caveats()]
        assert "§" not in shown
        assert ".md" not in shown
        assert "REFERENCE" not in shown
        assert ("not fully verified" in dialog.form_list.item(row).text()) == bool(form.caveats())


def test_no_caveats_no_lines() -> None:
    assert admin_labels.caveat_lines("X", "Someone 2000", ()) == []


def test_clinician_screen_shows_the_caveats_and_handover_never_does(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    urica = load_library().get("urica-32")
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    form.resize(1000, 700)
    form.show()
    assert form.caveats.isVisible()
    text = form.caveats.text()
    assert text.startswith("⚠ Not verified for URICA (McConnaughy et al. 1983):")
    assert "items 17–32" in text
    for caveat in urica.unverified:
        assert caveat in text
    shoot(form, "administer-clinician-caveats-1000x700")
    form.close()

    hand = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLIENT)
    assert isinstance(hand, HandoverWindow)
    hand.resize(1000, 700)
    words = all_label_text(hand)
    assert "Not verified" not in words
    assert not any(c in words for c in urica.unverified)
    hand.show_end()
    words = all_label_text(hand)
    assert "Not verified" not in words
    assert not any(c in words for c in urica.unverified)
    hand.save_and_close()
