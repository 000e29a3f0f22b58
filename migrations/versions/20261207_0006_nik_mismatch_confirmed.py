"""persons.nik_mismatch_confirmed: a NIK that disagrees with the birth date or sex, kept on purpose

Revision ID: 20261207_0006
Revises: 20261206_0005
Create Date: 2026-12-07 00:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '20261207_0006'
down_revision = '20261206_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons') as batch:
        batch.add_column(sa.Column('nik_mismatch_confirmed', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('persons') as batch:
        batch.drop_column('nik_mismatch_confirmed')
