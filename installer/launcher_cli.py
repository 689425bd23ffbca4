"""Frozen-bundle entry point for the command line (PyInstaller)."""

import sys

from stagewise.cli import main

sys.exit(main())
