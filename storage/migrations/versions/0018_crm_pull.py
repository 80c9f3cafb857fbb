"""The scheduled pull from a CRM's API: where each source's pull stands (its cursor and last outcome).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crmpull',
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('through', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('pulled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_crmpull'))
    )


def downgrade() -> None:
    op.drop_table('crmpull')
