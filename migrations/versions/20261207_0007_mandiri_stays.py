"""mandiri stays: a stay's kind, kelurahan and address; shelter optional for mandiri stays

Existing stays become kind `shelter` with their shelter's kelurahan_code (docs/rules.md, "Mandiri stays").
`kind` keeps the server default `shelter`, so bulk writers that predate mandiri stays (demo, benches,
imports) still store shelter stays.

Revision ID: 20261207_0007
Revises: 20261207_0006
Create Date: 2026-12-07 00:15:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '20261207_0007'
down_revision = '20261207_0006'
branch_labels = None
depends_on = None

KIND_CHECK = ("(kind = 'shelter' AND shelter_id IS NOT NULL) OR "
              "(kind = 'mandiri' AND shelter_id IS NULL AND kelurahan_code IS NOT NULL)")


def upgrade() -> None:
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='shelter'))
        batch_op.add_column(sa.Column('kelurahan_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.execute("UPDATE stays SET kelurahan_code = "
               "(SELECT shelters.kelurahan_code FROM shelters WHERE shelters.id = stays.shelter_id)")
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.alter_column('shelter_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        batch_op.create_check_constraint('ck_stays_kind_place', KIND_CHECK)


def downgrade() -> None:
    op.execute("DELETE FROM stays WHERE kind = 'mandiri'")
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.drop_constraint('ck_stays_kind_place', type_='check')
        batch_op.alter_column('shelter_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False)
        batch_op.drop_column('address')
        batch_op.drop_column('kelurahan_code')
        batch_op.drop_column('kind')
