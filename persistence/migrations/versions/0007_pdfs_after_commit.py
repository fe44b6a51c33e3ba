"""PDFs made after the act's commit: an attachment keeps its HTML until its PDF is there

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 20:53:20.987100
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('render_from', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('vk_verzending_id', sa.Integer(), nullable=True))
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_foreign_key('fk_outbox_attachment_vk_verzending', 'vk_verzending',
                                    ['vk_verzending_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_attachment_vk_verzending', type_='foreignkey')
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('vk_verzending_id')
        batch_op.drop_column('render_from')
        batch_op.drop_column('html')
