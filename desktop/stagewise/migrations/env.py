"""Alembic environment: always run on the connection Stagewise hands over (never from a URL)."""

from alembic import context

from stagewise.core.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Stagewise migrations run only through stagewise.core.storage.migrate")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
context.run_migrations()
