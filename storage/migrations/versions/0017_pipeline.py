"""The pipeline: the strategy's rules (synced from content packs) and deals imported from a CRM's CSV export.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:48:31
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('strategyrule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('value_keys', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('minimum_minor', sa.BigInteger(), nullable=True),
    sa.Column('pack', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategyrule')),
    sa.UniqueConstraint('key', name=op.f('uq_strategyrule_key'))
    )
    op.create_table('deal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('segment_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('industry_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('size_band', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('size_band_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('region_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('offering', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('offering_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('value_minor', sa.BigInteger(), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('close_on', sa.Date(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('deliberate_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_deal_owner_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal')),
    sa.UniqueConstraint('source', 'record_id', name=op.f('uq_deal_source'))
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index('ix_deal_owner_outcome', ['owner_id', 'outcome', 'close_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_owner_outcome')

    op.drop_table('deal')
    op.drop_table('strategyrule')
