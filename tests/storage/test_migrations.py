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
        assert connection.execute(text(
            "SELECT name FROM person JOIN account ON account.person_id = person.id WHERE account.user_id = 'U0KEEP'"
        )).scalar_one() == "Kept"
    assert current_revision(empty_engine) == head_revision()


def test_deliveries_answered_before_coaching_survive_the_rebuild_of_their_table(empty_engine: Engine) -> None:
    """0006 makes delivery.broadcast_id nullable; SQLite rebuilds the table, which quizask rows point at."""
    from sqlalchemy import text

    upgrade(empty_engine, "0005")
    rows = [
        "INSERT INTO person (id, slack_id, name, tz, role, active, created_at, updated_at)"
        " VALUES (1, 'U0KEEP', 'Kept', 'UTC', 'rep', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO message (id, key, version, title, body, key_message, expectation_keys, source, created_at)"
        " VALUES (1, 'm', 1, 't', 'b', false, '[]', 'pack', CURRENT_TIMESTAMP)",
        "INSERT INTO expectation (id, key, statement, pillar, pack) VALUES (1, 'e', 's', 'p', 'default')",
        "INSERT INTO question (id, key, expectation_id, prompt, options, correct, explanation, active)"
        " VALUES (1, 'q', 1, 'p', '[]', 0, 'x', true)",
        "INSERT INTO broadcast (id, message_id, created_by_id, audience, audience_label, starts_at, local_time,"
        " anchor_tz, quiz_mode, quiz_only, status, created_at, updated_at) VALUES (1, 1, 1, '{}', '',"
        " CURRENT_TIMESTAMP, true, 'UTC', 'missed', false, 'done', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO delivery (id, broadcast_id, occurrence, person_id, message_id, kind, due_at, status, attempts)"
        " VALUES (1, 1, 'now', 1, 1, 'broadcast', CURRENT_TIMESTAMP, 'sent', 1)",
        "INSERT INTO quizask (question_id, expectation_id, person_id, delivery_id, mode, asked_at)"
        " VALUES (1, 1, 1, 1, 'missed', CURRENT_TIMESTAMP)",
    ]
    with empty_engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT delivery_id FROM quizask")).scalar_one() == 1
        assert connection.execute(text("SELECT broadcast_id FROM delivery")).scalar_one() == 1
    assert current_revision(empty_engine) == head_revision()


def test_platform_accounts_keep_every_person_team_link_delivery_and_audience(empty_engine: Engine) -> None:
    """0008 moves Slack ids into accounts: every row and id stays, and what pointed at Slack still does."""
    from sqlalchemy import text

    upgrade(empty_engine, "0007")
    rows = [
        "INSERT INTO team (id, name, slack_usergroup_id, created_at) VALUES (3, 'East', 'S0EAST', CURRENT_TIMESTAMP)",
        "INSERT INTO person (id, slack_id, name, tz, role, active, created_at, updated_at, team_id)"
        " VALUES (7, 'U0LEAD', 'Lena', 'UTC', 'leader', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL)",
        "INSERT INTO person (id, slack_id, name, tz, role, active, created_at, updated_at, team_id)"
        " VALUES (9, 'U0AIKO', 'Aiko', 'Asia/Tokyo', 'rep', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 3)",
        "INSERT INTO message (id, key, version, title, body, key_message, expectation_keys, source, created_at)"
        " VALUES (1, 'm', 1, 't', 'b', false, '[]', 'slack', CURRENT_TIMESTAMP)",
        "INSERT INTO broadcast (id, message_id, created_by_id, audience, audience_label, starts_at, local_time,"
        " anchor_tz, quiz_mode, quiz_only, status, created_at, updated_at) VALUES (4, 1, 7,"
        " '{\"people\": [\"U0AIKO\", \"U0GONE\"], \"team_ids\": [3], \"all_reps\": false}', 'Aiko',"
        " CURRENT_TIMESTAMP, true, 'UTC', 'missed', false, 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO delivery (id, broadcast_id, occurrence, person_id, message_id, kind, due_at, status, attempts,"
        " channel_id, message_ts) VALUES (5, 4, 'now', 9, 1, 'broadcast', CURRENT_TIMESTAMP, 'sent', 1, 'D0AIKO',"
        " '1700000000.000100')",
    ]
    with empty_engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        accounts = connection.execute(text(
            "SELECT person_id, platform, workspace_id, user_id FROM account ORDER BY person_id")).all()
        team = connection.execute(text("SELECT id, group_platform, group_id FROM team")).one()
        delivery = connection.execute(text(
            "SELECT id, person_id, platform, conversation_id, platform_message_id FROM delivery")).one()
        source = connection.execute(text("SELECT source FROM message")).scalar_one()
    assert [tuple(row) for row in accounts] == [(7, "slack", "", "U0LEAD"), (9, "slack", "", "U0AIKO")]
    assert tuple(team) == (3, "slack", "S0EAST")
    assert tuple(delivery) == (5, 9, "slack", "D0AIKO", "1700000000.000100")
    assert source == "chat"
    from storage.db import session_scope
    from storage.models import Broadcast

    with session_scope(empty_engine) as session:
        audience = session.get(Broadcast, 4).audience
    assert audience == {"person_ids": [9], "team_ids": [3], "all_reps": False}
    assert current_revision(empty_engine) == head_revision()


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    from storage.migrate import script_head

    assert script_head() == head_revision()


def test_a_restart_at_head_does_not_load_alembic_and_a_new_database_is_migrated(tmp_path) -> None:  # noqa: ANN001
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'restart.db'}"
    probe = ("import sys; from storage.db import make_engine; from storage.migrate import upgrade, stored_revision; "
             f"engine = make_engine({url!r}); upgrade(engine); print(stored_revision(engine), 'alembic' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    first, restart = (subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True,
                                     timeout=120, check=True).stdout.split() for _ in range(2))
    assert first == [head_revision(), "True"]
    assert restart == [head_revision(), "False"]
