"""delivery drops two indexes that others already cover, so every claim and outcome writes fewer index entries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:10:00

`ix_delivery_broadcast_id` is the leading column of the unique (broadcast_id, occurrence, person_id), and
`ix_delivery_person_id` the leading column of `ix_delivery_person_due` (person_id, due_at): every lookup either
served is served as well by the wider index. A claim or an outcome changes `status`, which is indexed, so
PostgreSQL cannot update in place (no HOT update) and writes a new entry in every index of the table: two
fewer indexes is two fewer entries per row (bench/claim.py: the claim of 200 rows and its write floor).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_person_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_broadcast_id'))


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_person_id'), ['person_id'], unique=False)
