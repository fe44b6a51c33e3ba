"""Insight (the overview, issue 14): element_passage, a narrow projection of the event log (which
element each instance passed, when), filled here from the events already written; and indexes for
a step's deadlines, the steps done in a period and a task's completion and claim events

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:30:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.create_table('element_passage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('bpmn_id', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['casus.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_element_passage_case_id', 'element_passage', ['case_id'])
    op.create_index('ix_passage_element', 'element_passage', ['process_id', 'bpmn_id', 'instance_id', 'at'])
    op.create_index('ix_task_bpmn_due', 'human_task', ['bpmn_id', 'due_at'])
    op.create_index('ix_task_completed_at', 'human_task', ['completed_at'])
    op.create_index('ix_event_type_task', 'event', ['type', 'human_task_id'])
    _backfill()


def _backfill() -> None:
    """The same rows app/service/insight/passages.py writes with each new event."""
    bind = op.get_bind()
    passage = sa.table('element_passage', sa.column('case_id'), sa.column('instance_id'), sa.column('process_id'),
                       sa.column('bpmn_id'), sa.column('kind'), sa.column('at'))
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, case_id, instance_id, type, task_bpmn_id, at, data FROM event "
            "WHERE id > :last AND instance_id IS NOT NULL ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        new = []
        for row in rows:
            data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
            for process_id, bpmn_id, kind in passed(row.type, row.task_bpmn_id, data):
                new.append(dict(case_id=row.case_id, instance_id=row.instance_id, process_id=process_id,
                                bpmn_id=bpmn_id, kind=kind, at=row.at))
        if new:
            bind.execute(passage.insert(), new)
        last = rows[-1].id


def passed(type_: str, task_bpmn_id, data: dict) -> list:
    """(process_id, bpmn_id, kind) of an event; kept equal to app/service/insight/passages.py."""
    items = []
    if type_ == "task_completed" and task_bpmn_id and data.get("process_id"):
        items.append((data["process_id"], task_bpmn_id, "UserTask"))
    for step in data.get("steps") or []:
        if step.get("bpmn_id") and step.get("process_id"):
            items.append((step["process_id"], step["bpmn_id"], step.get("type") or ""))
    return items


def downgrade() -> None:
    op.drop_index('ix_event_type_task', 'event')
    op.drop_index('ix_task_completed_at', 'human_task')
    op.drop_index('ix_task_bpmn_due', 'human_task')
    op.drop_index('ix_passage_element', 'element_passage')
    op.drop_index('ix_element_passage_case_id', 'element_passage')
    op.drop_table('element_passage')
