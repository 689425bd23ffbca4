"""Practice-wide screens: the first-run wizard, settings, users, backup status."""
