"""task_feit (app/service/insight/facts.py): the numbers each completion writes equal those the
migration 0014 computes from the tasks and events for data written before it, on SQLite and
PostgreSQL: a claimed CAB (waiting until the claim), tasks completed from the werkbak, the CAB's
date and the conversation's outcome."""
from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from persistence.models import HumanTask, TaskFeit
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import (
    cab, gesprek_op_12_maart,
)
from tests.web.helpers import add_demo_users

MIGRATION = Path(__file__).resolve().parents[2] / "persistence/migrations/versions/0014_insight_facts.py"
YOUNG = [{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}]


def _backfill():
    spec = importlib.util.spec_from_file_location("migration_0014", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.backfill


def _facts(service) -> dict:
    with service.engine.connect() as connection:
        rows = connection.execute(select(TaskFeit.__table__)).mappings().all()
    return {row["human_task_id"]: dict(row) for row in rows}


def test_facts_of_completions_equal_the_migrations(service, clock):
    add_demo_users(service)
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus(jeugdigen=YOUNG))
    cab_task = case.task("Task_CabHouden")
    clock.advance(timedelta(hours=1))
    service.claim(cab_task.id, "vera")
    clock.advance(timedelta(hours=2))
    service.complete_task(cab_task.id, cab("interventiegesprek"), "vera")
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    gesprek_op_12_maart(case)

    written = _facts(service)
    with service.engine.connect() as connection:
        completed = set(connection.scalars(select(HumanTask.id).where(HumanTask.state == "completed")))
    assert set(written) == completed and len(completed) > 5
    by_step = {row["bpmn_id"]: row for row in written.values()}
    claimed = by_step["Task_CabHouden"]
    assert (claimed["wait_s"], claimed["work_s"], claimed["total_s"]) == (3600, 7200, 10800)
    assert claimed["waarde"] == cab("interventiegesprek")["cab_gehouden_op"]
    assert by_step["Task_InterventiegesprekVoeren"]["waarde"] == "gevoerd"

    with service.engine.begin() as connection:
        connection.execute(delete(TaskFeit.__table__))
        _backfill()(connection)
    filled = _facts(service)
    assert set(filled) == set(written)
    for task_id, row in written.items():
        again = filled[task_id]
        for column in ("case_id", "instance_id", "process_id", "bpmn_id", "created_at", "due_at", "completed_at",
                       "waarde"):
            assert again[column] == row[column], (row["bpmn_id"], column)
        for column in ("total_s", "wait_s", "work_s"):
            assert again[column] == pytest.approx(row[column], abs=0.01), (row["bpmn_id"], column)
