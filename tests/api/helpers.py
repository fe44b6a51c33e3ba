"""What the API tests share: the app on a test database, clients that send one user's token, and
the users beyond conftest.TEST_USERS that the access rules tell apart."""
from __future__ import annotations

from app import create_app
from app.config import Settings
from tests.conftest import FORMS, PROCESSES
from tests.procedures.driver import casus

# Roles without case work: they see no case unless involved (the auditor reads every case).
EXTRA_USERS = [
    ("ahmed", "Ahmed Auditor", ["auditor"]),
    ("pieter", "Pieter Procesbeheerder", ["procesbeheerder"]),
    ("beheer", "Bea Beheerder", ["beheerder"]),
    ("vince", "Vince VHT", ["veiligheidsteam"]),  # a colleague of vera: same role
]

P0 = "p0_consultatie_advies"


class ApiClient:
    """Flask's test client, sending `Authorization: Bearer <token>` when it has a token."""

    def __init__(self, client, token: str | None = None, username: str | None = None):
        self.client, self.token, self.username = client, token, username

    def open(self, method: str, url: str, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        # The reason of access an auditor gives with each read of a case (app/api/access_logging.py);
        # ignored for who takes part in the case. The tests of the reason itself send their own.
        headers.setdefault("X-Reden-Inzage", "kwaliteitsonderzoek")
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self.open("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.open("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.open("PUT", url, **kwargs)


class ApiApp:
    def __init__(self, service):
        self.service = service
        for username, naam, rollen in EXTRA_USERS:
            service.upsert_user(username, naam, rollen, email=f"{username}@example.org")
        settings = Settings(database_url=service.engine.url.render_as_string(hide_password=False),
                            processes_dir=PROCESSES, forms_dir=FORMS, secret_key="api-test")
        self.app = create_app(settings, service=service)
        self._clients: dict[str, ApiClient] = {}

    def as_(self, username: str) -> ApiClient:
        if username not in self._clients:
            self._clients[username] = ApiClient(self.app.test_client(), self.service.issue_token(username), username)
        return self._clients[username]

    @property
    def anonymous(self) -> ApiClient:
        return ApiClient(self.app.test_client())


def start_p0(client: ApiClient, **overrides) -> dict:
    """Starts P0 for a new case through the API; the case as the API returns it."""
    response = client.post("/api/cases", json={"process_id": P0, "data": casus(**overrides)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_task(case_json: dict, bpmn_id: str) -> dict:
    matches = [t for t in case_json["open_tasks"] if t["task"] == bpmn_id]
    assert len(matches) == 1, [t["task"] for t in case_json["open_tasks"]]
    return matches[0]


def assert_error(response, status: int, code: str) -> dict:
    """The API's one error shape; returns its `velden`."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"code", "bericht", "velden"}, body
    assert body["code"] == code, body
    assert isinstance(body["bericht"], str) and body["bericht"]
    return body["velden"]
