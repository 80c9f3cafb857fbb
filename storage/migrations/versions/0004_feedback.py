"""feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:02:13.321244
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('about', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('stop', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('start', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('keep', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('respondent_tag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reply_link', sa.LargeBinary(), nullable=True),
    sa.Column('submission_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_feedback_author_id_person')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_feedback_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_feedback_submission_key'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_team_month', ['team_id', 'month'], unique=False)

    op.create_table('feedbackreply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_feedbackreply_author_id_person')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedbackreply_feedback_id_feedback')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedbackreply'))
    )
    with op.batch_alter_table('feedbackreply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedbackreply_feedback_id'), ['feedback_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedbackreply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedbackreply_feedback_id'))

    op.drop_table('feedbackreply')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_team_month')

    op.drop_table('feedback')
