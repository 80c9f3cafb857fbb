"""Shared fixtures: a real database per test, on SQLite by default or PostgreSQL with DATABASE_URL.

On PostgreSQL every test gets its own schema (created by running the real migrations, dropped after),
so tests are isolated even when the code under test commits from several threads, as the bot does.
A DATABASE_URL that cannot be reached is an error, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.settings import settings_from_mapping
from storage.db import make_engine
from storage.migrate import upgrade

DATABASE_URL = settings_from_mapping({"DATABASE_URL": os.environ.get("DATABASE_URL")}).database_url
ON_POSTGRESQL = DATABASE_URL.startswith("postgresql")


def pytest_report_header(config: pytest.Config) -> str:
    where = DATABASE_URL.split("@")[-1] if ON_POSTGRESQL else "SQLite files in tmp"
    return f"drumbeat database: {'postgresql' if ON_POSTGRESQL else 'sqlite'} ({where})"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return DATABASE_URL if ON_POSTGRESQL else f"sqlite:///{tmp_path / 'drumbeat-test.db'}"


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    """A database with no tables at all (for migration tests)."""
    if not ON_POSTGRESQL:
        engine = make_engine(database_url)
        engine.url_for_processes = database_url  # type: ignore[attr-defined]
        yield engine
        engine.dispose()
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(database_url, schema=schema)
    # Another process (a dispatcher under test) reaches the same schema through the URL alone.
    engine.url_for_processes = f"{database_url}?options=-csearch_path%3D{schema}"  # type: ignore[attr-defined]
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database migrated to the newest schema, empty."""
    upgrade(empty_engine)
    return empty_engine
