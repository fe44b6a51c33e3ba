"""Logging in and out, the session cookie, CSRF tokens, security headers and the rate limit."""
from __future__ import annotations

import re

from .helpers import CAB, html, make_app

BAD_LOGIN = "Onbekende gebruikersnaam of onjuist wachtwoord."


def test_login_with_the_right_password_opens_the_werkbak(web):
    browser = web.browser()
    page = browser.get("/inloggen")
    assert page.status_code == 200 and 'name="csrf_token"' in html(page) and 'lang="nl"' in html(page)
    response = browser.login("anna")
    assert response.status_code == 302 and response.headers["Location"] == "/werkbak"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    inbox = browser.get("/werkbak")
    assert inbox.status_code == 200
    assert "Anna de Jong" in html(inbox) and "(Inbrenger)" in html(inbox) and "Uitloggen" in html(inbox)


def test_the_session_cookie_is_secure_when_configured(web):
    browser = web.browser()
    browser.client = make_app(web.service, secure_cookies=True).test_client()
    response = browser.login("anna")
    assert "Secure" in response.headers["Set-Cookie"]


def test_unknown_name_and_wrong_password_get_the_same_answer(web):
    browser = web.browser()
    wrong_password = browser.login("anna", "geen-idee")
    unknown_user = browser.login("niemand", "geen-idee")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert BAD_LOGIN in html(response)
    assert browser.get("/werkbak").status_code == 302  # still not logged in
    assert 'value="niemand"' in html(unknown_user)  # the name typed stays, the password does not
    assert "geen-idee" not in html(unknown_user)


def test_five_failures_then_429_even_with_the_right_password(web):
    browser = web.browser()
    for _ in range(5):
        assert browser.login("bram", "fout-fout").status_code == 401
    blocked = browser.login("bram")
    assert blocked.status_code == 429
    assert "Te veel mislukte pogingen" in html(blocked)
    assert browser.get("/werkbak").status_code == 302


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(web):
    browser = web.browser()
    browser.get("/inloggen")
    missing = browser.post("/inloggen", {"gebruikersnaam": "anna", "wachtwoord": "anna-demo"}, csrf=False)
    assert missing.status_code == 400
    assert "Het formulier is verlopen" in html(missing)
    wrong = browser.post("/inloggen", {"gebruikersnaam": "anna", "wachtwoord": "anna-demo", "csrf_token": "geraden"})
    assert wrong.status_code == 400
    # Logged in, every form of the pages needs it too: completing, claiming, logging out.
    browser = web.browser("vera")
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    for url in (f"/taken/{task.id}", f"/taken/{task.id}/claimen", "/uitloggen", "/casussen/nieuw"):
        assert browser.post(url, {"actie": "afronden"}, csrf=False).status_code == 400, url
    assert web.service.task(task.id).assignee is None
    assert browser.get("/werkbak").status_code == 200  # still logged in


def test_logout_ends_the_session(web):
    browser = web.browser("anna")
    page = browser.get("/uitloggen")
    assert page.status_code == 200 and "Uitloggen" in html(page)
    response = browser.post("/uitloggen")
    assert response.status_code == 302 and response.headers["Location"] == "/inloggen"
    assert browser.get("/werkbak").status_code == 302
    assert "U bent uitgelogd" in html(browser.get("/inloggen"))


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(web):
    browser = web.browser()
    first = browser.get("/casussen")
    assert first.status_code == 302 and first.headers["Location"] == "/inloggen?volgende=/casussen"
    browser.get(first.headers["Location"])
    response = browser.post("/inloggen", {"gebruikersnaam": "anna", "wachtwoord": "anna-demo", "volgende": "/casussen"})
    assert response.headers["Location"] == "/casussen"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        browser = web.browser()
        browser.get("/inloggen")
        response = browser.post("/inloggen", {"gebruikersnaam": "anna", "wachtwoord": "anna-demo", "volgende": evil})
        assert response.headers["Location"] == "/werkbak", evil


def test_security_headers_on_every_response(web):
    browser = web.browser("anna")
    case_id = web.start_case()
    responses = [browser.get("/werkbak"), browser.get("/inloggen"), browser.get(f"/casussen/{case_id}"),
                 browser.get(f"/casussen/{case_id}/diagrammen.json"), browser.get("/casussen/999999"),
                 browser.get("/static/css/vht.css"), browser.get("/bestaat-niet"), web.browser().get("/werkbak")]
    for response in responses:
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script(web):
    """CSP forbids inline scripts: every <script> of our pages loads a file; no onclick= either."""
    browser = web.browser("gina")
    case_id = web.start_case("gina")
    task = web.open_task(case_id, "Task_CabHouden")
    web.service.complete_task(task.id, CAB, "vera")
    pages = ["/inloggen", "/werkbak", "/casussen", "/casussen/nieuw", "/casussen/nieuw?procedure=p5_warme_overdracht",
             f"/casussen/{case_id}", f"/taken/{task.id}"]
    for url in pages:
        page = html(browser.get(url))
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts), url
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), url


def test_front_page_and_health(web):
    assert web.browser().get("/").headers["Location"].startswith("/inloggen")
    assert web.browser("anna").get("/").headers["Location"] == "/werkbak"
    health = web.browser().get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
