"""duplicate review: persons.merged_into (alias of a survivor), duplicate pairs, merges, scan progress

Revision ID: 20261207_0009
Revises: 20261207_0008
Create Date: 2026-12-07 00:20:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db

revision = '20261207_0009'
down_revision = '20261207_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons') as batch:
        batch.add_column(sa.Column('merged_into', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch.create_index('ix_persons_merged_into', ['merged_into'], unique=False)
    op.create_table(
        'duplicate_pairs',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('other_event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('person_a', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('person_b', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('created_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('updated_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('decided_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_by_username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_duplicate_pairs_event_status', 'duplicate_pairs', ['event_id', 'status', 'created_at', 'id'])
    op.create_index('ix_duplicate_pairs_other_event', 'duplicate_pairs', ['other_event_id', 'status'])
    op.create_index('ix_duplicate_pairs_persons', 'duplicate_pairs', ['person_a', 'person_b'], unique=True)
    op.create_index('ix_duplicate_pairs_person_b', 'duplicate_pairs', ['person_b'])
    op.create_table(
        'person_merges',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('merged_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('survivor_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('pair_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column('moved', sa.JSON(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('merged_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('undone_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('undone_by', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_person_merges_merged', 'person_merges', ['merged_id', 'undone_at'])
    op.create_index('ix_person_merges_event_id', 'person_merges', ['event_id'])
    op.create_index('ix_person_merges_survivor_id', 'person_merges', ['survivor_id'])
    op.create_table(
        'duplicate_scans',
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('data_seq', sa.Integer(), nullable=False),
        sa.Column('started_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('finished_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('pairs', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('event_id'),
    )


def downgrade() -> None:
    op.drop_table('duplicate_scans')
    op.drop_table('person_merges')
    op.drop_table('duplicate_pairs')
    with op.batch_alter_table('persons') as batch:
        batch.drop_index('ix_persons_merged_into')
        batch.drop_column('merged_into')
