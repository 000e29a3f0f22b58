"""renstra_targets.budget_realisation: realisasi anggaran beside pagu

Revision ID: 20261207_0010
Revises: 20261207_0009
Create Date: 2026-12-07 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '20261207_0010'
down_revision = '20261207_0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('renstra_targets') as batch:
        batch.add_column(sa.Column('budget_realisation', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('renstra_targets') as batch:
        batch.drop_column('budget_realisation')
