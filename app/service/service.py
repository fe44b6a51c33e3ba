"""`Service`: the one entry point for the web layer, the API, the CLI and the worker."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from app.engine import clock as clock_mod
from app.formdefs import FormRegistry
from persistence.db import make_engine, make_sessionmaker
from persistence.models import Case, Event, HumanTask, ProcessVersion

from . import cases, deploy, messages, replay, tasks, timers, users
from .context import Context, get_or_404, load_parameters
from .events import SYSTEM


class Service:
    def __init__(self, database_url: str | None, processes_dir: Path, forms_dir: Path,
                 clock: clock_mod.Clock | None = None, engine=None):
        self.engine = engine or make_engine(database_url)
        self.ctx = Context(
            sessions=make_sessionmaker(self.engine),
            processes_dir=Path(processes_dir),
            forms=FormRegistry(Path(forms_dir)),
            clock=clock or clock_mod.SystemClock(),
            parameters=load_parameters(Path(processes_dir)),
        )

    # --- set-up -------------------------------------------------------------------------

    def init_db(self) -> None:
        from persistence import migrate

        migrate.upgrade(self.engine)

    def deploy(self, folder: Path | None = None, actor: str = SYSTEM) -> list[deploy.Deployed]:
        with self.ctx.transaction() as session:
            return deploy.deploy(session, Path(folder or self.ctx.processes_dir), self.ctx.forms, actor, self.ctx.now())

    def upsert_user(self, username: str, naam: str, rollen: list[str], **fields) -> None:
        with self.ctx.transaction() as session:
            users.upsert(session, username, naam, rollen, **fields)

    # --- acting -------------------------------------------------------------------------

    def start_case(self, process_id: str, data: dict, actor: str) -> Case:
        with self.ctx.transaction() as session:
            case, _ = cases.start_case(self.ctx, session, process_id, data, actor)
            return case

    def complete_task(self, task_id: int, data: dict, actor: str) -> HumanTask:
        with self.ctx.transaction() as session:
            return tasks.complete(self.ctx, session, task_id, data, actor)

    def claim(self, task_id: int, actor: str) -> HumanTask:
        with self.ctx.transaction() as session:
            return tasks.claim(self.ctx, session, task_id, actor)

    def unclaim(self, task_id: int, actor: str) -> HumanTask:
        with self.ctx.transaction() as session:
            return tasks.unclaim(self.ctx, session, task_id, actor)

    def deliver_message(self, case_id: int, name: str, payload: dict, actor: str):
        with self.ctx.transaction() as session:
            return messages.deliver_message(self.ctx, session, case_id, name, payload, actor)

    def fire_due_timers(self, now: datetime | None = None) -> list[timers.TimerResult]:
        return timers.fire_due_timers(self.ctx, now)

    # --- reading ------------------------------------------------------------------------

    def tasks(self, **filters) -> list[HumanTask]:
        with self.ctx.transaction() as session:
            return tasks.list_tasks(session, **filters)

    def task(self, task_id: int) -> HumanTask:
        with self.ctx.transaction() as session:
            return get_or_404(session, HumanTask, task_id, "Taak")

    def case(self, case_id: int) -> Case:
        with self.ctx.transaction() as session:
            case = get_or_404(session, Case, case_id, "Casus")
            _ = case.instances  # loaded while the session is open
            return case

    def cases(self) -> list[Case]:
        with self.ctx.transaction() as session:
            rows = session.scalars(select(Case).order_by(Case.id)).all()
            for row in rows:
                _ = row.instances
            return rows

    def case_history(self, case_id: int) -> list[Event]:
        with self.ctx.transaction() as session:
            get_or_404(session, Case, case_id, "Casus")
            return session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()

    def replay_case(self, case_id: int) -> replay.ReplayReport:
        with self.ctx.transaction() as session:
            return replay.replay_case(self.ctx, session, case_id)

    def summary(self) -> dict:
        with self.ctx.transaction() as session:
            return {
                "open_tasks": session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")),
                "cases": session.scalar(select(func.count()).select_from(Case)),
            }

    def process_versions(self) -> list[ProcessVersion]:
        with self.ctx.transaction() as session:
            return session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version)).all()
