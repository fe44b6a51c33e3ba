"""Browser (end-to-end) fixtures: the real app served by waitress on a free loopback port, and
headless Debian Chromium driven by Playwright.

The browser is Debian's /usr/bin/chromium (`make browser` installs it); Playwright's own browser
download does not work on our machines, so `playwright install` is never used. Without the
browser these tests skip, except with CI=true, where they fail.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the item, so `page` can tell at teardown that the test failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium) for the browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs the browser tests: {reason}")
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
def live_server(tmp_path):
    """The real application (waitress, as `vht serve`) on a fresh SQLite database with the
    deployed processes and the demo data. Yields (base_url, service)."""
    yield from _serve(tmp_path)


@pytest.fixture
def clock_live_server(tmp_path):
    """As live_server, on a clock that stands still until the test moves it (the timer worker's
    moments, a reaction that comes days later), from Monday 2 March 2026, 09:00. The browser's
    session cookie lives in real time; the server checks the session against this clock, so log
    in after moving it. Yields (base_url, service, clock)."""
    from datetime import datetime

    from app.engine.clock import TZ, FixedClock

    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    for base_url, service in _serve(tmp_path, clock):
        yield base_url, service, clock


def _serve(tmp_path, clock=None):
    from waitress import create_server

    from app import create_app
    from app.config import Settings
    from app.demo import load_demo
    from app.service import Service

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'vht.sqlite'}",
        processes_dir=ROOT / "processes",
        forms_dir=ROOT / "forms",
        secret_key="e2e-test-secret",
    )
    service = Service(settings.database_url, settings.processes_dir, settings.forms_dir, clock=clock)
    service.init_db()
    service.deploy(reden="testopzet")
    load_demo(service)
    app = create_app(settings, service=service)

    server = create_server(app, host="127.0.0.1", port=0, threads=4)  # port 0: a free port
    thread = threading.Thread(target=server.run, name="e2e-waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", service
    finally:
        server.close()
        thread.join(timeout=10)
        service.engine.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, tmp_path):
    """A page in a new browser context per test. On failure a full-page screenshot is saved in
    the test's tmp_path (its path is printed with the failure report)."""
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            save_screenshot(page, tmp_path, request.node.name)
        context.close()


def save_screenshot(page, folder: Path, name: str) -> Path | None:
    """Saves a full-page screenshot of `page` in `folder` and says where; None if the page is gone."""
    path = Path(folder) / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # a crashed or closed page: the failure itself matters more
        print(f"screenshot failed: {exc}")
        return None
    print(f"screenshot of the failing page: {path}")
    return path
