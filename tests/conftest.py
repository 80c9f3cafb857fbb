"""Shared fixtures: a real database per test, on SQLite by default or PostgreSQL with DATABASE_URL.

The real migrations run once per test session (per xdist worker, when tests run in parallel), not
once per test; every test still starts from an empty database at the newest schema, and tests stay
isolated even when the code under test commits from several threads, as the bot does (so no
"wrap the test in a transaction and roll it back").

- SQLite: the session migrates a template file; each test gets its own copy of it in its tmp_path
  (`shutil.copyfile`, about 3 ms against about 180 ms for running the migrations).
- PostgreSQL: the session migrates one schema (`test_<hex>`, dropped at the end), and before each test
  every table but alembic_version is emptied and every sequence restarted, so ids start at 1 as in a
  freshly migrated schema. Measured on the 2-core development machine (PostgreSQL 15, 16 tables):
  migrating a new schema 240 ms; `CREATE DATABASE ... TEMPLATE` 330 ms (WAL_LOG) or 85 ms (FILE_COPY,
  with a checkpoint each time); one `TRUNCATE ... RESTART IDENTITY CASCADE` 40 ms; a DELETE per table
  (children first) with the sequences reset, sent as one batch, 3 to 6 ms. So: DELETE. Cloning a
  schema (CREATE TABLE ... LIKE) was not an option: it loses foreign keys and shares sequences.
  The migrations seed no rows (the session checks that the migrated tables are empty, and every test
  that needs a migrated database fails if that ever changes: the reset would then have to restore them).
  Connections of a test are tagged with an application_name; any that outlive their test (a leaked
  thread's or a dispatcher process's) are terminated before the next test is given the schema, which
  also frees the locks they hold. (A process left running could reconnect: tests that start one must
  wait for it or kill it, as test_crash_safety does.) The cleaning runs with a lock timeout: a lock
  left behind is an error, never a hang.
- `empty_engine` (no tables, for the migration tests) is still a fresh file or schema per test.

`engine.url_for_processes` is a URL another process (a dispatcher under test) uses to reach the same
database or schema. A DATABASE_URL that cannot be reached is an error, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.settings import settings_from_mapping
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import metadata

DATABASE_URL = settings_from_mapping({"DATABASE_URL": os.environ.get("DATABASE_URL")}).database_url
ON_POSTGRESQL = DATABASE_URL.startswith("postgresql")
DATABASE_FILE = "drumbeat-test.db"


def pytest_report_header(config: pytest.Config) -> str:
    where = DATABASE_URL.split("@")[-1] if ON_POSTGRESQL else "SQLite files in tmp"
    return f"drumbeat database: {'postgresql' if ON_POSTGRESQL else 'sqlite'} ({where})"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return DATABASE_URL if ON_POSTGRESQL else f"sqlite:///{tmp_path / DATABASE_FILE}"


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


def _tables_with_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
        return [name for name in names if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()]


def _check_nothing_seeded(engine: Engine) -> None:
    seeded = _tables_with_rows(engine)
    if seeded:
        pytest.fail(f"the migrations now seed rows in {seeded}: tests/conftest.py must restore them for each test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema, once per session: tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / DATABASE_FILE
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    _check_nothing_seeded(engine)
    engine.dispose()
    # One self-contained file to copy: no -wal or -shm beside it (each test's engine turns WAL back on).
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    assert not path.with_name(f"{DATABASE_FILE}-wal").exists()
    return path


@dataclass(frozen=True)
class MigratedSchema:
    """The session's PostgreSQL schema, migrated once, and the SQL that empties it again."""

    name: str
    admin: Engine
    reset_sql: str

    @property
    def application_name(self) -> str:
        return _application_name(self.name)

    def reset(self) -> None:
        """Back to freshly migrated: no connection left from an earlier test, every table empty, ids from 1."""
        with self.admin.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            # One round trip: psycopg sends a string of statements without parameters as one simple query
            # (inside the transaction it opens, which the commit ends).
            raw.execute(self.reset_sql)
            raw.commit()

    def url(self, base: str) -> str:
        return f"{base}?options=-csearch_path%3D{self.name}&application_name={self.application_name}"


def _application_name(schema: str) -> str:
    return f"drumbeat-tests-{schema}"


def _terminate_sql(schema: str) -> str:
    """Cut off every connection that tests made to `schema` (none should be left when this runs)."""
    return (f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{_application_name(schema)}' AND pid <> pg_backend_pid()")


def _reset_sql(schema: str, tables: list[str]) -> str:
    # Children before parents, so no foreign key is ever broken (and no superuser is needed to bypass them).
    known = [table.name for table in reversed(metadata.sorted_tables) if table.name in tables]
    order = known + [name for name in tables if name not in known]
    statements = [
        "SET LOCAL lock_timeout = '10s'",
        _terminate_sql(schema),
        *(f'DELETE FROM "{schema}"."{name}"' for name in order),
        f"SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
        f"WHERE c.relnamespace = '\"{schema}\"'::regnamespace",
    ]
    return "; ".join(statements)


@pytest.fixture(scope="session")
def postgresql_schema() -> Iterator[MigratedSchema]:
    """A PostgreSQL schema migrated to the newest revision, once per session: tests share it in turn."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        migrator = make_engine(DATABASE_URL, schema=schema)
        upgrade(migrator)
        _check_nothing_seeded(migrator)
        tables = [name for name in inspect(migrator).get_table_names() if name != "alembic_version"]
        migrator.dispose()
        yield MigratedSchema(schema, admin, _reset_sql(schema, tables))
    finally:
        with admin.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(_terminate_sql(schema)))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to the newest schema, empty."""
    if not ON_POSTGRESQL:
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / DATABASE_FILE)
        engine = make_engine(database_url)
        engine.url_for_processes = database_url  # type: ignore[attr-defined]
        yield engine
        engine.dispose()
        return
    schema: MigratedSchema = request.getfixturevalue("postgresql_schema")
    schema.reset()
    # Tagged, so that whatever of this test outlives it can be found (and cut off) before the next one.
    engine = make_engine(f"{database_url}?application_name={schema.application_name}", schema=schema.name)
    # Another process (a dispatcher under test) reaches the same schema through the URL alone.
    engine.url_for_processes = schema.url(database_url)  # type: ignore[attr-defined]
    try:
        yield engine
    finally:
        engine.dispose()
