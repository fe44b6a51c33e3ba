"""Scale: indexes that match each werkbak tab's filter and order (due_at or created_at, then id, per
assignee and per role; completed_at per person), so a page reads a few index entries whatever the
number of open tasks; on PostgreSQL trigram indexes for the search (reference, initials, task name);
and the timer worker's claim on an instance (several workers fire disjoint batches)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:00:00
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
TRIGRAM = (('ix_casus_referentie_trgm', 'casus', 'referentie'),
           ('ix_casus_initialen_trgm', 'casus', 'jeugdige_initialen'),
           ('ix_task_name_trgm', 'human_task', 'name'))


def upgrade() -> None:
    # Mijn taken: open tasks of one assignee by deadline (the id breaks ties for keyset paging).
    op.create_index('ix_task_assignee_due', 'human_task', ['assignee', 'state', 'due_at', 'id'])
    # Taken voor mijn rollen: open tasks nobody took, per role, by deadline.
    op.create_index('ix_task_role_due', 'human_task', ['role', 'state', 'assignee', 'due_at', 'id'])
    # The same two sorted "Nieuwste eerst", the auditor's all open tasks, and Afgerond.
    op.create_index('ix_task_assignee_created', 'human_task', ['assignee', 'state', 'created_at', 'id'])
    op.create_index('ix_task_role_created', 'human_task', ['role', 'state', 'assignee', 'created_at', 'id'])
    op.create_index('ix_task_state_due_id', 'human_task', ['state', 'due_at', 'id'])
    op.drop_index('ix_task_state_due', 'human_task')
    op.create_index('ix_task_completed_by_at', 'human_task', ['completed_by', 'state', 'completed_at', 'id'])
    op.drop_index('ix_task_completed_by', 'human_task')
    # The timer worker claims a batch of due instances for a short while (app/service/timers.py).
    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('timer_claimed_by', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('timer_claimed_until', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Search with LIKE '%...%' through trigram indexes. pg_trgm is a trusted extension (any
        # user with CREATE on the database may add it); where it cannot be added the search still
        # works, reading the tab's rows instead of an index.
        available = bind.execute(sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') OR ("
            " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
            " AND (has_database_privilege(current_database(), 'CREATE')"
            "      OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)))")).scalar()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            # fastupdate off: a new row goes into the index at once, not into a pending list
            # that only VACUUM merges (until then the planner prices the index out: without
            # autovacuum, after a bulk load, the search read the whole table).
            for name, table, column in TRIGRAM:
                op.execute(f"CREATE INDEX {name} ON {table} USING gin (lower({column}) gin_trgm_ops) "
                           "WITH (fastupdate = off)")
        else:
            log.warning("pg_trgm is niet beschikbaar of mag niet worden aangemaakt: zoeken in de werkbak "
                        "werkt, maar zonder trigram-index")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _, _ in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_column('timer_claimed_until')
        batch.drop_column('timer_claimed_by')
    op.create_index('ix_task_completed_by', 'human_task', ['completed_by', 'completed_at'])
    op.drop_index('ix_task_completed_by_at', 'human_task')
    op.create_index('ix_task_state_due', 'human_task', ['state', 'due_at'])
    op.drop_index('ix_task_state_due_id', 'human_task')
    op.drop_index('ix_task_role_created', 'human_task')
    op.drop_index('ix_task_assignee_created', 'human_task')
    op.drop_index('ix_task_role_due', 'human_task')
    op.drop_index('ix_task_assignee_due', 'human_task')
