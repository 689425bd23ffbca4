"""Style additions for the questionnaire screens (the palette and accent of ``resources/styles/app.qss``)."""

from __future__ import annotations

SHEET = """
#formHeader, #formFooter { background: #ffffff; }
#formHeader { border-bottom: 1px solid #e1e4e8; }
#formFooter { border-top: 1px solid #e1e4e8; }
#formTitle { font-size: 18px; font-weight: 600; color: #1f2933; }
#instructions { color: #3d4852; }
#completeness { font-weight: 600; color: #2f6f73; }
#itemList { background: #f4f5f7; }
#itemRow {
    background: #ffffff; border: 1px solid #e6e9ec; border-left: 4px solid #e6e9ec; border-radius: 6px;
}
#itemRow[state="answered"] { border-left-color: #9fc5c7; }
#itemRow[state="unanswered"] { background: #fff8e6; border-left-color: #d9a21b; }
#itemRow:focus { border: 1px solid #2f6f73; border-left: 4px solid #2f6f73; background: #f3f8f8; }
#itemNumber { color: #6b7580; font-weight: 600; }
QPushButton#option { min-width: 34px; padding: 4px 9px; color: #3d4852; }
QPushButton#option:checked { background: #2f6f73; color: #ffffff; border-color: #285f62; }
#riskBanner { color: #8c1d18; background: #fdecea; border: 1px solid #f5c6c2; border-radius: 5px;
              padding: 8px 10px; font-weight: 600; }
#safetyText { background: #ffffff; border: 1px solid #e1e4e8; border-radius: 5px; padding: 10px; }
#notice {
    color: #7a4b00; background: #fff4d6; border: 1px solid #f0d48a; border-radius: 5px; padding: 7px 10px;
}
#disagree { color: #7a4b00; background: #fff4d6; border-radius: 9px; padding: 2px 10px; font-weight: 600; }
#sectionTitle { font-size: 14px; font-weight: 600; color: #1f2933; }
#stageLine { font-size: 16px; font-weight: 600; color: #1f2933; }
"""

# Hand-over mode: large type, neutral, nothing but the question.
HANDOVER_SHEET = """
#handover { background: #f7f8f9; }
#handoverCard { background: #ffffff; border: 1px solid #e1e4e8; border-radius: 14px; }
#handoverTitle { font-size: 26px; font-weight: 600; color: #1f2933; }
#handoverText { font-size: 26px; color: #1f2933; }
#handoverSmall { font-size: 18px; color: #4a5560; }
#handoverCount { font-size: 17px; color: #6b7580; }
#handoverMessage { font-size: 17px; color: #7a4b00; }
QPushButton#bigOption {
    font-size: 21px; text-align: left; padding: 14px 22px; border-radius: 10px; border: 1px solid #c9ced4;
    background: #ffffff; color: #1f2933;
}
QPushButton#bigOption:hover { background: #eef5f5; border-color: #9fb4b6; }
QPushButton#bigOption:checked { background: #2f6f73; color: #ffffff; border-color: #285f62; }
QPushButton#navButton { font-size: 18px; padding: 10px 26px; border-radius: 8px; min-width: 120px; }
QPushButton#quietButton {
    font-size: 13px; color: #8a939c; border: none; background: transparent; min-width: 0;
}
QPushButton#quietButton:hover { color: #4a5560; }
QProgressBar { border: none; background: #e4e8eb; border-radius: 4px; height: 8px; }
QProgressBar::chunk { background: #2f6f73; border-radius: 4px; }
"""
