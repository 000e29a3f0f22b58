"""delivery totals kept by the write path

Revision ID: 20261129_0004
Revises: 20261129_0003
Create Date: 2026-11-29 06:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db

revision = '20261129_0004'
down_revision = '20261129_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'delivery_totals',
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('item_code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('shelter_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('last_delivered_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id']),
        sa.PrimaryKeyConstraint('event_id', 'item_code', 'shelter_id', 'person_id', 'household_id', 'local_date'),
    )


def downgrade() -> None:
    op.drop_table('delivery_totals')
