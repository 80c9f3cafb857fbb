"""coaching nudges

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('coachingtip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expectation_id', sa.Integer(), nullable=False),
    sa.Column('goal', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('work_products', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('process', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('tasks', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('pack', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['expectation_id'], ['expectation.id'], name=op.f('fk_coachingtip_expectation_id_expectation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coachingtip')),
    sa.UniqueConstraint('expectation_id', name=op.f('uq_coachingtip_expectation_id'))
    )
    op.create_table('coachingdigest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('nudges', sa.Integer(), nullable=False),
    sa.Column('waiting_questions', sa.Integer(), nullable=False),
    sa.Column('waiting_messages', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_coachingdigest_delivery_id_delivery')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_coachingdigest_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coachingdigest')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_coachingdigest_delivery_id')),
    sa.UniqueConstraint('person_id', 'kind', 'local_date', name=op.f('uq_coachingdigest_person_id'))
    )
    with op.batch_alter_table('coachingdigest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coachingdigest_person_id'), ['person_id'], unique=False)

    op.create_table('coachingnudge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('expectation_id', sa.Integer(), nullable=True),
    sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('evidence_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('understanding_at_nudge', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('coached_by_id', sa.Integer(), nullable=True),
    sa.Column('coached_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('snoozed_by_id', sa.Integer(), nullable=True),
    sa.Column('snoozed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('refresher_delivery_id', sa.Integer(), nullable=True),
    sa.Column('refreshed_by_id', sa.Integer(), nullable=True),
    sa.Column('refreshed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['coached_by_id'], ['person.id'], name=op.f('fk_coachingnudge_coached_by_id_person')),
    sa.ForeignKeyConstraint(['digest_id'], ['coachingdigest.id'], name=op.f('fk_coachingnudge_digest_id_coachingdigest')),
    sa.ForeignKeyConstraint(['expectation_id'], ['expectation.id'], name=op.f('fk_coachingnudge_expectation_id_expectation')),
    sa.ForeignKeyConstraint(['manager_id'], ['person.id'], name=op.f('fk_coachingnudge_manager_id_person')),
    sa.ForeignKeyConstraint(['refreshed_by_id'], ['person.id'], name=op.f('fk_coachingnudge_refreshed_by_id_person')),
    sa.ForeignKeyConstraint(['refresher_delivery_id'], ['delivery.id'], name=op.f('fk_coachingnudge_refresher_delivery_id_delivery')),
    sa.ForeignKeyConstraint(['rep_id'], ['person.id'], name=op.f('fk_coachingnudge_rep_id_person')),
    sa.ForeignKeyConstraint(['snoozed_by_id'], ['person.id'], name=op.f('fk_coachingnudge_snoozed_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coachingnudge'))
    )
    with op.batch_alter_table('coachingnudge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coachingnudge_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coachingnudge_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('ix_coachingnudge_rep_topic', ['rep_id', 'expectation_id', 'message_key'], unique=False)

    # Coaching DMs, nudges and refreshers are deliveries without a broadcast (or a message). SQLite rebuilds the
    # table for this; env.py switches its foreign keys off around migrations so the rebuild keeps quizask's rows.
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column('broadcast_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('message_id',
               existing_type=sa.INTEGER(),
               nullable=True)


def downgrade() -> None:
    
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column('message_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('broadcast_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('coachingnudge', schema=None) as batch_op:
        batch_op.drop_index('ix_coachingnudge_rep_topic')
        batch_op.drop_index(batch_op.f('ix_coachingnudge_manager_id'))
        batch_op.drop_index(batch_op.f('ix_coachingnudge_digest_id'))

    op.drop_table('coachingnudge')
    with op.batch_alter_table('coachingdigest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coachingdigest_person_id'))

    op.drop_table('coachingdigest')
    op.drop_table('coachingtip')

