"""conversation_ref: the conversation (and its service) a platform learnt for each person, for proactive DMs

Teams cannot open a personal chat from a user id alone: the bot keeps the conversation id, serviceUrl and tenant
it is told when its app is installed for the person (installationUpdate / conversationUpdate).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'conversationref',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', AutoString(length=16), nullable=False),
        sa.Column('user_id', AutoString(length=128), nullable=False),
        sa.Column('conversation_id', AutoString(length=512), nullable=False),
        sa.Column('service_url', AutoString(length=512), nullable=False),
        sa.Column('tenant_id', AutoString(length=64), nullable=False),
        sa.Column('platform_user_id', AutoString(length=256), nullable=False),
        sa.Column('usable', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversationref')),
        sa.UniqueConstraint('platform', 'user_id', name=op.f('uq_conversationref_platform')),
    )


def downgrade() -> None:
    op.drop_table('conversationref')
