"""Renstra registers: the TAGANA roster, its trainings and certificates, and preparedness activities

Revision ID: 20261208_0011
Revises: 20261207_0011
Create Date: 2026-12-08 00:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db

revision = '20261208_0011'
down_revision = '20261207_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preparedness_activities',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('kelurahan_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('participants_male', sa.Integer(), nullable=False),
    sa.Column('participants_female', sa.Integer(), nullable=False),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', shared.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('preparedness_activities', schema=None) as batch_op:
        batch_op.create_index('ix_preparedness_activities_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_preparedness_activities_held_on', ['held_on', 'kind'], unique=False)

    op.create_table('tagana_volunteers',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('kelurahan_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', shared.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('tagana_volunteers', schema=None) as batch_op:
        batch_op.create_index('ix_tagana_volunteers_created', ['created_at', 'id'], unique=False)

    op.create_table('tagana_trainings',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('volunteer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('organizer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=False),
    sa.Column('level_at_training', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('certificate_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['tagana_volunteers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tagana_trainings', schema=None) as batch_op:
        batch_op.create_index('ix_tagana_trainings_ended_on', ['ended_on'], unique=False)
        batch_op.create_index('ix_tagana_trainings_volunteer', ['volunteer_id', 'ended_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tagana_trainings', schema=None) as batch_op:
        batch_op.drop_index('ix_tagana_trainings_volunteer')
        batch_op.drop_index('ix_tagana_trainings_ended_on')

    op.drop_table('tagana_trainings')
    with op.batch_alter_table('tagana_volunteers', schema=None) as batch_op:
        batch_op.drop_index('ix_tagana_volunteers_created')

    op.drop_table('tagana_volunteers')
    with op.batch_alter_table('preparedness_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_preparedness_activities_held_on')
        batch_op.drop_index('ix_preparedness_activities_created')

    op.drop_table('preparedness_activities')
