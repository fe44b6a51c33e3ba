"""Scale: indexes that match each werkbak tab's filter and order (due_at, then id, per assignee and
per role), so a page reads a few index entries whatever the number of open tasks

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:00:00
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Mijn taken: open tasks of one assignee by deadline (the id breaks ties for keyset paging).
    op.create_index('ix_task_assignee_due', 'human_task', ['assignee', 'state', 'due_at', 'id'])
    # Taken voor mijn rollen: open tasks nobody took, per role, by deadline.
    op.create_index('ix_task_role_due', 'human_task', ['role', 'state', 'assignee', 'due_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_task_role_due', 'human_task')
    op.drop_index('ix_task_assignee_due', 'human_task')
