"""Organisations taking part in a case (visibility per organisation); the 18-/18+ starts of the worker

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('casus_organisatie',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('rol', sa.String(length=40), nullable=False),
    sa.Column('organisatie', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['casus.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'rol', 'organisatie')
    )
    op.create_table('achttien_start',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('jeugdige', sa.String(length=300), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('gestart_op', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['casus.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'jeugdige')
    )


def downgrade() -> None:
    op.drop_table('achttien_start')
    op.drop_table('casus_organisatie')
