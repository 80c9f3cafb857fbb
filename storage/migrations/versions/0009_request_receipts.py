"""request receipts (retried events, repeated submissions) and uncertain deliveries

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'requestreceipt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_requestreceipt')),
        sa.UniqueConstraint('platform', 'key', name=op.f('uq_requestreceipt_platform')),
    )
    with op.batch_alter_table('requestreceipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requestreceipt_received_at'), ['received_at'], unique=False)
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncertain_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('uncertain_since')
    with op.batch_alter_table('requestreceipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requestreceipt_received_at'))
    op.drop_table('requestreceipt')
