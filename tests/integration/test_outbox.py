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


# --- one message's trouble never stalls the others ------------------------------------------------

def queue(service, case_id: int, key: str, recipients: list[str]) -> None:
    """A mail in the outbox the way an act writes it (notifications.queue_mail in a transaction)."""
    from app.service import notifications
    from persistence.models import Case

    with service.ctx.transaction() as session:
        notifications.queue_mail(session, session.get(Case, case_id), key, "test", recipients, f"Bericht {key}",
                                 "Tekst.", service.ctx.now())


def test_a_bad_address_among_good_mails_fails_alone_and_the_round_goes_on(service, clock, smtp):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    queue(service, case.case_id, "eerste", ["anna@example.org"])
    # Typed before addresses were checked at the form: a header injection that makes the mail library raise.
    queue(service, case.case_id, "kapot", ["petra@example.org\r\nBcc: mallory@example.org"])
    queue(service, case.case_id, "laatste", ["bram@example.org"])
    _, result = run_once(service, sender(smtp.port))
    assert (result.sent, result.failed, result.retried) == (2, 1, 0)
    assert sorted(m["subject"] for m in smtp.mails) == ["Bericht eerste", "Bericht laatste"]
    assert all("mallory" not in r for m in smtp.mails for r in m["to"])
    by_subject = {m.subject: m for m in service.outbox()}
    bad = by_subject["Bericht kapot"]
    assert bad.status == "failed" and bad.attempts == 1 and bad.locked_until is None
    assert "Ongeldig e-mailadres" in bad.last_error and "\\r\\n" in bad.last_error
    assert not [m for m in service.outbox() if m.status == "sending"]
    run_once(service, sender(smtp.port))
    assert len(smtp.mails) == 2  # a failed message is not tried again by itself


@pytest.fixture
def refusing_smtp():
    """A loopback SMTP server that refuses weg@ for good (550) and later@ for now (451)."""
    from aiosmtpd.controller import Controller

    from tests.mailbox import Mailbox

    class Refusing(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("weg@"):
                return "550 5.1.1 Deze ontvanger bestaat niet"
            if address.startswith("later@"):
                return "451 4.3.0 Probeer het later nog eens"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    box = Refusing()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def test_a_permanent_refusal_fails_at_once_a_temporary_one_is_retried(service, clock, refusing_smtp):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    queue(service, case.case_id, "weg", ["weg@example.org"])
    queue(service, case.case_id, "later", ["later@example.org"])
    queue(service, case.case_id, "deels", ["weg@example.org", "anna@example.org"])
    _, result = run_once(service, sender(refusing_smtp.port))
    assert (result.sent, result.failed, result.retried) == (1, 1, 1)
    by_subject = {m.subject: m for m in service.outbox()}
    assert by_subject["Bericht weg"].status == "failed" and by_subject["Bericht weg"].attempts == 1
    assert "550" in by_subject["Bericht weg"].last_error
    later = by_subject["Bericht later"]
    assert later.status == "pending" and "451" in later.last_error
    assert later.next_attempt_at == clock.now() + timedelta(minutes=1)
    # The others got it; who did not is on record.
    partly = by_subject["Bericht deels"]
    assert partly.status == "sent" and "weg@example.org (550" in partly.last_error
    assert [m["to"] for m in refusing_smtp.mails] == [["anna@example.org"]]
