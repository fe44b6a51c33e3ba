"""The web app answers: the front page (the werkbak, behind the login) and the health check."""
from app import create_app
from app.config import Settings
from tests.conftest import FORMS, PROCESSES


def test_home_and_health(sqlite_service):
    settings = Settings(database_url=str(sqlite_service.engine.url), processes_dir=PROCESSES, forms_dir=FORMS,
                        secret_key="test")
    client = create_app(settings, service=sqlite_service).test_client()
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/inloggen?volgende=/"
    login = client.get(home.headers["Location"])
    assert login.status_code == 200 and "VeiligheidsTeam" in login.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}


def test_health_says_503_when_the_database_is_not_initialised(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/leeg.sqlite", processes_dir=PROCESSES,
                        forms_dir=FORMS, secret_key="test")
    response = create_app(settings).test_client().get("/healthz")
    assert response.status_code == 503 and "vht init-db" in response.get_json()["bericht"]
