"""a covering index for one team's answers in a period (summaries)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 03:05:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('quizask', schema=None) as batch_op:
        batch_op.create_index('ix_quizask_person_answered',
                              ['person_id', 'answered_at', 'expectation_id', 'correct', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quizask', schema=None) as batch_op:
        batch_op.drop_index('ix_quizask_person_answered')
