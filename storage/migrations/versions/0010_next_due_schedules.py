"""broadcasts store their next due instant (per zone), so the materialiser reads only what is due

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:20:00

Backfill: every broadcast keeps next_due_at NULL, which the materialiser reads as "not planned yet": its next
ticks plan them (from materialised_until, so nothing already materialised is repeated and nothing is skipped),
a bounded batch per tick. Planning needs the recurrence arithmetic (APScheduler), which a migration should not
import.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'schedulezone',
        sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('tz', name=op.f('pk_schedulezone')),
    )
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column(
            'schedule_state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))
        batch_op.create_index('ix_broadcast_due', ['status', 'next_due_at'], unique=False)
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_tz'), ['tz'], unique=False)
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_sent', ['status', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_sent')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_tz'))
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_index('ix_broadcast_due')
        batch_op.drop_column('schedule_state')
        batch_op.drop_column('next_due_at')
    op.drop_table('schedulezone')
