"""The API documents itself: a valid OpenAPI 3 document with every route and the bearer scheme,
and a browsable page (/api/docs) that loads only local files under the Content-Security-Policy."""
import re
from pathlib import Path

from openapi_spec_validator import validate

from .helpers import assert_error

STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static"


def api_rules(app) -> dict[str, set[str]]:
    """{'/api/cases/{case_id}': {'get'}, ...} from the app's own URL map (the API blueprints)."""
    rules = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("api_cases", "api_messages", "api_tasks"):
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)  # <int:case_id>, <string(maxlength=80):name>
            rules.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return rules


def test_openapi_document_is_valid_and_complete(sqlite_api):
    response = sqlite_api.anonymous.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    validate(doc)  # against the OpenAPI 3 schema
    assert doc["openapi"].startswith("3.")

    documented = {path: set(ops) - {"parameters"} for path, ops in doc["paths"].items()}
    assert documented == api_rules(sqlite_api.app)
    for path in ("/api/cases", "/api/cases/{case_id}", "/api/cases/{case_id}/history", "/api/tasks",
                 "/api/tasks/{task_id}", "/api/tasks/{task_id}/claim", "/api/tasks/{task_id}/unclaim",
                 "/api/tasks/{task_id}/assign", "/api/tasks/{task_id}/complete",
                 "/api/cases/{case_id}/messages/{name}"):
        assert path in documented, path

    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "vht token" in scheme["description"]
    assert doc["security"] == [{"bearerAuth": []}]
    error = doc["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "bericht", "velden"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert "401" in operation["responses"], (method, path)
                assert operation.get("summary"), (method, path)
    assert "422" in doc["paths"]["/api/tasks/{task_id}/complete"]["post"]["responses"]
    assert "409" in doc["paths"]["/api/tasks/{task_id}/complete"]["post"]["responses"]
    assert "201" in doc["paths"]["/api/cases"]["post"]["responses"]


def test_docs_page_loads_only_local_assets(sqlite_api):
    client = sqlite_api.anonymous
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'data-spec-url="/api/openapi.json"' in html

    # No inline script: every <script> has a src, and the policy allows scripts from 'self' only.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy

    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(url.startswith(("/static/", "/api/")) for url in assets), assets
    assert not re.search(r"https?://|//cdn|unpkg|jsdelivr", html)
    for url in (u for u in assets if u.startswith("/static/")):
        asset = client.get(url)
        assert asset.status_code == 200, f"{url} is not served (run `make assets`)"
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    assert (STATIC / "vendor" / "swagger-ui" / "LICENSE").is_file()
    init = client.get("/static/api/swagger-init.js").get_data(as_text=True)
    assert "validatorUrl: null" in init  # never the online validator


def test_unknown_api_urls_and_methods_answer_in_json(sqlite_api):
    client = sqlite_api.as_("anna")
    assert_error(client.get("/api/bestaat-niet"), 404, "niet_gevonden")
    assert_error(client.get("/api/"), 404, "niet_gevonden")
    response = client.open("DELETE", "/api/cases")
    assert_error(response, 405, "methode_niet_toegestaan")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert_error(client.get("/api/tasks/1/complete"), 405, "methode_niet_toegestaan")


def test_the_pages_keep_their_own_errors(sqlite_api):
    """The API's JSON errors are for /api/ only: flask-smorest would take over every error page."""
    response = sqlite_api.anonymous.get("/bestaat-niet")
    assert response.status_code == 404
    assert response.mimetype != "application/json" or "velden" not in (response.get_json() or {})
