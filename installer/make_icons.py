"""Generate the Windows and macOS icons from the app's PNG (run from the repository root).

    python installer/make_icons.py

Reads ``resources/icons/stagewise.png`` (or ``stagewise-256.png``) and writes ``stagewise.ico`` (16-256 px)
and ``stagewise.icns`` beside it.  Needs Pillow (a development dependency only; the app does not use it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def source() -> Path:
    for name in ("stagewise.png", "stagewise-256.png"):
        if (ICONS / name).is_file():
            return ICONS / name
    raise SystemExit("resources/icons/stagewise.png is missing")


def main() -> int:
    image = Image.open(source()).convert("RGBA")
    if image.width < 256:
        image = image.resize((256, 256), Image.Resampling.LANCZOS)
    ico_sizes = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
    image.save(ICONS / "stagewise.ico", format="ICO", sizes=ico_sizes)
    image.save(ICONS / "stagewise.icns", format="ICNS")
    print(f"wrote {ICONS / 'stagewise.ico'} and {ICONS / 'stagewise.icns'} from {source().name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
