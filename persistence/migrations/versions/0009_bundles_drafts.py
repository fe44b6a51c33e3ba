"""Deployments as bundles (content-addressed files, reason), version identity, retire/default, drafts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 00:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bundle_file',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deployed_by', sa.String(length=80), nullable=False),
    sa.Column('reden', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('samenvatting', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('process_default',
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('gekozen_door', sa.String(length=80), nullable=False),
    sa.Column('gekozen_op', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('process_id')
    )
    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('titel', sa.String(length=200), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner'], ['app_user.username'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_process_draft_owner', 'process_draft', ['owner'])
    with op.batch_alter_table('process_version') as batch:
        batch.add_column(sa.Column('identity_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('deployment_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reden', sa.Text(), nullable=True))
        batch.add_column(sa.Column('teruggezet_van', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('forms', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('parameters_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('letters', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('ingetrokken_op', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('ingetrokken_door', sa.String(length=80), nullable=True))
        batch.create_index('ix_process_version_identity_sha256', ['identity_sha256'])
        batch.create_foreign_key('fk_process_version_deployment', 'deployment', ['deployment_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('process_version') as batch:
        batch.drop_constraint('fk_process_version_deployment', type_='foreignkey')
        batch.drop_index('ix_process_version_identity_sha256')
        for column in ('ingetrokken_door', 'ingetrokken_op', 'letters', 'parameters_sha256', 'forms',
                       'teruggezet_van', 'reden', 'deployment_id', 'identity_sha256'):
            batch.drop_column(column)
    op.drop_index('ix_process_draft_owner', 'process_draft')
    op.drop_table('process_draft')
    op.drop_table('process_default')
    op.drop_table('deployment')
    op.drop_table('bundle_file')
