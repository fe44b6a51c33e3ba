"""Insight facts: task_feit, one narrow row per completed user task (its waiting, working and lead
time in seconds, the CAB's date or the conversation's outcome), filled here from the tasks and
events already written; app/service/insight/facts.py writes it with each completion from now on

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Kept equal to app/service/insight/facts.py VALUE_FIELDS.
VALUE_FIELDS = {"Task_CabHouden": "cab_gehouden_op", "Task_InterventiegesprekVoeren": "gesprek_uitkomst"}


def upgrade() -> None:
    op.create_table('task_feit',
    sa.Column('human_task_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('bpmn_id', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total_s', sa.Float(), nullable=False),
    sa.Column('wait_s', sa.Float(), nullable=False),
    sa.Column('work_s', sa.Float(), nullable=False),
    sa.Column('waarde', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('human_task_id'),
    )
    backfill(op.get_bind())
    op.create_index('ix_task_feit_case_id', 'task_feit', ['case_id'])
    op.create_index('ix_task_feit_step', 'task_feit',
                    ['process_id', 'bpmn_id', 'completed_at', 'total_s', 'wait_s', 'work_s'])
    op.execute('ANALYZE task_feit')  # the planner's statistics now, not at the next autovacuum


def backfill(bind) -> None:
    """In one statement: the same values facts.py computes (picked up: the first claim; else at
    once with an assignee; else at completion). tests/insight/test_facts.py compares the two."""
    if bind.dialect.name == "postgresql":
        def seconds(later, earlier):
            return f"extract(epoch from {later} - {earlier})"

        def value(field):
            return f"e.data -> 'data' ->> '{field}'"
    else:
        def seconds(later, earlier):
            return f"(julianday({later}) - julianday({earlier})) * 86400.0"

        def value(field):
            return f"json_extract(e.data, '$.data.{field}')"
    picked = "coalesce(c.claimed, CASE WHEN t.assignee IS NOT NULL THEN t.created_at ELSE t.completed_at END)"
    values = " ".join(
        f"WHEN '{bpmn_id}' THEN (SELECT substr(CAST({value(field)} AS VARCHAR(40)), 1, 40) FROM event e "
        f"WHERE e.type = 'task_completed' AND e.human_task_id = t.id ORDER BY e.id LIMIT 1)"
        for bpmn_id, field in VALUE_FIELDS.items())
    bind.execute(sa.text(
        "INSERT INTO task_feit (human_task_id, case_id, instance_id, process_id, bpmn_id, created_at, due_at, completed_at, "
        "total_s, wait_s, work_s, waarde) "
        f"SELECT t.id, t.case_id, t.instance_id, t.process_id, t.bpmn_id, t.created_at, t.due_at, t.completed_at, "
        f"{seconds('t.completed_at', 't.created_at')}, {seconds(picked, 't.created_at')}, "
        f"{seconds('t.completed_at', picked)}, CASE t.bpmn_id {values} ELSE NULL END "
        "FROM human_task t LEFT JOIN (SELECT human_task_id, min(at) AS claimed FROM event "
        "WHERE type = 'task_claimed' GROUP BY human_task_id) c ON c.human_task_id = t.id "
        "WHERE t.state = 'completed' AND t.completed_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('ix_task_feit_step', 'task_feit')
    op.drop_index('ix_task_feit_case_id', 'task_feit')
    op.drop_table('task_feit')
