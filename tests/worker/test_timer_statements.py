"""A timer firing, counted (issue 15): its statements are the worker's cost per due instance, and a
change that adds one to every fire fails here (raise the bound on purpose, and say why).

The test diagram's deadline cancels the open task and ends the instance, so the fire also closes
the case: the instance under its lock with its case and the case's last event, the state, the
cancelled task, two events (fired, case closed), the passage, the case row, and the seal."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from app.engine.clock import FixedClock
from app.service import Service, timers
from persistence.models import Case, HumanTask

from .conftest import DEADLINE, FORMS, PROCESSES

# At most this many statements in the fire's transaction (BEGIN/COMMIT apart); PostgreSQL one more:
# the seal's row lock on the case.
AT_MOST = {"sqlite": 13, "postgresql": 14}


def test_one_timer_fire_stays_within_its_statements(worker_db, clock):
    service = Service(worker_db, PROCESSES, FORMS, clock=clock)
    warm, case = (service.start_case("worker_timer", {"omschrijving": f"telling {i}"}, "anna") for i in range(2))
    now = DEADLINE + timedelta(seconds=1)
    worker = Service(worker_db, PROCESSES, FORMS, clock=FixedClock(now))
    first, second = timers.due_instance_ids(worker.ctx, now, 10)
    assert timers.fire_instance(worker.ctx, first, now) is not None  # a running worker: its caches are warm
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")):
            statements.append(" ".join(statement.split())[:120])

    engine = worker.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = timers.fire_instance(worker.ctx, second, now)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert result is not None and result.case_id == case.id and result.fired
    with service.ctx.reading() as session:
        assert session.scalar(select(Case.status).where(Case.id == case.id)) == "afgesloten"
        assert session.scalars(select(HumanTask.state).where(HumanTask.case_id == case.id)).all() == ["cancelled"]
    assert len(statements) <= AT_MOST[engine.dialect.name], "\n".join(statements)
    service.engine.dispose()
    worker.engine.dispose()
