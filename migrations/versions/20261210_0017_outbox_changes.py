"""outbox.changes: the ids a field write touched

Revision ID: 20261210_0017
Revises: 20261209_0016
Create Date: 2026-12-07 16:00:00

A field write (one batch of `/sync` or a single POST) leaves one outbox row naming only its event. The
worker keeps each open event's needs inputs in memory and brings them up to date from the outbox
(shared/services/live_inputs.py); for that it needs to know which persons, stays, distributions and
services the write touched. NULL (older rows, other writes) means "not known": the worker reloads.
"""
import sqlalchemy as sa
from alembic import op

revision = '20261210_0017'
down_revision = '20261209_0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('changes')
