"""platform-neutral identity: people reached through accounts on one or more chat platforms

Person.slack_id becomes an Account row (platform 'slack', the one workspace), Team.slack_usergroup_id a
(group_platform, group_id) pair, and a delivery's Slack channel + ts a (platform, conversation_id,
platform_message_id) triple. Every row and every id is kept; the quiz ask's own channel/ts (written, never read)
go, since a practice question is a delivery like any other.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
BROADCAST = sa.table('broadcast', sa.column('id', sa.Integer()), sa.column('audience', JSONType))
ACCOUNT = sa.table('account', sa.column('person_id', sa.Integer()), sa.column('user_id', sa.String()),
                   sa.column('platform', sa.String()))


def _audiences_by_person_id() -> None:
    """Stored audiences named people by Slack user id; they name them by person id now (any platform)."""
    connection = op.get_bind()
    person_of = dict(connection.execute(
        sa.select(ACCOUNT.c.user_id, ACCOUNT.c.person_id).where(ACCOUNT.c.platform == 'slack')).all())
    for broadcast_id, audience in connection.execute(sa.select(BROADCAST.c.id, BROADCAST.c.audience)).all():
        if not isinstance(audience, dict) or 'people' not in audience:
            continue
        changed = {key: value for key, value in audience.items() if key != 'people'}
        changed['person_ids'] = [person_of[user_id] for user_id in audience['people'] if user_id in person_of]
        connection.execute(sa.update(BROADCAST).where(BROADCAST.c.id == broadcast_id).values(audience=changed))


def upgrade() -> None:
    op.create_table(
        'account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('platform', AutoString(length=16), nullable=False),
        sa.Column('workspace_id', AutoString(length=64), nullable=False),
        sa.Column('user_id', AutoString(length=128), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_account_person_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
        sa.UniqueConstraint('platform', 'workspace_id', 'user_id', name=op.f('uq_account_platform')),
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_person_id'), ['person_id'], unique=False)
    op.execute("INSERT INTO account (person_id, platform, workspace_id, user_id, created_at) "
               "SELECT id, 'slack', '', slack_id, created_at FROM person ORDER BY id")
    _audiences_by_person_id()
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint('uq_person_slack_id', type_='unique')
        batch_op.drop_column('slack_id')

    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_platform', AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('group_id', AutoString(length=128), nullable=True))
    op.execute("UPDATE team SET group_platform = 'slack', group_id = slack_usergroup_id "
               "WHERE slack_usergroup_id IS NOT NULL")
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('slack_usergroup_id')
        batch_op.create_unique_constraint(batch_op.f('uq_team_group_platform'), ['group_platform', 'group_id'])

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform', AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('conversation_id', AutoString(length=256), nullable=True))
        batch_op.add_column(sa.Column('platform_message_id', AutoString(length=128), nullable=True))
    op.execute("UPDATE delivery SET platform = 'slack', conversation_id = channel_id, platform_message_id = message_ts "
               "WHERE channel_id IS NOT NULL")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('channel_id')
        batch_op.drop_column('message_ts')

    with op.batch_alter_table('quizask', schema=None) as batch_op:
        batch_op.drop_column('channel_id')
        batch_op.drop_column('message_ts')
    op.execute("UPDATE message SET source = 'chat' WHERE source = 'slack'")


def downgrade() -> None:
    op.execute("UPDATE message SET source = 'slack' WHERE source = 'chat'")
    with op.batch_alter_table('quizask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('message_ts', AutoString(length=32), nullable=True))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('message_ts', AutoString(length=32), nullable=True))
    op.execute("UPDATE delivery SET channel_id = conversation_id, message_ts = platform_message_id "
               "WHERE platform = 'slack'")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('platform_message_id')
        batch_op.drop_column('conversation_id')
        batch_op.drop_column('platform')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_team_group_platform'), type_='unique')
        batch_op.add_column(sa.Column('slack_usergroup_id', AutoString(length=32), nullable=True))
    op.execute("UPDATE team SET slack_usergroup_id = group_id WHERE group_platform = 'slack'")
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('group_id')
        batch_op.drop_column('group_platform')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slack_id', AutoString(length=32), nullable=True))
    op.execute("UPDATE person SET slack_id = (SELECT MIN(a.user_id) FROM account a "
               "WHERE a.person_id = person.id AND a.platform = 'slack')")
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_person_slack_id', ['slack_id'])
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_person_id'))
    op.drop_table('account')
