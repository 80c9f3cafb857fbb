"""answer state: each rep's latest two answers per expectation, kept by triggers on quizask

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:10:00

Why triggers: every writer of quizask (the quiz use case, imports, bulk loads, a hand-written UPDATE) keeps
the state exact in its own transaction, so no code path can forget it. Each trigger recomputes the one
(rep, expectation) pair it touched from quizask (two index seeks on ix_quizask_person_expectation), so an
answer arriving out of order, corrected or deleted leaves the right state. On PostgreSQL a transaction-level
advisory lock per pair serialises two transactions answering the same pair (the second recomputes after
the first commits, with a fresh snapshot); SQLite has one writer at a time.

Caution for later migrations: SQLite's batch mode rebuilds a table by copy and drop, which drops its
triggers; a migration that batch-alters quizask must create these triggers again (see create_triggers).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("person_id, expectation_id, latest_ask_id, latest_at, latest_correct, "
           "previous_ask_id, previous_at, previous_correct")


def _ranked(where: str) -> str:
    return (f"SELECT id, person_id, expectation_id, answered_at, correct FROM quizask "
            f"WHERE {where} AND answered_at IS NOT NULL ORDER BY answered_at DESC, id DESC")


def _refresh_sql(person: str, expectation: str) -> list[str]:
    """Statements that make one pair's row what quizask says (no row when it has no answer)."""
    pair = f"person_id = {person} AND expectation_id = {expectation}"
    return [
        f"DELETE FROM answerstate WHERE {pair}",
        f"INSERT INTO answerstate ({COLUMNS}) "
        f"SELECT l.person_id, l.expectation_id, l.id, l.answered_at, l.correct, p.id, p.answered_at, p.correct "
        f"FROM ({_ranked(pair)} LIMIT 1) AS l LEFT JOIN ({_ranked(pair)} LIMIT 1 OFFSET 1) AS p ON 1 = 1",
    ]


BACKFILL = (
    f"INSERT INTO answerstate ({COLUMNS}) "
    "SELECT l.person_id, l.expectation_id, l.id, l.answered_at, l.correct, p.id, p.answered_at, p.correct "
    "FROM ranked AS l LEFT JOIN ranked AS p ON p.person_id = l.person_id AND p.expectation_id = l.expectation_id "
    "AND p.recency = 2 WHERE l.recency = 1"
)
RANKED = ("WITH ranked AS (SELECT id, person_id, expectation_id, answered_at, correct, row_number() OVER "
          "(PARTITION BY person_id, expectation_id ORDER BY answered_at DESC, id DESC) AS recency "
          "FROM quizask WHERE answered_at IS NOT NULL) ")

CHANGED = ("OLD.answered_at IS NOT NEW.answered_at OR OLD.correct IS NOT NEW.correct "
           "OR OLD.person_id IS NOT NEW.person_id OR OLD.expectation_id IS NOT NEW.expectation_id")


def _sqlite_triggers() -> list[str]:
    def body(*pairs: tuple[str, str]) -> str:
        return " ".join(f"{statement};" for p, e in pairs for statement in _refresh_sql(p, e))

    return [
        "CREATE TRIGGER answerstate_after_insert AFTER INSERT ON quizask WHEN NEW.answered_at IS NOT NULL "
        f"BEGIN {body(('NEW.person_id', 'NEW.expectation_id'))} END",
        "CREATE TRIGGER answerstate_after_update AFTER UPDATE OF answered_at, correct, person_id, expectation_id "
        f"ON quizask WHEN {CHANGED} "
        f"BEGIN {body(('OLD.person_id', 'OLD.expectation_id'), ('NEW.person_id', 'NEW.expectation_id'))} END",
        "CREATE TRIGGER answerstate_after_delete AFTER DELETE ON quizask WHEN OLD.answered_at IS NOT NULL "
        f"BEGIN {body(('OLD.person_id', 'OLD.expectation_id'))} END",
    ]


def _postgresql_triggers() -> list[str]:
    refresh = " ".join(f"{statement};" for statement in _refresh_sql("p", "e"))
    return [
        "CREATE FUNCTION answerstate_refresh(p integer, e integer) RETURNS void LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $$ BEGIN "
        "PERFORM pg_advisory_xact_lock(hashtext('answerstate:' || current_schema() || ':' || p), e); "
        f"{refresh} END $$",
        "CREATE FUNCTION answerstate_sync() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ "
        "BEGIN "
        "IF TG_OP <> 'INSERT' AND OLD.answered_at IS NOT NULL THEN "
        "PERFORM answerstate_refresh(OLD.person_id, OLD.expectation_id); END IF; "
        "IF TG_OP <> 'DELETE' AND NEW.answered_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.answered_at IS NULL "
        "OR OLD.person_id <> NEW.person_id OR OLD.expectation_id <> NEW.expectation_id) THEN "
        "PERFORM answerstate_refresh(NEW.person_id, NEW.expectation_id); END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER answerstate_sync AFTER INSERT OR DELETE OR UPDATE OF answered_at, correct, person_id, "
        "expectation_id ON quizask FOR EACH ROW EXECUTE FUNCTION answerstate_sync()",
    ]


def create_triggers() -> None:
    for statement in (_postgresql_triggers() if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers()):
        op.execute(statement)


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS answerstate_sync ON quizask")
        op.execute("DROP FUNCTION IF EXISTS answerstate_sync()")
        op.execute("DROP FUNCTION IF EXISTS answerstate_refresh(integer, integer)")
    else:
        for name in ("answerstate_after_insert", "answerstate_after_update", "answerstate_after_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        'answerstate',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('expectation_id', sa.Integer(), nullable=False),
        sa.Column('latest_ask_id', sa.Integer(), nullable=False),
        sa.Column('latest_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('latest_correct', sa.Boolean(), nullable=True),
        sa.Column('previous_ask_id', sa.Integer(), nullable=True),
        sa.Column('previous_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('previous_correct', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['expectation_id'], ['expectation.id'],
                                name=op.f('fk_answerstate_expectation_id_expectation')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_answerstate_person_id_person')),
        sa.PrimaryKeyConstraint('person_id', 'expectation_id', name=op.f('pk_answerstate')),
    )
    op.execute(RANKED + BACKFILL)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table('answerstate')
