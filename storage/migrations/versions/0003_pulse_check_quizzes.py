"""pulse-check quizzes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:43:14.222498
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('expectationprogress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('expectation_id', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('box', sa.Integer(), nullable=False),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('ever_missed', sa.Boolean(), nullable=False),
    sa.Column('next_ask_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('mastered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_question_id', sa.Integer(), nullable=True),
    sa.Column('origin_broadcast_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['expectation_id'], ['expectation.id'], name=op.f('fk_expectationprogress_expectation_id_expectation')),
    sa.ForeignKeyConstraint(['last_question_id'], ['question.id'], name=op.f('fk_expectationprogress_last_question_id_question')),
    sa.ForeignKeyConstraint(['origin_broadcast_id'], ['broadcast.id'], name=op.f('fk_expectationprogress_origin_broadcast_id_broadcast')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_expectationprogress_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expectationprogress')),
    sa.UniqueConstraint('person_id', 'expectation_id', name=op.f('uq_expectationprogress_person_id'))
    )
    with op.batch_alter_table('expectationprogress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expectationprogress_next_ask_at'), ['next_ask_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_expectationprogress_person_id'), ['person_id'], unique=False)

    op.create_table('quizask',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('expectation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('choice', sa.Integer(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('confidence', sa.Integer(), nullable=True),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_quizask_delivery_id_delivery')),
    sa.ForeignKeyConstraint(['expectation_id'], ['expectation.id'], name=op.f('fk_quizask_expectation_id_expectation')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_quizask_person_id_person')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_quizask_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizask')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_quizask_delivery_id'))
    )
    with op.batch_alter_table('quizask', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizask_expectation_id'), ['expectation_id'], unique=False)
        batch_op.create_index('ix_quizask_person_expectation', ['person_id', 'expectation_id', 'answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quizask_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='missed'))
        batch_op.add_column(sa.Column('quiz_only', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_delivery_question_id_question'), 'question', ['question_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delivery_question_id_question'), type_='foreignkey')
        batch_op.drop_column('question_id')

    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_column('quiz_only')
        batch_op.drop_column('quiz_mode')

    with op.batch_alter_table('quizask', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizask_question_id'))
        batch_op.drop_index('ix_quizask_person_expectation')
        batch_op.drop_index(batch_op.f('ix_quizask_expectation_id'))

    op.drop_table('quizask')
    with op.batch_alter_table('expectationprogress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expectationprogress_person_id'))
        batch_op.drop_index(batch_op.f('ix_expectationprogress_next_ask_at'))

    op.drop_table('expectationprogress')
