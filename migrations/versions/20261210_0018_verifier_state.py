"""worker_state.info: the snapshot verifier's counts

Revision ID: 20261210_0018
Revises: 20261210_0017
Create Date: 2026-12-07 16:20:00

The verifier (shared/services/verify.py) keeps its counts in the `worker_state` row `verifier`, where
every API process reads them for /readyz: when it last ran, how many verifications, how many found a
difference, and the last difference found (event, field paths, when). They are a small JSON document
in a new nullable column; heartbeat and scheduler rows leave it empty.
"""
import sqlalchemy as sa
from alembic import op

revision = '20261210_0018'
down_revision = '20261210_0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('worker_state', sa.Column('info', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('worker_state') as batch:
        batch.drop_column('info')
