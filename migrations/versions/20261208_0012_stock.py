"""stock: warehouses, item units and kits, receipts, dispatches, the stock ledger, requests, alerts;
distributions.source_location_id

Revision ID: 20261208_0012
Revises: 20261208_0011
Create Date: 2026-12-08 00:12:00
"""
import sqlalchemy as sa
from alembic import op

import shared.db

revision = '20261208_0012'
down_revision = '20261208_0011'
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, shared.db.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'warehouses',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('kind', sa.String(30), nullable=False),
        sa.Column('kelurahan_code', sa.String(20), nullable=False),
        sa.Column('address', sa.String(500), nullable=True),
        sa.Column('contact_name', sa.String(200), nullable=True),
        sa.Column('contact_phone', sa.String(30), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        _at('created_at'),
    )
    op.create_index('ix_warehouses_created', 'warehouses', ['created_at', 'id'])
    op.create_table(
        'item_units',
        sa.Column('item_code', sa.String(60), sa.ForeignKey('items.code'), primary_key=True),
        sa.Column('unit', sa.String(30), primary_key=True),
        sa.Column('size', sa.String(60), nullable=False),
    )
    op.create_table(
        'item_kit_components',
        sa.Column('kit_code', sa.String(60), sa.ForeignKey('items.code'), primary_key=True),
        sa.Column('item_code', sa.String(60), sa.ForeignKey('items.code'), primary_key=True),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(30), nullable=False),
    )
    op.create_table(
        'stock_receipts',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('event_id', sa.String(36), sa.ForeignKey('events.id'), nullable=False),
        sa.Column('location_id', sa.String(36), nullable=False),
        sa.Column('donor_kind', sa.String(40), nullable=False),
        sa.Column('donor_name', sa.String(200), nullable=False),
        sa.Column('reference_doc', sa.String(100), nullable=True),
        _at('received_at'),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('cash_rupiah', sa.Float(), nullable=True),
        sa.Column('notes', sa.String(1000), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        _at('created_at'),
    )
    op.create_index('ix_stock_receipts_event_created', 'stock_receipts', ['event_id', 'created_at', 'id'])
    op.create_index('ix_stock_receipts_event_cash', 'stock_receipts', ['event_id', 'cash_rupiah', 'received_at'])
    op.create_table(
        'stock_dispatches',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('event_id', sa.String(36), sa.ForeignKey('events.id'), nullable=False),
        sa.Column('from_location_id', sa.String(36), nullable=False),
        sa.Column('to_location_id', sa.String(36), nullable=False),
        _at('sent_at'),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('request_id', sa.String(36), nullable=True),
        sa.Column('vehicle', sa.String(100), nullable=True),
        sa.Column('notes', sa.String(1000), nullable=True),
        _at('received_at', nullable=True),
        sa.Column('receive_id', sa.String(36), nullable=True),
        sa.Column('received_lines', sa.JSON(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        _at('created_at'),
    )
    op.create_index('ix_stock_dispatches_event_created', 'stock_dispatches', ['event_id', 'created_at', 'id'])
    op.create_index('ix_stock_dispatches_event_received', 'stock_dispatches', ['event_id', 'received_at'])
    op.create_index('ix_stock_dispatches_event_route', 'stock_dispatches',
                    ['event_id', 'from_location_id', 'to_location_id', 'sent_at'])
    op.create_table(
        'stock_ledger',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('event_id', sa.String(36), sa.ForeignKey('events.id'), nullable=False),
        sa.Column('location_id', sa.String(36), nullable=False),
        sa.Column('item_code', sa.String(60), sa.ForeignKey('items.code'), nullable=False),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        _at('at'),
        sa.Column('expiry_date', sa.Date(), nullable=True),
        sa.Column('value_rupiah', sa.Float(), nullable=True),
        sa.Column('doc_type', sa.String(20), nullable=False),
        sa.Column('doc_id', sa.String(36), nullable=False),
        sa.Column('reason', sa.String(500), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        _at('created_at'),
    )
    op.create_index('ix_stock_ledger_event_loc', 'stock_ledger', ['event_id', 'location_id', 'item_code', 'at'])
    op.create_index('ix_stock_ledger_doc', 'stock_ledger', ['doc_id'])
    op.create_table(
        'stock_requests',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('event_id', sa.String(36), sa.ForeignKey('events.id'), nullable=False),
        sa.Column('shelter_id', sa.String(36), nullable=False),
        _at('requested_at'),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('notes', sa.String(1000), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        _at('created_at'),
    )
    op.create_index('ix_stock_requests_event_created', 'stock_requests', ['event_id', 'created_at', 'id'])
    op.create_table(
        'stock_alerts',
        sa.Column('event_id', sa.String(36), sa.ForeignKey('events.id'), primary_key=True),
        sa.Column('id', sa.String(120), primary_key=True),
        sa.Column('kind', sa.String(30), nullable=False),
        sa.Column('severity', sa.String(10), nullable=False),
        sa.Column('message', sa.String(500), nullable=False),
        sa.Column('subject', sa.JSON(), nullable=False),
        _at('first_seen'),
        _at('last_seen'),
        _at('cleared_at', nullable=True),
        _at('acked_at', nullable=True),
        sa.Column('acked_by', sa.Integer(), nullable=True),
    )
    op.create_index('ix_stock_alerts_event_open', 'stock_alerts', ['event_id', 'cleared_at'])
    op.create_table(
        'stock_totals',
        sa.Column('event_id', sa.String(36), sa.ForeignKey('events.id'), primary_key=True),
        sa.Column('location_id', sa.String(36), primary_key=True),
        sa.Column('item_code', sa.String(60), primary_key=True),
        sa.Column('expiry', sa.String(10), primary_key=True),
        sa.Column('inflow', sa.Float(), nullable=False),
        sa.Column('outflow', sa.Float(), nullable=False),
        sa.Column('lines', sa.Integer(), nullable=False),
        _at('last_at'),
    )
    with op.batch_alter_table('distributions') as batch:
        batch.add_column(sa.Column('source_location_id', sa.String(36), nullable=True))
    op.create_index('ix_distributions_event_source', 'distributions', ['event_id', 'source_location_id'])


def downgrade() -> None:
    op.drop_index('ix_distributions_event_source', 'distributions')
    with op.batch_alter_table('distributions') as batch:
        batch.drop_column('source_location_id')
    for table in ('stock_totals', 'stock_alerts', 'stock_requests', 'stock_ledger', 'stock_dispatches', 'stock_receipts',
                  'item_kit_components', 'item_units', 'warehouses'):
        op.drop_table(table)
