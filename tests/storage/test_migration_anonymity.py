"""0012 on a database with feedback in it: old rows lose their ordered ids and their shared tags, keep the rest."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.migrate import alembic_config, upgrade

TAGS = ["a" * 64, "b" * 64, "a" * 64, "c" * 64, "b" * 64, "d" * 64]  # four people, two of them twice


def seed_before_0012(engine: Engine) -> None:
    upgrade(engine, "0011")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO team (id, name, created_at) VALUES (1, 'East', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO person (id, name, tz, role, team_id, active, created_at, updated_at) "
                                "VALUES (1, 'Marco', 'UTC', 'manager', 1, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        for number, tag in enumerate(TAGS, start=1):
            connection.execute(text(
                "INSERT INTO feedback (id, team_id, about, stop, start, keep, anonymous, month, submitted_on, "
                "respondent_tag, submission_key, withdrawn) VALUES (:id, 1, 'strategy', :stop, '', '', true, "
                "'2026-11', '2026-11-02', :tag, :key, false)"), {"id": number, "stop": f"old {number}", "tag": tag,
                                                                   "key": f"k{number}"})
        connection.execute(text(
            "INSERT INTO feedback (id, team_id, about, stop, start, keep, anonymous, author_id, month, submitted_on, "
            "submitted_at, submission_key, withdrawn) VALUES (7, 1, 'team', 'named', '', '', false, 1, '2026-11', "
            "'2026-11-02', CURRENT_TIMESTAMP, 'k7', false)"))
        connection.execute(text("INSERT INTO feedbackreply (feedback_id, author_id, text, sent_at) "
                                "VALUES (3, 1, 'reply to old 3', CURRENT_TIMESTAMP)"))


def test_old_feedback_gets_random_ids_and_its_tags_leave_the_items(empty_engine: Engine) -> None:
    seed_before_0012(empty_engine)
    upgrade(empty_engine, "0012")
    with empty_engine.connect() as connection:
        rows = {row.stop: row for row in connection.execute(text("SELECT * FROM feedback"))}
        assert set(rows) == {f"old {n}" for n in range(1, 7)} | {"named"}
        assert not {row.id for row in rows.values()} & set(range(1, 8))  # no old id is left
        assert "respondent_tag" not in rows["named"]._mapping
        assert all(row.submission_key is None for text_, row in rows.items() if text_ != "named")
        assert rows["named"].submission_key == "k7"
        reply = connection.execute(text("SELECT feedback_id FROM feedbackreply")).scalar_one()
        assert reply == rows["old 3"].id  # the reply follows its item
        respondents = connection.execute(text("SELECT key_id, tag FROM feedbackrespondent")).all()
        assert sorted(respondents) == [("legacy", tag) for tag in sorted(set(TAGS))]  # still four people


def test_0012_downgrades_keeping_the_items_and_their_replies(empty_engine: Engine) -> None:
    seed_before_0012(empty_engine)
    upgrade(empty_engine, "0012")
    command.downgrade(alembic_config(empty_engine), "-1")
    with empty_engine.connect() as connection:
        rows = {row.stop: row for row in connection.execute(text("SELECT * FROM feedback"))}
        assert sorted(row.id for row in rows.values()) == list(range(1, 8))
        reply = connection.execute(text("SELECT feedback_id FROM feedbackreply")).scalar_one()
        assert reply == rows["old 3"].id
    upgrade(empty_engine, "0012")  # and up again
