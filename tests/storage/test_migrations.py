"""The migrations are the schema: they must build exactly what the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from storage.migrate import current_revision, head_revision, upgrade
from storage.models import metadata


def test_migrated_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    before = sorted(inspect(engine).get_table_names())
    upgrade(engine)
    assert sorted(inspect(engine).get_table_names()) == before
    assert {"person", "team", "expectation", "message", "broadcast", "delivery"} <= set(before)


def test_upgrading_a_database_with_data_keeps_it(empty_engine: Engine) -> None:
    from sqlalchemy import text

    upgrade(empty_engine, "0001")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO person (slack_id, name, tz, role, active, created_at, updated_at) "
            "VALUES ('U0KEEP', 'Kept', 'UTC', 'rep', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM person WHERE slack_id = 'U0KEEP'")).scalar_one() == "Kept"
    assert current_revision(empty_engine) == head_revision()
