"""persons.merged_into indexed only where set

Revision ID: 20261209_0016
Revises: 20261208_0013
Create Date: 2026-12-07 07:10:00

`ix_persons_merged_into` held an entry for every person, nearly all NULL: one more B-tree insert per
registration for an index that only ever looks up merged persons (the alias chain). A partial index
(`WHERE merged_into IS NOT NULL`, SQLite and PostgreSQL alike) keeps the lookups and costs a normal
registration nothing.
"""
import sqlalchemy as sa
from alembic import op

revision = '20261209_0016'
down_revision = '20261208_0013'
branch_labels = None
depends_on = None

_WHERE = sa.text("merged_into IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_persons_merged_into', table_name='persons')
    op.create_index('ix_persons_merged_into', 'persons', ['merged_into'], sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    op.drop_index('ix_persons_merged_into', table_name='persons')
    op.create_index('ix_persons_merged_into', 'persons', ['merged_into'])
