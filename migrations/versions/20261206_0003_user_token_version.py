"""users.token_version: revoke every issued token on a password, role or active-flag change

Revision ID: 20261206_0003
Revises: 20261129_0004
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '20261206_0003'
down_revision = '20261129_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('token_version')
