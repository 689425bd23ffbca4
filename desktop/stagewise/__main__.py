"""``python -m stagewise`` runs the command-line interface."""

from stagewise.cli import main

raise SystemExit(main())
