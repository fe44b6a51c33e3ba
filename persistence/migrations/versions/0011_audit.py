"""Audit: keyed seals over each case (and the process versions), the access log (NEN 7513),
closing and destruction dates of a case, the sha256 of each PDF in the Veiligheidskaart send log

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=60), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain', 'seq', name='uq_audit_seal_chain_seq'),
    )
    op.create_index('ix_audit_seal_case_id', 'audit_seal', ['case_id'])
    op.create_table('toegang_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('rollen', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('wat', sa.String(length=200), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.Column('sessie', sa.String(length=64), nullable=True),
    sa.Column('betrokken', sa.Boolean(), nullable=False),
    sa.Column('doel', sa.String(length=40), nullable=True),
    sa.Column('toelichting', sa.String(length=500), nullable=True),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_toegang_case_at', 'toegang_log', ['case_id', 'at'])
    op.create_index('ix_toegang_user_at', 'toegang_log', ['username', 'at'])
    op.create_index('ix_toegang_at', 'toegang_log', ['at'])
    op.create_index('ix_toegang_sessie_case', 'toegang_log', ['sessie', 'case_id'])
    with op.batch_alter_table('casus') as batch:
        batch.add_column(sa.Column('afgesloten_op', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('vernietigd_op', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('vernietigd_door', sa.String(length=80), nullable=True))
    with op.batch_alter_table('vk_verzending') as batch:
        batch.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vk_verzending') as batch:
        batch.drop_column('pdf_sha256')
    with op.batch_alter_table('casus') as batch:
        batch.drop_column('vernietigd_door')
        batch.drop_column('vernietigd_op')
        batch.drop_column('afgesloten_op')
    op.drop_table('toegang_log')
    op.drop_table('audit_seal')
