"""outbox: index (event_id, data_seq) in place of (event_id)

Revision ID: 20261211_0020
Revises: 20261211_0019
Create Date: 2026-12-07 19:20:00

Every recompute of the worker catches up from the outbox rows of its event after its checkpoint's
data_seq (shared/repositories/bookkeeping.py). With an index on event_id alone, SQLite read every row
the event ever wrote and sorted them: ~8 ms at 2,900 rows two minutes into the soak, growing with each
write (bench/soak_bench.py). The composite index serves that range read in order, and every query on
event_id alone as well, so the single-column index goes.
"""
from alembic import op

revision = '20261211_0020'
down_revision = '20261211_0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outbox_event_seq', 'outbox', ['event_id', 'data_seq'])
    op.drop_index('ix_outbox_event_id', table_name='outbox')


def downgrade() -> None:
    op.create_index('ix_outbox_event_id', 'outbox', ['event_id'])
    op.drop_index('ix_outbox_event_seq', table_name='outbox')
