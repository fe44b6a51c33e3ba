"""accounts, membership, drafts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:58:03.659221
"""
from alembic import op
import sqlalchemy as sa



revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_key_at', ['key', 'at'], unique=False)

    op.create_table('case_member',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('reden', sa.String(length=200), nullable=True),
    sa.Column('added_by', sa.String(length=80), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['casus.id'], ),
    sa.ForeignKeyConstraint(['username'], ['app_user.username'], ),
    sa.PrimaryKeyConstraint('case_id', 'username')
    )
    with op.batch_alter_table('case_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_member_username'), ['username'], unique=False)

    op.create_table('task_draft',
    sa.Column('human_task_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['human_task_id'], ['human_task.id'], ),
    sa.PrimaryKeyConstraint('human_task_id', 'username')
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('api_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_app_user_api_token_hash', ['api_token_hash'])

    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_role', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('called_sha256', sa.JSON(), nullable=True))

    # The inbox's "afgerond" tab; the task's instructions from the diagram.
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('documentation', sa.Text(), nullable=True))
        batch_op.create_index('ix_task_completed_by', ['completed_by', 'completed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_completed_by')
        batch_op.drop_column('documentation')

    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('called_sha256')
        batch_op.drop_column('start_role')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_app_user_api_token_hash', type_='unique')
        batch_op.drop_column('api_token_hash')
        batch_op.drop_column('password_hash')

    op.drop_table('task_draft')
    with op.batch_alter_table('case_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_member_username'))

    op.drop_table('case_member')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_key_at')

    op.drop_table('login_attempt')

