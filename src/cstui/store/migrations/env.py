"""Alembic environment: runs against the engine the store hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from cstui.store.migrations import env_include_object as include_object
from cstui.store.schema import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
