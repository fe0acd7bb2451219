"""Alembic environment: runs against the engine the store hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from cstui.store.schema import metadata

config = context.config
engine = config.attributes["engine"]

# Search tables (FTS5 and its helpers) are made by hand-written migrations, not the models:
# autogenerate must not propose to drop them.
SEARCH_TABLES = ("kb_fts", "kb_head", "kb_search")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, _compare: object
) -> bool:
    return not (
        type_ == "table" and reflected and name is not None and name.startswith(SEARCH_TABLES)
    )


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
