"""tracing requests (laporan orang dicari), their match candidates and keys; persons by creation time

Revision ID: 20261208_0013
Revises: 20261208_0012
Create Date: 2026-12-08 00:13:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db

revision = '20261208_0013'
down_revision = '20261208_0012'
branch_labels = None
depends_on = None


def _s(n: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        'tracing_requests',
        sa.Column('id', _s(36), nullable=False),
        sa.Column('event_id', _s(36), nullable=True),
        sa.Column('kind', _s(10), nullable=False),
        sa.Column('subject_person_id', _s(36), nullable=True),
        sa.Column('full_name', _s(200), nullable=True),
        sa.Column('sex', _s(1), nullable=True),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('age_years', sa.Integer(), nullable=True),
        sa.Column('nik', _s(16), nullable=True),
        sa.Column('kelurahan_code', _s(20), nullable=True),
        sa.Column('address', _s(500), nullable=True),
        sa.Column('last_seen_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('last_seen_place', _s(500), nullable=True),
        sa.Column('description', _s(1000), nullable=True),
        sa.Column('reporter_name', _s(200), nullable=True),
        sa.Column('reporter_relation', _s(60), nullable=True),
        sa.Column('reporter_phone', _s(30), nullable=True),
        sa.Column('reporter_contact', _s(500), nullable=True),
        sa.Column('reporter_person_id', _s(36), nullable=True),
        sa.Column('reporter_household_id', _s(36), nullable=True),
        sa.Column('status', _s(20), nullable=False),
        sa.Column('matched_person_id', _s(36), nullable=True),
        sa.Column('found_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('reunited_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('reunited_place', _s(500), nullable=True),
        sa.Column('reunited_by', _s(200), nullable=True),
        sa.Column('closed_reason', _s(500), nullable=True),
        sa.Column('closed_at', shared.db.UTCDateTime(), nullable=True),
        sa.Column('source', _s(10), nullable=False),
        sa.Column('pfif_record_id', _s(500), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('matched_version', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('updated_at', shared.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('pfif_record_id', name='uq_tracing_pfif_record'),
    )
    op.create_index('ix_tracing_created', 'tracing_requests', ['created_at', 'id'])
    op.create_index('ix_tracing_status', 'tracing_requests', ['status'])
    op.create_index('ix_tracing_event', 'tracing_requests', ['event_id'])
    op.create_index('ix_tracing_subject', 'tracing_requests', ['subject_person_id'])
    op.create_table(
        'tracing_matches',
        sa.Column('request_id', _s(36), nullable=False),
        sa.Column('person_id', _s(36), nullable=False),
        sa.Column('event_id', _s(36), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('strong', sa.Boolean(), nullable=False),
        sa.Column('first_seen_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('updated_at', shared.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('request_id', 'person_id'),
    )
    op.create_table(
        'tracing_match_keys',
        sa.Column('match_key', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('request_id', _s(36), nullable=False),
        sa.PrimaryKeyConstraint('match_key', 'request_id'),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'tracing_cursor',
        sa.Column('name', _s(30), nullable=False),
        sa.Column('created_at', shared.db.UTCDateTime(), nullable=False),
        sa.Column('person_id', _s(36), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('tracing_cursor')
    op.drop_table('tracing_match_keys')
    op.drop_table('tracing_matches')
    for name in ('ix_tracing_subject', 'ix_tracing_event', 'ix_tracing_status', 'ix_tracing_created'):
        op.drop_index(name, table_name='tracing_requests')
    op.drop_table('tracing_requests')
