"""Alembic migrations for the practice file."""
