"""The web skeleton answers: the front page and the health check."""
from app import create_app
from app.config import Settings
from tests.conftest import FORMS, PROCESSES


def test_home_and_health(sqlite_service):
    settings = Settings(database_url=str(sqlite_service.engine.url), processes_dir=PROCESSES, forms_dir=FORMS,
                        secret_key="test")
    client = create_app(settings, service=sqlite_service).test_client()
    home = client.get("/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "VeiligheidsTeam" in page and "p3_interventiegesprek" in page
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
