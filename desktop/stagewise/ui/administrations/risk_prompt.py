"""The clinician's risk prompt: the practice's safety text, and the acknowledgement (who, when, action).

Shown the moment a flagged answer is saved (PHQ-9 item 9 > 0).  Never shown to a client: hand-over mode
first shows a neutral "please hand the screen to your clinician" page.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from stagewise.core.administrations import risk
from stagewise.core.errors import StagewiseError
from stagewise.ui.administrations.common import user_id
from stagewise.ui.administrations.prompts import TextDialog
from stagewise.ui.context import AppContext
from stagewise.ui.ops import perform
from stagewise.ui.practice import admin_labels


class RiskPromptDialog(TextDialog):
    """Safety text, then "What did you do?" (required to acknowledge; Later leaves it open)."""

    def __init__(self, parent: QWidget | None, prompt: risk.RiskPrompt) -> None:
        super().__init__(
            parent,
            "Safety check needed",
            "Record the action taken (who and when are recorded for you):",
            ok_text="Acknowledge",
        )
        self.setObjectName("riskPrompt")
        self.setMinimumWidth(560)
        cancel = self.buttons.button(self.buttons.StandardButton.Cancel)
        if cancel is not None:
            cancel.setText("Later (stays open in the chart)")
        banner = QLabel(admin_labels.risk_flag(prompt.flag))
        banner.setObjectName("riskBanner")
        banner.setWordWrap(True)
        message = QLabel(prompt.message)
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        safety = QLabel(prompt.safety_text)
        safety.setObjectName("safetyText")
        safety.setWordWrap(True)
        safety.setTextFormat(Qt.TextFormat.PlainText)
        safety.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        for i, widget in enumerate((banner, message, safety)):
            layout.insertWidget(i, widget)
        self.edit.setFocus()

    @classmethod
    def ask(cls, parent: QWidget | None, prompt: risk.RiskPrompt) -> str | None:
        """The action taken, or None (the clinician will acknowledge later, from the chart)."""
        dialog = cls(parent, prompt)
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        return dialog.value().strip() if dialog.exec() == QDialog.DialogCode.Accepted else None


class AddressDialog:
    @classmethod
    def ask(cls, parent: QWidget | None) -> str | None:
        """A note (may be empty) to close an alert, or None (cancelled)."""
        dialog = TextDialog(
            parent,
            "Mark risk alert addressed",
            "The alert will no longer show as open (it stays in the record). Note (optional):",
            ok_text="Mark addressed",
            required=False,
        )
        return dialog.value().strip() if dialog.exec() == QDialog.DialogCode.Accepted else None


def acknowledge(ctx: AppContext, alert_id: int, action: str) -> str | None:
    """Record an acknowledgement in its own transaction; a sentence when it could not be recorded."""
    uid = user_id(ctx)
    if uid is None:
        return "Sign in again to acknowledge this alert."
    try:
        perform(
            ctx, lambda s: risk.acknowledge(s, alert_id, user_id=uid, action_taken=action, actor=ctx.actor)
        )
    except StagewiseError as exc:
        return str(exc)
    return None


def prompt_clinician(
    parent: QWidget | None, ctx: AppContext, prompts: Sequence[risk.RiskPrompt]
) -> list[int]:
    """Show each prompt and record the acknowledgements given; returns the alert ids acknowledged."""
    done: list[int] = []
    for prompt in prompts:
        action = RiskPromptDialog.ask(parent, prompt)
        # Not acknowledged (Later, or it could not be recorded): the alert stays open in the chart.
        if action is not None and acknowledge(ctx, prompt.alert_id, action) is None:
            done.append(prompt.alert_id)
    return done
