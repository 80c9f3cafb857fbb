"""Alembic environment: runs against the engine handed over by `storage.migrate`."""

from __future__ import annotations

from alembic import context

from storage import models  # noqa: F401  (registers every table on the metadata)
from storage.models import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlmodel import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a column by rebuilding its table (batch mode): with foreign keys on, dropping the old
            # table fails while other tables' rows point at it. The pragma only works outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if not sqlite:
                    # Instances starting together migrate one at a time (per schema); the rest then find the
                    # schema at head and change nothing. Released at commit.
                    connection.exec_driver_sql(
                        "SELECT pg_advisory_xact_lock(hashtext('drumbeat-migrate:' || current_schema()))")
                context.configure(
                    connection=connection,
                    target_metadata=metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                    # storage.migrate passes a hook here when someone watches (`drumbeat db upgrade`'s progress)
                    on_version_apply=config.attributes.get("on_version_apply", ()),
                )
                with context.begin_transaction():
                    context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("Drumbeat applies migrations online only: run `drumbeat db upgrade`.")
run_migrations_online()
