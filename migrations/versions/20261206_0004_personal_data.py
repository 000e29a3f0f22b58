"""personal data: audit detail and row counts; replay copies become fingerprints

Revision ID: 20261206_0004
Revises: 20261206_0003
Create Date: 2026-12-06 21:00:00

`client_operations.payload` held the normalised request (names, NIKs, notes) to tell a replay
from a conflicting reuse of an id. It now holds only a hash of it (shared/services/idempotency.py);
this converts the rows written before. The hashing is copied here, frozen, so later changes of the
service cannot change what this migration did.
"""
import hashlib
import json

import sqlalchemy as sa
import sqlmodel
from alembic import op
from pydantic_core import to_json

import shared.db

revision = '20261206_0004'
down_revision = '20261206_0003'
branch_labels = None
depends_on = None

FIELD_TIME_DEFAULTS = ("registered_at", "opened_at", "delivered_at", "at")


def _canonical(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return {k: _canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _digest(value):  # type: ignore[no-untyped-def]
    return hashlib.sha256(to_json(_canonical(value))).hexdigest()


def _seal(content, time_defaults):  # type: ignore[no-untyped-def]
    skip = set(time_defaults)
    rest = {k: v for k, v in content.items() if k not in skip}
    times = {k: (None if content[k] is None else _digest(content[k])) for k in sorted(skip) if k in content}
    return {"fp": 1, "h": _digest(rest), "t": times}


def upgrade() -> None:
    with op.batch_alter_table('persons') as batch:
        batch.add_column(sa.Column('anonymised_at', shared.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column('row_count', sa.Integer(), nullable=True))
        batch.create_index('ix_audit_log_action', ['action'])
        batch.create_index('ix_audit_log_at', ['at'])
    conn = op.get_bind()
    ops = sa.table('client_operations', sa.column('kind', sa.String), sa.column('id', sa.String),
                   sa.column('payload', sa.JSON))
    rows = conn.execute(sa.select(ops.c.kind, ops.c.id, ops.c.payload)).all()
    for kind, op_id, payload in rows:
        if isinstance(payload, (str, bytes)):
            payload = json.loads(payload)
        if not isinstance(payload, dict) or (payload.get("fp") == 1 and "h" in payload):
            continue
        sealed = _seal(payload, () if kind == "event" else FIELD_TIME_DEFAULTS)
        conn.execute(ops.update().where(ops.c.kind == kind, ops.c.id == op_id).values(payload=sealed))


def downgrade() -> None:
    # Fingerprints cannot be turned back into the content they hash: they stay (replays still compare).
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_index('ix_audit_log_at')
        batch.drop_index('ix_audit_log_action')
        batch.drop_column('row_count')
        batch.drop_column('detail')
    with op.batch_alter_table('persons') as batch:
        batch.drop_column('anonymised_at')
