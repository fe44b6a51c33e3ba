"""What the page tests share: the app on a test database with the demo users and their demo
passwords (`<username>-demo`), browsers (Flask test clients) that log in through the real login
form with its CSRF token, and cases driven through the service layer to where a page needs them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.security import generate_password_hash

from app import create_app
from app.config import Settings
from app.demo import DEMO_USERS, demo_password
from tests.conftest import FORMS, PROCESSES
from tests.procedures.driver import casus

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REASON_PAGE = re.compile(r"^(?:https?://[^/]+)?/casussen/\d+/reden\?")
P0 = "p0_consultatie_advies"

CAB = {
    "advies_type": "andere_aanpak",
    "advies_tekst": "Zorg inzetten en een interventiegesprek voeren.",
    "afspraken": [{"wie": "Anna de Jong", "wat": "Interventiegesprek organiseren"}],
    "interventies": ["zorg", "interventiegesprek"],
}

_HASHES: dict[str, str] = {}


def password_hash(username: str) -> str:
    """scrypt is slow on purpose: hashed once per test session, not once per test."""
    if username not in _HASHES:
        _HASHES[username] = generate_password_hash(demo_password(username), method="scrypt")
    return _HASHES[username]


def add_demo_users(service) -> None:
    for username, naam, rollen, gemeente, organisatie in DEMO_USERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, organisatie=organisatie,
                            email=f"{username}@example.org", password_hash=password_hash(username))


def make_app(service, **settings):
    app = create_app(Settings(database_url=str(service.engine.url), processes_dir=PROCESSES, forms_dir=FORMS,
                              secret_key="web-test-secret", **settings), service=service)
    app.config["TESTING"] = True
    return app


class Browser:
    """A test client that keeps its cookies and fills in the CSRF token of the last page it read."""

    def __init__(self, app, reden: str | None = "kwaliteitsonderzoek"):
        self.client = app.test_client()
        self.token: str | None = None
        # An auditor or beheerder is asked the reason of access before a case's first page
        # (app/web/access_logging.py); tests about something else answer it with this one.
        # None: the reason page is returned as it is (the tests of the reason itself).
        self.reden = reden

    def get(self, url: str, **kwargs):
        response = self._get(url, **kwargs)
        location = response.headers.get("Location", "") if response.status_code == 302 else ""
        if self.reden and REASON_PAGE.match(location):
            self._get(location)
            self.post(location, {"doel": self.reden})
            response = self._get(url, **kwargs)
        return response

    def _get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        match = CSRF.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if match:
            self.token = match.group(1)
        return response

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/inloggen")
            data.setdefault("csrf_token", self.token)
        response = self.client.post(url, data=data, **kwargs)
        match = CSRF.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if match:
            self.token = match.group(1)
        return response

    def login(self, username: str, password: str | None = None):
        """Through the login form; like a browser it then follows the redirect (which also picks
        up the new session's CSRF token)."""
        self.get("/inloggen")
        response = self.post("/inloggen", {"gebruikersnaam": username, "wachtwoord": password or demo_password(username)})
        if response.status_code == 302:
            self.get(response.headers["Location"])
        return response


@dataclass
class Web:
    app: object
    service: object
    clock: object

    def browser(self, username: str | None = None, reden: str | None = "kwaliteitsonderzoek") -> Browser:
        browser = Browser(self.app, reden)
        if username:
            response = browser.login(username)
            assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
        return browser

    # --- cases through the service layer ------------------------------------------------------

    def start_case(self, actor: str = "anna", **overrides) -> int:
        return self.service.start_case(P0, casus(**overrides), actor).id

    def open_task(self, case_id: int, bpmn_id: str):
        tasks = [t for t in self.service.tasks(case_id=case_id) if t.bpmn_id == bpmn_id]
        assert len(tasks) == 1, f"{bpmn_id} not open in case {case_id}: {[t.bpmn_id for t in self.service.tasks(case_id=case_id)]}"
        return tasks[0]

    def complete(self, case_id: int, bpmn_id: str, data: dict, actor: str):
        task = self.open_task(case_id, bpmn_id)
        self.service.complete_task(task.id, data, actor)
        return task


def build_web(service, clock) -> Web:
    add_demo_users(service)
    return Web(make_app(service), service, clock)


def html(response) -> str:
    return response.get_data(as_text=True)


GEMEENTEN = ["roosendaal", "moerdijk", "rucphen", "zundert", "etten_leur"]


def seed_open_tasks(service, count: int, *, role: str = "veiligheidsteam", per_case: int = 10) -> None:
    """`count` open tasks for `role` without assignee, `per_case` per case, inserted straight into
    the tables (a test-only shortcut: running 1,000 cases through the engine is not the point).
    Deadlines spread from 20 days ago to 80 days ahead; every 7th task has none; the procedure
    alternates between P0 and P3; gemeenten rotate."""
    import uuid
    from datetime import timedelta

    from sqlalchemy import insert, select

    from persistence.models import Case, HumanTask, ProcessInstance, ProcessVersion

    now = service.ctx.now()
    cases = -(-count // per_case)
    with service.engine.begin() as connection:
        version_id = connection.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == P0).limit(1))
        connection.execute(insert(Case), [
            {"referentie": f"SEED-{i:05d}", "gemeente": GEMEENTEN[i % len(GEMEENTEN)], "inbrenger": "bram",
             "jeugdige_initialen": "S" + chr(65 + i % 26), "maatregel": "geen",
             "gegevens": {}, "status": "open", "aangemaakt_op": now}
            for i in range(cases)])
        case_ids = connection.scalars(select(Case.id).where(Case.referentie.like("SEED-%")).order_by(Case.id)).all()
        connection.execute(insert(ProcessInstance), [
            {"case_id": case_id, "process_version_id": version_id, "process_id": P0, "state": "{}",
             "serializer_version": "seed", "version": 1, "status": "running", "waiting_messages": [],
             "started_at": now, "updated_at": now} for case_id in case_ids])
        instances = dict(connection.execute(select(ProcessInstance.case_id, ProcessInstance.id)
                                            .where(ProcessInstance.case_id.in_(case_ids))).all())
        rows = []
        for i in range(count):
            case_id = case_ids[i // per_case]
            p3 = i % 2 == 1
            rows.append({
                "case_id": case_id, "instance_id": instances[case_id], "spiff_task_id": str(uuid.uuid4()),
                "bpmn_id": "Task_InterventiegesprekVoeren" if p3 else "Task_CabHouden",
                "name": f"Zaaktaak {i:05d}", "process_id": "p3_interventiegesprek" if p3 else P0, "role": role,
                "assignee": None, "form_key": "p3_interventiegesprek_voeren" if p3 else "p0_cab_houden",
                "due_at": None if i % 7 == 0 else now + timedelta(hours=(i % 100) * 24 - 20 * 24 + 3),
                "state": "open", "created_at": now,
            })
        connection.execute(insert(HumanTask), rows)
