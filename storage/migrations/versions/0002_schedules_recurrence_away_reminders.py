"""schedules: recurrence, away, reminders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:52:44.593424
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default='UTC'))
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('materialised_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False,
                                      server_default=sa.func.current_timestamp()))
        batch_op.alter_column('recurrence', type_=sqlmodel.sql.sqltypes.AutoString(),
                              existing_type=sqlmodel.sql.sqltypes.AutoString(length=200), existing_nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_broadcast_question_id_question'), 'question', ['question_id'], ['id'])

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='broadcast'))
        batch_op.add_column(sa.Column('scheduled_for', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('away_until', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('away_until')
        batch_op.drop_column('away_from')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('scheduled_for')
        batch_op.drop_column('kind')

    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_broadcast_question_id_question'), type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('materialised_until')
        batch_op.drop_column('question_id')
        batch_op.drop_column('anchor_tz')

