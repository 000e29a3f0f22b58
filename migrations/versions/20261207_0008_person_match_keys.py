"""person match keys: find before register

Revision ID: 20261207_0008
Revises: 20261207_0007
Create Date: 2026-12-07 00:30:00

`person_match_keys` holds each person's blocking keys (shared/matching/blocking.py) as 63-bit hashes
(all but the NIK's: persons indexes the NIK),
so a find-before-register search is an index lookup. The backfill computes them for every person
not anonymised with the current key rules (shared/services/match_keys.py:rebuild_keys): the keys are
derived data, and a later change of the rules is a migration that calls the same rebuild again.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '20261207_0008'
down_revision = '20261207_0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'person_match_keys',
        sa.Column('match_key', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.PrimaryKeyConstraint('match_key', 'person_id'),
        sqlite_with_rowid=False,  # derived rows, a few per person on every write: one B-tree only
    )
    from shared.services.match_keys import rebuild_keys
    rebuild_keys(op.get_bind())


def downgrade() -> None:
    op.drop_table('person_match_keys')
