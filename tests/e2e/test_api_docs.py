"""/api/docs in a real browser: Swagger UI renders the API from local files under the app's
Content-Security-Policy (no violation, no other origin), and a program's token works from it."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.e2e


def test_api_docs_render_and_try_a_call(live_server, page):
    base_url, service = live_server
    token = service.issue_token("anna")
    origin = urlparse(base_url).netloc
    problems, foreign = [], []

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).netloc not in (origin, "") else None)

    response = page.goto(base_url + "/api/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".opblock")
    spec = page.request.get(base_url + "/api/openapi.json").json()
    operations = sum(1 for ops in spec["paths"].values() for method in ops if method != "parameters")
    assert page.locator(".opblock").count() == operations
    assert "VeiligheidsTeam" in page.locator(".info .title").inner_text()

    page.click("button.authorize")
    page.fill(".auth-container input", token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")
    page.locator(".opblock-get", has_text="/api/processes").click()
    page.click("button.try-out__btn")
    page.click("button.execute")
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "p0_consultatie_advies" in page.locator(".live-responses-table .microlight").first.inner_text()

    # Chromium reports a blocked inline script or style as a console error.
    assert problems == [], problems
    assert foreign == [], foreign
