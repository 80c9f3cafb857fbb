"""anonymity that survives an insider: random feedback ids, respondents apart from items, pending anonymous items

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:20:00

- feedback.id becomes a random 62-bit number (BIGINT on PostgreSQL, no sequence; INTEGER on SQLite, where it is
  the rowid): existing rows are renumbered in a shuffled order, replies follow them.
- respondent tags leave the feedback rows for feedbackrespondent (one row per team, month, key and person),
  so two items of one author no longer share a value; existing tags are kept there under the key id "legacy"
  (they were made with a key derived from the Slack signing secret, so whoever holds that secret can still
  tell *who* answered in those months, but no longer which items are whose).
- anonymous submissions wait, sealed, in feedbackpending until the day's release.
- feedback.submission_key becomes nullable (released anonymous rows keep none).

Downgrade restores the columns and small ids (in a shuffled order); respondent rows and pending items are dropped
(turning them back into tagged rows needs the key), so the counts of those months restart from nothing.
"""
from collections.abc import Sequence
import random

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLY_FK = 'fk_feedbackreply_feedback_id_feedback'


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    op.create_table(
        'feedbackrespondent',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_feedbackrespondent_team_id_team')),
        sa.PrimaryKeyConstraint('team_id', 'month', 'key_id', 'tag', name=op.f('pk_feedbackrespondent')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'feedbackpending',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.Column('submission_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedbackpending')),
        sa.UniqueConstraint('submission_key', name=op.f('uq_feedbackpending_submission_key')),
    )
    with op.batch_alter_table('feedbackpending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedbackpending_day'), ['day'], unique=False)
    op.execute("INSERT INTO feedbackrespondent (team_id, month, key_id, tag) "
               "SELECT DISTINCT team_id, month, 'legacy', respondent_tag FROM feedback "
               "WHERE anonymous AND respondent_tag IS NOT NULL AND team_id IS NOT NULL")
    if postgresql:
        op.drop_constraint(REPLY_FK, 'feedbackreply', type_='foreignkey')
        op.execute('ALTER TABLE feedback ALTER COLUMN id DROP DEFAULT')
        op.execute('DROP SEQUENCE IF EXISTS feedback_id_seq')
        op.alter_column('feedback', 'id', type_=sa.BigInteger(), existing_nullable=False)
        op.alter_column('feedbackreply', 'feedback_id', type_=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('respondent_tag')
        batch_op.alter_column('submission_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=True)
    _renumber(bind)
    op.execute('UPDATE feedback SET submission_key = NULL WHERE anonymous')
    if postgresql:
        op.create_foreign_key(REPLY_FK, 'feedbackreply', 'feedback', ['feedback_id'], ['id'])


def _renumber(bind: sa.engine.Connection) -> None:
    """Random ids for the rows already there, given in a shuffled order (so not even the order of the updates,
    on PostgreSQL the order of the new row versions, follows the old ids)."""
    old_ids = [row[0] for row in bind.execute(sa.text('SELECT id FROM feedback'))]
    rng = random.SystemRandom()
    rng.shuffle(old_ids)
    taken: set[int] = set()
    for old in old_ids:
        new = rng.getrandbits(62) or 1
        while new in taken or new in old_ids:
            new = rng.getrandbits(62) or 1
        taken.add(new)
        bind.execute(sa.text('UPDATE feedback SET id = :new WHERE id = :old'), {'new': new, 'old': old})
        bind.execute(sa.text('UPDATE feedbackreply SET feedback_id = :new WHERE feedback_id = :old'),
                     {'new': new, 'old': old})


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    if postgresql:
        op.drop_constraint(REPLY_FK, 'feedbackreply', type_='foreignkey')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_tag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    # Small ids again (INTEGER on PostgreSQL), in a shuffled order; a sequence continues after them.
    ids = [row[0] for row in bind.execute(sa.text('SELECT id FROM feedback'))]
    random.SystemRandom().shuffle(ids)
    for number, old in enumerate(ids, start=1):
        bind.execute(sa.text('UPDATE feedback SET id = :new WHERE id = :old'), {'new': -number, 'old': old})
        bind.execute(sa.text('UPDATE feedbackreply SET feedback_id = :new WHERE feedback_id = :old'),
                     {'new': -number, 'old': old})
    bind.execute(sa.text('UPDATE feedback SET id = -id'))
    bind.execute(sa.text('UPDATE feedbackreply SET feedback_id = -feedback_id'))
    op.execute("UPDATE feedback SET submission_key = 'migrated-' || CAST(id AS VARCHAR) WHERE submission_key IS NULL")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.alter_column('submission_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
    if postgresql:
        op.alter_column('feedbackreply', 'feedback_id', type_=sa.Integer(), existing_nullable=False)
        op.alter_column('feedback', 'id', type_=sa.Integer(), existing_nullable=False)
        op.execute('CREATE SEQUENCE feedback_id_seq OWNED BY feedback.id')
        op.execute("SELECT setval('feedback_id_seq', COALESCE((SELECT MAX(id) FROM feedback), 0) + 1, false)")
        op.execute("ALTER TABLE feedback ALTER COLUMN id SET DEFAULT nextval('feedback_id_seq')")
        op.create_foreign_key(REPLY_FK, 'feedbackreply', 'feedback', ['feedback_id'], ['id'])
    with op.batch_alter_table('feedbackpending', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedbackpending_day'))
    op.drop_table('feedbackpending')
    op.drop_table('feedbackrespondent')
