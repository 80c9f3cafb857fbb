"""Audiences resolved at each occurrence: the platform groups they name (user groups, channels) with their
membership cached (audiencegroup, audiencegroupmember: each member's platform user id and, once known, the
person behind it), and an index from a platform user id to its account.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audiencegroup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('group_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('refreshed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audiencegroup')),
        sa.UniqueConstraint('platform', 'kind', 'group_id', name=op.f('uq_audiencegroup_platform')),
    )
    op.create_table(
        'audiencegroupmember',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['audiencegroup.id'],
                                name=op.f('fk_audiencegroupmember_group_id_audiencegroup')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_audiencegroupmember_person_id_person')),
        sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_audiencegroupmember')),
    )
    op.create_index('ix_audiencegroupmember_person', 'audiencegroupmember', ['group_id', 'person_id'], unique=False)
    op.create_index('ix_account_user', 'account', ['user_id', 'platform'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_account_user', table_name='account')
    op.drop_index('ix_audiencegroupmember_person', table_name='audiencegroupmember')
    op.drop_table('audiencegroupmember')
    op.drop_table('audiencegroup')
