"""The login limit through the login page: the client is the real address behind a configured
trusted proxy, and only there."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.config import ConfigError, Settings
from persistence.models import WebSession

from .helpers import Browser, html, make_app


def login(app, username: str, password: str, forwarded_for: str):
    browser = Browser(app)
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return browser.login(username, password)


def test_behind_a_trusted_proxy_each_person_has_their_own_limit(web):
    app = make_app(web.service, trusted_proxies=1)
    for _ in range(5):
        assert login(app, "bram", "fout-fout", "203.0.113.5").status_code == 401
    assert login(app, "bram", "bram-demo", "203.0.113.5").status_code == 429
    # Another person behind the same proxy (the same socket address) is not locked out.
    assert login(app, "bram", "bram-demo", "203.0.113.6").status_code == 302
    with web.service.ctx.transaction() as session:
        assert session.scalars(select(WebSession.client).where(WebSession.username == "bram")).all() == ["203.0.113.6"]


def test_without_trusted_proxies_a_forwarded_address_is_ignored(web):
    """Else anyone could pick a fresh address, and a fresh counter, with every try."""
    for i in range(5):
        assert login(web.app, "bram", "fout-fout", f"203.0.113.{i}").status_code == 401
    blocked = login(web.app, "bram", "bram-demo", "203.0.113.99")
    assert blocked.status_code == 429 and "Te veel mislukte pogingen" in html(blocked)


def test_trusted_proxies_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VHT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert Settings.from_env().trusted_proxies == 2
    monkeypatch.setenv("TRUSTED_PROXIES", "een")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES moet een geheel getal"):
        Settings.from_env()
