"""Programs sign in with `Authorization: Bearer <token>` (vht token USER). Without a valid token
every API route answers 401 in JSON with a WWW-Authenticate header; the documentation is public."""
import pytest

from .helpers import assert_error

PROTECTED = [
    ("GET", "/api/cases"), ("POST", "/api/cases"), ("GET", "/api/cases/1"), ("GET", "/api/cases/1/history"),
    ("GET", "/api/processes"), ("GET", "/api/tasks"), ("GET", "/api/tasks/1"), ("POST", "/api/tasks/1/claim"),
    ("POST", "/api/tasks/1/unclaim"), ("POST", "/api/tasks/1/assign"), ("PUT", "/api/tasks/1/draft"),
    ("POST", "/api/tasks/1/complete"),
]


@pytest.mark.parametrize("method, url", PROTECTED, ids=[f"{m} {u}" for m, u in PROTECTED])
def test_every_route_needs_a_token(sqlite_api, method, url):
    response = sqlite_api.anonymous.open(method, url, json={})
    assert_error(response, 401, "niet_aangemeld")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="vht"'
    assert response.mimetype == "application/json"


def test_a_wrong_token_or_scheme_is_refused(sqlite_api):
    client = sqlite_api.anonymous
    wrong = client.get("/api/cases", headers={"Authorization": "Bearer vht_dit-is-geen-token"})
    assert_error(wrong, 401, "niet_aangemeld")
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]

    token = sqlite_api.service.issue_token("anna")
    for header in (f"Basic {token}", "Bearer", "Bearer   ", token):
        response = client.get("/api/cases", headers={"Authorization": header})
        assert_error(response, 401, "niet_aangemeld")
        assert 'error="invalid_request"' in response.headers["WWW-Authenticate"], header


def test_a_good_token_works_and_says_who_you_are(sqlite_api):
    token = sqlite_api.service.issue_token("anna")
    client = sqlite_api.anonymous
    assert client.get("/api/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/cases", headers={"Authorization": f"bearer {token}"}).status_code == 200
    # What you may start follows from who the token belongs to (anna: inbrenger -> P0).
    processes = client.get("/api/processes", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["process_id"] for p in processes] == ["p0_consultatie_advies"]


def test_a_new_token_replaces_the_old_one(sqlite_api):
    old = sqlite_api.service.issue_token("anna")
    new = sqlite_api.service.issue_token("anna")
    client = sqlite_api.anonymous
    assert_error(client.get("/api/cases", headers={"Authorization": f"Bearer {old}"}), 401, "niet_aangemeld")
    assert client.get("/api/cases", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_a_deactivated_user_is_refused(sqlite_api):
    token = sqlite_api.service.issue_token("bram")
    sqlite_api.service.upsert_user("bram", "Bram Inbrenger", ["inbrenger"], actief=False)
    response = sqlite_api.anonymous.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "niet_aangemeld")


def test_a_session_cookie_is_no_api_login(sqlite_api):
    """The API takes tokens only (so it needs no CSRF token); a browser session does not count."""
    from app.service.web_sessions import Lifetime
    from app.web.auth import SESSION_TOKEN

    client = sqlite_api.app.test_client()
    token = sqlite_api.service.open_web_session("anna", "127.0.0.1", Lifetime())
    with client.session_transaction() as session:
        session[SESSION_TOKEN] = token  # as if anna logged in through the login page
    assert_error(client.get("/api/cases"), 401, "niet_aangemeld")


def test_documentation_needs_no_token(sqlite_api):
    client = sqlite_api.anonymous
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200


def test_answers_are_not_cached_nor_sniffed(sqlite_api):
    for response in (sqlite_api.as_("anna").get("/api/cases"), sqlite_api.anonymous.get("/api/cases")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
