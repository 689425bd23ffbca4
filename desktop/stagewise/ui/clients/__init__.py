"""Client screens: the client list, the client dialog, chart windows and their tabs."""
