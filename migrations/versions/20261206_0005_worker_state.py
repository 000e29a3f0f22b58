"""worker heartbeats and the scheduler's last boundary

Revision ID: 20261206_0005
Revises: 20261206_0004
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db

revision = '20261206_0005'
down_revision = '20261206_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_state',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('beat_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('boundary_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('worker_state')
