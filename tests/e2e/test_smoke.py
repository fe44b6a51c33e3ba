"""Smoke test in a real browser: the app starts, renders its front page and answers its health
check; the bpmn-js viewer built by `make assets` is served as a static file."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

VIEWER = "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"


def test_front_page_and_health(live_server, page):
    base_url, _service = live_server

    response = page.goto(base_url + "/")
    assert response is not None and response.status == 200
    assert "VeiligheidsTeam" in page.title()
    assert "VeiligheidsTeam" in page.locator("h1").inner_text()

    response = page.goto(base_url + "/healthz")
    assert response is not None and response.status == 200
    assert "application/json" in response.headers["content-type"]
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"


def test_bpmn_viewer_is_served(live_server, page):
    base_url, _service = live_server

    response = page.request.get(base_url + VIEWER)
    assert response.status == 200, f"{VIEWER} not served (run `make assets`)"
    assert "javascript" in response.headers["content-type"]
    assert "BpmnJS" in response.text()
