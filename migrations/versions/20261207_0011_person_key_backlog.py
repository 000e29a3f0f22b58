"""person key backlog: match keys written by the worker, off the registration's transaction

Revision ID: 20261207_0011
Revises: 20261207_0010
Create Date: 2026-12-07 03:40:00

`person_key_backlog` lists persons whose blocking keys are not in `person_match_keys` yet. The write
path appends to it (cheap: an append) instead of inserting the keys (random places of a large B-tree,
a third of a batch sync's cost); the worker drains it every few seconds, and a search reads what is
still in it (shared/services/match_keys.py). Nothing to backfill: every existing person is keyed.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '20261207_0011'
down_revision = '20261207_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'person_key_backlog',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )


def downgrade() -> None:
    # keys of the persons still waiting are written before the table goes: none is left unfindable
    from shared.services.match_keys import drain_all
    drain_all(op.get_bind())
    op.drop_table('person_key_backlog')
