"""Incidents: engine failures recorded for the beheerder (one open per instance, element, kind)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('process_id', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('element_id', sa.String(length=120), nullable=False),
    sa.Column('element_name', sa.String(length=255), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data_seen', sa.JSON(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('resolved_how', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['casus.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_incident_case_id', 'incident', ['case_id'], unique=False)
    op.create_index('ix_incident_status', 'incident', ['status', 'last_at'], unique=False)
    op.create_index('ix_incident_instance', 'incident', ['instance_id', 'status'], unique=False)
    op.create_index('ix_incident_open_once', 'incident', ['instance_id', 'element_id', 'kind'], unique=True,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('ix_incident_open_once', table_name='incident')
    op.drop_index('ix_incident_instance', table_name='incident')
    op.drop_index('ix_incident_status', table_name='incident')
    op.drop_index('ix_incident_case_id', table_name='incident')
    op.drop_table('incident')
