"""Personal data stays out of caches and logs: `Cache-Control: no-store` on everything but our
own static files, and log lines that carry the request id and case id instead of values."""
from __future__ import annotations

import io
import logging
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import logs
from tests.vk.steps import naar_rvdk
from tests.web.helpers import add_demo_users, html, make_app

NAME = "Petra de Vries"


def test_pages_pdfs_and_api_answers_are_not_stored_by_browsers_or_proxies(web):
    case_id = naar_rvdk(web.service, web.clock).case_id  # a case with a Veiligheidskaart
    assert web.app.test_client().get("/inloggen").headers["Cache-Control"] == "no-store"
    anna = web.browser("anna")
    for url in ("/werkbak", f"/casussen/{case_id}", f"/casussen/{case_id}/veiligheidskaart",
                f"/casussen/{case_id}/veiligheidskaart/pdf"):
        response = anna.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    token = web.service.issue_token("anna")
    response = web.app.test_client().get(f"/api/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    # Our own stylesheet may be cached: it holds no personal data.
    response = anna.get("/static/css/vht.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_database_errors_name_the_statement_but_not_the_values(service):
    with pytest.raises(SQLAlchemyError) as caught:
        with service.engine.connect() as connection:
            connection.execute(text("SELECT * FROM bestaat_niet WHERE naam = :naam"), {"naam": NAME})
    assert "bestaat_niet" in str(caught.value)
    assert NAME not in str(caught.value)


@pytest.fixture
def log_stream():
    """The server's log configuration (as `vht serve` sets it), written to a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    logs.configure(logging.INFO, stream=stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_an_unexpected_error_is_logged_with_request_and_case_id_but_without_personal_data(sqlite_service, log_stream):
    add_demo_users(sqlite_service)
    app = make_app(sqlite_service)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the person gets the error page

    @app.get("/test/fout/<int:case_id>")
    def failing(case_id):
        try:
            with sqlite_service.engine.connect() as connection:
                connection.execute(text("SELECT * FROM bestaat_niet WHERE naam = :naam"), {"naam": NAME})
        except SQLAlchemyError as exc:
            raise KeyError(f"ouder {NAME}") from exc

    response = app.test_client().get("/test/fout/41")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert f"Foutcode: <code>{request_id}</code>" in html(response)

    logged = log_stream.getvalue()
    assert f"verzoek={request_id} casus=41" in logged
    assert "KeyError" in logged and "OperationalError" in logged  # what went wrong, and where
    assert NAME not in logged
    assert "bestaat_niet" in logged or "failing" in logged


def test_a_request_id_from_a_proxy_is_kept_only_when_it_looks_like_one(web):
    client = web.app.test_client()
    assert client.get("/inloggen", headers={"X-Request-ID": "proxy-1234abcd"}).headers["X-Request-ID"] == "proxy-1234abcd"
    sent = client.get("/inloggen", headers={"X-Request-ID": f"naam {NAME}"}).headers["X-Request-ID"]
    assert NAME not in sent and re.fullmatch(r"[0-9a-f]{16}", sent)
