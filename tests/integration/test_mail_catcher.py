"""The local mail catcher (no SMTP_HOST): a real SMTP server on loopback keeps each mail under
instance/mail/, the worker delivers to it, and the beheerder reads the post with its attachments at
/beheer/mail. With SMTP_HOST set it is off, and a banner warns the beheerder when the mail server has
not taken mail for more than 15 minutes."""
from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import mailcatcher
from app.mail import SmtpSender, SmtpSettings
from app.worker import run_once
from persistence.models import ToegangLog
from tests.conftest import FORMS, PROCESSES
from tests.mailbox import free_port
from tests.procedures.driver import CaseDriver, casus
from tests.web.helpers import build_web, html

CAB_ZORG = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg.", "afspraken": [{"wie": "A", "wat": "B"}],
            "interventies": ["zorg"]}


@pytest.fixture
def catcher(tmp_path, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("VHT_MAIL_DIR", str(tmp_path / "mail"))
    controller = mailcatcher.start(at_port=free_port())
    yield controller
    controller.stop()


def to(controller) -> SmtpSender:
    return SmtpSender(SmtpSettings(host=mailcatcher.HOST, port=controller.port, timeout=5))


def test_a_mail_the_worker_sends_is_caught_and_shown_to_the_beheerder(sqlite_service, clock, catcher, tmp_path):
    web = build_web(sqlite_service, clock)
    case = CaseDriver.start(sqlite_service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)  # the next task goes to anna: a mail announces it
    _, result = run_once(sqlite_service, to(catcher))
    assert result.sent == 1
    (caught,) = mailcatcher.caught()
    assert (tmp_path / "mail" / f"{caught.name}.eml").is_file()
    assert caught.to == "anna@example.org" and caught.subject.startswith("Nieuwe taak: Advies en afspraken verwerken")

    page = web.browser("beheer").get("/beheer/mail")
    assert page.status_code == 200
    text = html(page)
    assert "Verzonden post (lokaal)" in text and "Nieuwe taak: Advies en afspraken verwerken" in text
    assert "anna@example.org" in text and f"/casussen/{case.case_id}" in text
    # The read is in the case's access log, like the outbox list.
    with sqlite_service.ctx.reading() as session:
        logged = session.scalars(select(ToegangLog).where(ToegangLog.wat == "lokale post")).all()
    assert [row.case_id for row in logged] == [case.case_id]


def test_attachments_are_downloaded_as_files(sqlite_service, clock, catcher):
    web = build_web(sqlite_service, clock)
    to(catcher).send(message_id="<los-1@veiligheidsteam.local>", recipients=["ouders@example.org"],
                     subject="Uitnodiging interventiegesprek", body="Beste ouders,",
                     attachments=[("Uitnodiging 12-05-2026.pdf", "application/pdf", b"%PDF-1.7 brief"),
                                  ("gesprek.ics", "text/calendar", b"BEGIN:VCALENDAR")])
    (caught,) = mailcatcher.caught()
    browser = web.browser("beheer")
    text = html(browser.get("/beheer/mail"))
    assert "Uitnodiging 12-05-2026.pdf" in text and "gesprek.ics" in text
    pdf = browser.get(f"/beheer/mail/{caught.name}/bijlage/1")
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.7 brief" and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    ics = browser.get(f"/beheer/mail/{caught.name}/bijlage/2")
    assert ics.headers["Content-Disposition"].startswith("attachment;") and ics.data == b"BEGIN:VCALENDAR"
    assert browser.get(f"/beheer/mail/{caught.name}/bijlage/3").status_code == 404
    assert browser.get("/beheer/mail/..%2Fsecret_key/bijlage/1").status_code == 404
    assert browser.get("/beheer/mail/nietbestaand/bijlage/1").status_code == 404


def test_only_the_beheerder_reads_the_post(sqlite_service, clock, catcher):
    web = build_web(sqlite_service, clock)
    assert web.browser("anna").get("/beheer/mail").status_code == 403
    beheer = web.browser("beheer")
    assert "Nog geen post opgevangen." in html(beheer.get("/beheer/mail"))
    assert "Post (lokaal)" in html(beheer.get("/beheer/mail"))


def test_with_a_mail_server_configured_the_catcher_is_off(sqlite_service, clock, monkeypatch, tmp_path):
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("VHT_MAIL_DIR", str(tmp_path / "mail"))
    assert not mailcatcher.enabled()
    web = build_web(sqlite_service, clock)
    beheer = web.browser("beheer")
    text = html(beheer.get("/beheer/berichten"))
    assert "Post (lokaal)" not in text and "neemt sinds" not in text
    assert "wordt niet meer lokaal opgevangen" in html(beheer.get("/beheer/mail"))


def test_the_beheerder_is_warned_when_the_mail_server_refuses_for_over_15_minutes(sqlite_service, clock,
                                                                               monkeypatch, smtp):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    web = build_web(sqlite_service, clock)
    case = CaseDriver.start(sqlite_service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    dead = SmtpSender(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=5))  # nobody listens
    run_once(sqlite_service, dead)
    beheer, anna = web.browser("beheer"), web.browser("anna")
    assert "neemt sinds" not in html(beheer.get("/beheer/berichten"))  # one failure is no outage yet
    clock.advance(timedelta(minutes=16))
    run_once(sqlite_service, dead)
    text = html(beheer.get("/beheer/berichten"))
    assert "De mailserver neemt sinds 02-03-2026 09:00 geen post aan" in text
    assert "neemt sinds" not in html(anna.get("/"))  # only the beheerder can act on it
    clock.advance(timedelta(minutes=5))
    run_once(sqlite_service, SmtpSender(SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5)))
    assert [m.status for m in sqlite_service.outbox()] == ["sent"]
    assert "neemt sinds" not in html(beheer.get("/beheer/berichten"))  # it takes mail again


def test_vht_worker_starts_the_catcher_without_smtp_host(tmp_path, sqlite_service, clock):
    """`vht worker --once` without SMTP_HOST delivers to its own catcher; the mail lands in the folder."""
    from tests.worker.conftest import VHT, vht_env

    case = CaseDriver.start(sqlite_service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    env = vht_env(str(sqlite_service.engine.url), VHT_MAIL_DIR=str(tmp_path / "post"),
                  VHT_MAILCATCHER_PORT=str(free_port()), VHT_PROCESSES_DIR=str(PROCESSES), VHT_FORMS_DIR=str(FORMS))
    env.pop("SMTP_HOST", None)
    result = subprocess.run([str(VHT), "worker", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    # On the system clock the case's deadline has passed too: its warning is the second mail.
    assert "2 bericht(en) verstuurd, 0 later opnieuw, 0 mislukt" in result.stdout
    subjects = [m.subject for m in mailcatcher.caught(tmp_path / "post")]
    assert any(s.startswith("Nieuwe taak: Advies en afspraken verwerken") for s in subjects), subjects
    assert any(s.startswith("Termijn verstreken") for s in subjects), subjects
