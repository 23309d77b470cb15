"""Alembic environment: runs on the connection handed over by livret.storage.migrate."""

from __future__ import annotations

from alembic import context

from livret.storage.migrate import VERSION_TABLE
from livret.storage.models import Base

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: Alembic rebuilds the table (batch mode).
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    version_table=VERSION_TABLE,
)

with context.begin_transaction():
    context.run_migrations()
