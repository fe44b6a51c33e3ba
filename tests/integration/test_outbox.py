"""Mail leaves the building through the outbox, over a real SMTP server on loopback."""
from datetime import timedelta

import pytest

from app.mail import SmtpSender, SmtpSettings
from app.worker import run_once
from tests.mailbox import free_port
from tests.procedures.driver import CaseDriver, casus

CAB_ZORG = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg.", "afspraken": [{"wie": "A", "wat": "B"}],
            "interventies": ["zorg"]}


def sender(port: int) -> SmtpSender:
    return SmtpSender(SmtpSettings(host="127.0.0.1", port=port, timeout=5))


def test_a_task_in_someones_own_inbox_is_announced_by_mail(service, clock, smtp):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)  # next task is assigned to the inbrenger anna
    fired, result = run_once(service, sender(smtp.port))
    assert result.sent == 1
    (mail,) = smtp.mails
    assert mail["to"] == ["anna@example.org"]
    assert mail["subject"].startswith("Nieuwe taak: Advies en afspraken verwerken")
    assert f"/casussen/{case.case_id}" in mail["body"]
    run_once(service, sender(smtp.port))
    assert len(smtp.mails) == 1  # nothing is sent twice
    assert [m.status for m in service.outbox()] == ["sent"]


def test_a_missed_deadline_warns_the_owner(service, clock, smtp):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    run_once(service, sender(smtp.port))
    smtp.mails.clear()
    case.move_clock(timedelta(days=3))  # past cab_datum + 2 working days
    run_once(service, sender(smtp.port))
    (mail,) = [m for m in smtp.mails if m["subject"].startswith("Termijn verstreken")]
    assert mail["to"] == ["anna@example.org"]
    assert "nog niet in de Veiligheidskaart verwerkt" in mail["body"]
    assert "Advies en afspraken verwerken" in mail["body"]


def test_smtp_down_is_retried_with_backoff_and_then_delivered_once(service, clock, smtp):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    dead = sender(free_port())  # nobody listens there
    _, result = run_once(service, dead)
    assert result.retried == 1
    (row,) = service.outbox()
    assert row.status == "pending" and row.attempts == 1 and "Connection refused" in row.last_error
    assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
    _, result = run_once(service, sender(smtp.port))
    assert result.sent == 0 and smtp.mails == []  # not yet: backing off
    clock.advance(timedelta(minutes=1, seconds=1))
    _, result = run_once(service, sender(smtp.port))
    assert result.sent == 1 and len(smtp.mails) == 1
    (row,) = service.outbox()
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None


def test_after_the_last_try_a_message_waits_for_a_beheerder(service, clock, smtp):
    service.upsert_user("beheer", "Beheerder", ["beheerder"])
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    dead = sender(free_port())
    for _ in range(10):
        run_once(service, dead)
        clock.advance(timedelta(hours=7))
    (row,) = [m for m in service.outbox("failed") if m.reason == "nieuwe_taak"]
    assert row.attempts == 10 and "Connection refused" in row.last_error
    with pytest.raises(Exception, match="beheerder"):
        service.retry_outbox(row.id, "anna")
    service.retry_outbox(row.id, "beheer")
    run_once(service, sender(smtp.port))
    assert row.id in [m.id for m in service.outbox("sent")]
    assert [m["subject"] for m in smtp.mails].count(row.subject) == 1


def test_an_act_that_fails_queues_no_mail(service, clock):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    task = case.task("Task_CabHouden")
    with pytest.raises(Exception):
        service.complete_task(task.id, {"advies_type": "onbekend"}, "vera")
    assert service.outbox() == []
