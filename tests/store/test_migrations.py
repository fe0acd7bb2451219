"""The schema: alembic's history matches what the store checks, and a fresh store is it."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from cstui.store import init_store
from cstui.store.migrations import HEAD_REVISION, KNOWN_REVISIONS, alembic_config
from cstui.store.schema import metadata


def test_known_revisions_follow_alembic_history(tmp_path: Path) -> None:
    store = init_store(str(tmp_path / "a.db"))
    script = ScriptDirectory.from_config(alembic_config(store.engine))  # type: ignore[arg-type]
    history = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(history) == KNOWN_REVISIONS and script.get_current_head() == HEAD_REVISION
    store.close()


def test_migrated_schema_equals_the_models(tmp_path: Path) -> None:
    """Every table, column and index of the models exists after `alembic upgrade`."""
    store = init_store(str(tmp_path / "b.db"))
    found = inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in found.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
        indexes = {i["name"] for i in found.get_indexes(table.name)}
        assert {i.name for i in table.indexes} <= indexes, table.name
    store.close()


def test_init_twice_is_harmless(tmp_path: Path) -> None:
    target = str(tmp_path / "c.db")
    init_store(target).close()
    init_store(target).close()


def test_autogenerate_finds_nothing_to_change(tmp_path: Path) -> None:
    """The migrations and the models agree: alembic would generate an empty revision."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from cstui.store.migrations import env_include_object

    store = init_store(str(tmp_path / "d.db"))
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": env_include_object, "render_as_batch": True}
        )
        assert compare_metadata(context, metadata) == []
    store.close()
