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
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Drumbeat applies migrations online only: run `drumbeat db upgrade`.")
run_migrations_online()
