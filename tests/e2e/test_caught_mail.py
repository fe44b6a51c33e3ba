"""In real chromium, on a machine without SMTP_HOST: the invitation letters of a case go through
the worker to the local mail catcher, and the beheerder reads them at /beheer/mail ("Verzonden post
(lokaal)") with the letter as a PDF to download."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import mailcatcher
from app.mail import SmtpSender, SmtpSettings
from app.worker import run_once
from tests.mailbox import free_port
from tests.procedures.gesprek_steps import organiseren, start_through_p0

pytestmark = pytest.mark.e2e


def test_the_beheerder_reads_a_caught_letter(clock_live_server, page, tmp_path, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("VHT_MAIL_DIR", str(tmp_path / "mail"))
    base_url, service, clock = clock_live_server
    case = start_through_p0(service, clock, "interventiegesprek")
    organiseren(case, "2026-03-12T10:00")  # the parents' invitation: a letter as PDF
    catcher = mailcatcher.start(at_port=free_port())
    try:
        _, result = run_once(service, SmtpSender(SmtpSettings(host=mailcatcher.HOST, port=catcher.port, timeout=5)))
    finally:
        catcher.stop()
    assert result.sent and not result.failed

    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", "beheer")
    page.fill("#wachtwoord", "beheer-demo")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/werkbak"))
    page.get_by_role("link", name="Post (lokaal)").click()
    expect(page.locator("h1")).to_have_text("Verzonden post (lokaal)")
    letter = page.locator("article.post").filter(has=page.locator("a", has_text=re.compile(r"\.pdf$")))
    expect(letter.first).to_be_visible()
    page.screenshot(path="/tmp/shots/beheer_mail.png", full_page=True)
    with page.expect_download() as download:
        letter.first.locator("a", has_text=re.compile(r"\.pdf$")).first.click()
    path = download.value.path()
    assert open(path, "rb").read(5) == b"%PDF-"
