"""Server-side sessions: logging out, a new password and deactivation end them (a copied cookie
too), and they end after an idle time and a maximum lifetime."""
from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import event, select

from app.cli import main
from app.config import Settings
from persistence.models import WebSession

from .helpers import Browser, make_app

COOKIE = "vht_sessie"


def copy_of(web, browser) -> Browser:
    """Another browser with the first one's session cookie (as someone who copied it)."""
    thief = Browser(web.app)
    thief.client.set_cookie(COOKIE, browser.client.get_cookie(COOKIE).value)
    return thief


def logged_in(browser) -> bool:
    response = browser.get("/werkbak")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_cookie_no_longer_works_after_logout(web):
    browser = web.browser("anna")
    thief = copy_of(web, browser)
    assert logged_in(thief)  # the copy works while the session does
    assert browser.post("/uitloggen").status_code == 302
    assert not logged_in(thief)
    assert not logged_in(browser)
    with web.service.ctx.transaction() as session:
        rows = session.scalars(select(WebSession).where(WebSession.username == "anna")).all()
        assert len(rows) == 1 and rows[0].revoked_at is not None


def test_the_cookie_carries_a_token_not_the_user(web):
    browser = web.browser("anna")
    with browser.client.session_transaction() as flask_session:
        assert "anna" not in flask_session.values()
    with web.service.ctx.transaction() as session:
        row = session.scalars(select(WebSession).where(WebSession.username == "anna")).one()
    assert row.id not in str(dict(flask_session))  # only the hash is stored, never the token


def test_a_new_password_ends_every_session_of_that_user(web):
    laptop, phone, colleague = web.browser("anna"), web.browser("anna"), web.browser("bram")
    web.service.set_password("anna", "een-nieuw-wachtwoord")
    assert not logged_in(laptop) and not logged_in(phone)
    assert logged_in(colleague)
    assert web.browser().login("anna", "een-nieuw-wachtwoord").status_code == 302


def test_vht_set_password_ends_the_sessions_too(web, tmp_path):
    browser = web.browser("bram")
    result = CliRunner().invoke(main, ["set-password", "bram", "--password", "bram-nieuw-1"],
                                env={"DATABASE_URL": str(web.service.engine.url), "VHT_INSTANCE_DIR": str(tmp_path)})
    assert result.exit_code == 0 and "open sessies beëindigd" in result.output
    assert not logged_in(browser)


def test_deactivation_ends_the_sessions(web):
    browser, other = web.browser("anna"), web.browser("vera")
    assert web.service.deactivate_user("anna") == 1
    assert not logged_in(browser)
    assert logged_in(other)
    web.service.upsert_user("vera", "Vera de Boer", ["veiligheidsteam"], actief=False)
    assert not logged_in(other)
    with web.service.ctx.transaction() as session:
        assert all(row.revoked_at is not None for row in session.scalars(select(WebSession)))


def test_a_session_ends_after_an_hour_without_requests(web, clock):
    browser = web.browser("anna")
    for _ in range(3):  # active: every 59 minutes a page, for three hours
        clock.advance(timedelta(minutes=59))
        assert logged_in(browser)
    clock.advance(timedelta(minutes=61))
    assert not logged_in(browser)
    assert web.browser().login("anna").status_code == 302  # logging in again is fine


def test_a_session_ends_after_ten_hours_however_active(web, clock):
    browser = web.browser("anna")
    for _ in range(11):
        clock.advance(timedelta(minutes=50))
        assert logged_in(browser)
    clock.advance(timedelta(minutes=50))  # 10 h 00 since the login: still in
    assert logged_in(browser)
    clock.advance(timedelta(minutes=1))
    assert not logged_in(browser)


def test_idle_time_and_lifetime_are_settings(web, clock, monkeypatch, tmp_path):
    monkeypatch.setenv("VHT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("VHT_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("VHT_SESSION_MAX_HOURS", "1")
    settings = Settings.from_env()
    assert (settings.session_idle_minutes, settings.session_max_hours) == (5, 1)
    app = make_app(web.service, session_idle_minutes=5, session_max_hours=1)
    browser = Browser(app)
    assert browser.login("anna").status_code == 302
    clock.advance(timedelta(minutes=4))
    assert logged_in(browser)
    clock.advance(timedelta(minutes=6))
    assert not logged_in(browser)


def test_last_seen_is_written_at_most_once_a_minute(web, clock):
    browser = web.browser("anna")
    updates = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE WEB_SESSION"):
            updates.append(statement)

    event.listen(web.service.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            clock.advance(timedelta(seconds=10))
            assert logged_in(browser)
        assert updates == []  # 50 seconds of pages: no write
        clock.advance(timedelta(seconds=15))
        assert logged_in(browser) and logged_in(browser)
        assert len(updates) == 1
    finally:
        event.remove(web.service.engine, "before_cursor_execute", count)
