"""unmet_entries: an event's unmet list as rows, written by difference

Revision ID: 20261211_0019
Revises: 20261210_0018
Create Date: 2026-12-07 19:40:00

The latest snapshot's unmet list was one JSON column rewritten with every snapshot: 4.4 MB at 50,000
persons, ~27 MB at 300,000, for a write that changes a few entries. The worker's incremental needs
state knows which entries changed; it now writes those as rows of `unmet_entries`, and
`event_status.unmet_token` says the rows are the list (None: the column is, as before).
"""
import sqlalchemy as sa
from alembic import op

revision = '20261211_0019'
down_revision = '20261210_0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unmet_entries',
        sa.Column('event_id', sa.String(length=36), sa.ForeignKey('events.id'), primary_key=True),
        sa.Column('person_id', sa.String(length=36), primary_key=True),
        sa.Column('entry', sa.String(), nullable=False),
    )
    op.add_column('event_status', sa.Column('unmet_token', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event_status') as batch:
        batch.drop_column('unmet_token')
    op.drop_table('unmet_entries')
