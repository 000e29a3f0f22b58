"""outbox: the pending rows indexed by (event_id, data_seq), only while pending

Revision ID: 20261212_0021
Revises: 20261211_0020
Create Date: 2026-12-07 22:10:00

Every stored snapshot marks the event's outbox rows up to its data_seq as covered
(shared/repositories/bookkeeping.py:mark_outbox_processed). SQLite chose (event_id, data_seq) for it and
walked every row the event ever wrote up to that seq, covered or not: work that grows with each write
(~2.5 ms a snapshot a few minutes into issue 14's freshness benchmark, ~56 ms from a cold cache). A
partial index over the pending rows alone (`WHERE processed_at IS NULL`, SQLite and PostgreSQL alike)
answers that update, the relay's pending-events scan and /readyz's oldest pending row, and holds a
handful of entries instead of one per row ever written; the full (processed_at, event_id) index goes.
"""
import sqlalchemy as sa
from alembic import op

revision = '20261212_0021'
down_revision = '20261211_0020'
branch_labels = None
depends_on = None

_WHERE = sa.text("processed_at IS NULL")


def upgrade() -> None:
    op.create_index('ix_outbox_open', 'outbox', ['event_id', 'data_seq'], sqlite_where=_WHERE, postgresql_where=_WHERE)
    op.drop_index('ix_outbox_pending', table_name='outbox')


def downgrade() -> None:
    op.create_index('ix_outbox_pending', 'outbox', ['processed_at', 'event_id'])
    op.drop_index('ix_outbox_open', table_name='outbox')
