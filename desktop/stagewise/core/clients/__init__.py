"""Clients and their focuses: the registry, field rules, the client list and the first screen."""
