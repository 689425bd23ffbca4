"""Frozen-bundle entry point for the desktop app (PyInstaller)."""

import sys

from stagewise.ui.app import main

sys.exit(main())
