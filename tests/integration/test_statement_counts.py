"""The hot paths' SQL, counted (issue 15 §2): one request is one transaction, and a change that
adds statements to a completion, a task page or the werkbak fails here.

Counted with a before_cursor_execute listener on the service's engine during exactly one request
(transaction control apart: BEGIN, COMMIT, SAVEPOINT). The bounds are what the product does today
(a completion: the token, the access check, the act, its mails and passages, the next task and the
case's seal at the commit); when a change needs more, raise them here on purpose and say why in
the commit, and lower them when a change saves statements.

On SQLite a request that only reads by its method (GET) starts deferred, without the writer lock;
its access-log row then gets a short immediate transaction of its own (two in all), so reads never
queue behind acts. On PostgreSQL every request is one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import event, select

from persistence.models import HumanTask, OutboxMessage
from tests.api.helpers import ApiApp
from tests.procedures.gesprek_steps import cab
from tests.procedures.driver import casus
from tests.web.helpers import build_web

P0 = "p0_consultatie_advies"
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

# At most this many statements per request (PostgreSQL: one more for a completion, the seal's row lock).
AT_MOST = {
    "api_complete": {"sqlite": 23, "postgresql": 24},
    "task_page_get": {"sqlite": 20, "postgresql": 20},
    "task_page_post": {"sqlite": 26, "postgresql": 27},
    "api_inbox": {"sqlite": 6, "postgresql": 6},
    "werkbak": {"sqlite": 10, "postgresql": 10},
}


@dataclass
class Recorded:
    statements: list[str] = field(default_factory=list)
    begins: list[str] = field(default_factory=list)  # SQLite: the BEGIN we send; PostgreSQL: "BEGIN (implicit)"
    commits: int = 0
    rollbacks: int = 0
    savepoints: int = 0

    @property
    def count(self) -> int:
        return len(self.statements)


class Counter:
    def __init__(self, engine):
        self.engine, self.current = engine, None
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _statement(self, _conn, _cursor, statement, *_args):
        if self.current is None:
            return
        text = " ".join(statement.split())
        if text.upper().startswith(("SAVEPOINT", "RELEASE")):
            self.current.savepoints += 1
        elif not text.upper().startswith(CONTROL):
            self.current.statements.append(text)

    def _begin(self, conn):
        if self.current is not None:
            self.current.begins.append("deferred" if conn.get_execution_options().get("vht_read_only") else "write")

    def _commit(self, _conn):
        if self.current is not None:
            self.current.commits += 1

    def _rollback(self, _conn):
        if self.current is not None:
            self.current.rollbacks += 1

    def request(self, send) -> tuple[object, Recorded]:
        self.current = Recorded()
        try:
            response = send()
        finally:
            recorded, self.current = self.current, None
        return response, recorded


def one_transaction(recorded: Recorded, dialect: str, *, logs_a_read: bool, method: str) -> None:
    assert recorded.rollbacks == 0 and recorded.savepoints == 0, recorded
    if dialect == "sqlite" and method == "GET" and logs_a_read:
        # The reads without the writer lock, then the access-log row with it.
        assert recorded.begins == ["deferred", "write"] and recorded.commits == 2, recorded
    else:
        assert len(recorded.begins) == 1 and recorded.commits == 1, recorded
        if dialect == "sqlite":
            assert recorded.begins == ["write" if method != "GET" else "deferred"]


def show(recorded: Recorded) -> str:
    return f"{recorded.count} statements:\n" + "\n".join(statement[:160] for statement in recorded.statements)


@pytest.fixture
def counted(service):
    return Counter(service.engine), service.engine.dialect.name


def test_api_completion_with_the_next_task_is_one_transaction(service, counted):
    counter, dialect = counted
    api = ApiApp(service)
    anna, vera = api.as_("anna"), api.as_("vera")
    case = service.start_case(P0, casus(), "anna")
    cab_task = next(t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden")
    service.complete_task(cab_task.id, cab("interventiegesprek"), "vera")
    verwerken = next(t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_AdviesVerwerken")
    assert vera  # (a second user's token exists: the lookup is by the token's hash, not a scan)

    response, recorded = counter.request(
        lambda: anna.post(f"/api/tasks/{verwerken.id}/complete", json={"vk_advies_verwerkt": True}))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["next_task"]["task"] == "Task_MomentPlannen"
    one_transaction(recorded, dialect, logs_a_read=False, method="POST")
    assert recorded.count <= AT_MOST["api_complete"][dialect], show(recorded)
    # The act's three mails (a new task each for its assignee) are one INSERT, in the order the
    # act made the tasks.
    assert sum("INSERT INTO outbox_message" in s for s in recorded.statements) == 1, show(recorded)
    with service.ctx.reading() as session:
        keys = session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.case_id == case.id)
                               .order_by(OutboxMessage.id)).all()
        made = session.scalars(select(HumanTask.spiff_task_id).where(
            HumanTask.case_id == case.id, HumanTask.state == "open", HumanTask.assignee.is_not(None))
            .order_by(HumanTask.id)).all()
    assert len(made) == 3 and [key.rsplit(":", 1)[1] for key in keys[-3:]] == made, (keys, made)


def test_api_inbox_is_one_transaction(service, counted):
    counter, dialect = counted
    vera = ApiApp(service).as_("vera")
    for _ in range(3):
        service.start_case(P0, casus(), "anna")

    response, recorded = counter.request(lambda: vera.get("/api/tasks", query_string={"tab": "rol"}))

    assert response.status_code == 200 and response.get_json()["total"] == 3
    one_transaction(recorded, dialect, logs_a_read=True, method="GET")
    assert recorded.count <= AT_MOST["api_inbox"][dialect], show(recorded)


def test_task_page_get_and_post_are_one_transaction_each(service, counted, clock):
    counter, dialect = counted
    web = build_web(service, clock)
    vera = web.browser("vera")
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    form = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.",
            "afspraken-0-wie": "Anna de Jong", "afspraken-0-wat": "Interventiegesprek organiseren",
            "interventies": ["zorg", "interventiegesprek"]}
    vera.get(f"/taken/{task.id}")  # the CSRF token of the page

    page, on_get = counter.request(lambda: vera.client.get(f"/taken/{task.id}"))
    done, on_post = counter.request(lambda: vera.post(f"/taken/{task.id}", {**form, "actie": "afronden"}))

    assert page.status_code == 200 and task.name in page.get_data(as_text=True)
    one_transaction(on_get, dialect, logs_a_read=True, method="GET")
    assert on_get.count <= AT_MOST["task_page_get"][dialect], show(on_get)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert web.service.task(task.id).state == "completed"
    one_transaction(on_post, dialect, logs_a_read=False, method="POST")
    assert on_post.count <= AT_MOST["task_page_post"][dialect], show(on_post)


def test_werkbak_is_one_transaction(service, counted, clock):
    counter, dialect = counted
    web = build_web(service, clock)
    vera = web.browser("vera")
    for _ in range(3):
        web.start_case()

    page, recorded = counter.request(lambda: vera.client.get("/werkbak?tab=rol"))

    assert page.status_code == 200
    one_transaction(recorded, dialect, logs_a_read=True, method="GET")
    assert recorded.count <= AT_MOST["werkbak"][dialect], show(recorded)
