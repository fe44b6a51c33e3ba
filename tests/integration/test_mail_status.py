"""The send log of the Veiligheidskaart and the case history say what became of the mail: in the
queue until the mail server accepted it, a retry with its reason, sent, or failed with the reason."""
from __future__ import annotations

from datetime import timedelta

from app.service import mail_status, outbox
from app.worker import run_once
from tests.integration.test_outbox import sender
from tests.mailbox import free_port
from tests.procedures.test_p4_interventiegesprek_rvdk import naar_rvdk


def _states(service, case_id) -> tuple[str, list[str]]:
    """(the send log's status of the card to the RvdK, the statuses of that send in the history)."""
    [send] = service.vk_overview("anna", case_id)["sends"]
    entries, _ = service.timeline("anna", case_id)
    history = [d for e in entries if e.kind == "verzending" for d in e.details if d.startswith("Status: ")]
    return send["mail"], history


def test_the_card_is_queued_then_retried_then_sent(service, clock, smtp):
    case = naar_rvdk(service, clock)
    assert _states(service, case.case_id) == ("in de wachtrij", ["Status: in de wachtrij"])  # never "verzonden" yet

    run_once(service, sender(free_port()))  # the mail server cannot be reached
    status, history = _states(service, case.case_id)
    assert status == ("in de wachtrij: poging 1 mislukt (de mailserver was niet bereikbaar); "
                      "volgende poging 02-03-2026 09:01:00")
    assert history == [f"Status: {status}"]
    mails = [e for e in service.timeline("anna", case.case_id)[0] if e.kind == "mail" and "toetsing" in e.title]
    assert mails, "the mail to the RvdK is in the history"
    assert mails[0].details[-1] == f"Status: {status}"

    clock.advance(timedelta(minutes=1, seconds=1))
    run_once(service, sender(smtp.port))
    assert len(smtp.mails) >= 1
    sent_at = next(m for m in service.outbox() if m.case_id == case.case_id and "toetsing" in m.subject).sent_at
    assert sent_at is not None
    assert _states(service, case.case_id) == ("verzonden op 02-03-2026 09:01:01",
                                              ["Status: verzonden op 02-03-2026 09:01:01"])


def test_a_server_refusal_is_named_as_the_server_said_it():
    assert mail_status.reason("Geweigerd door de mailserver: x@example.org (550 Onbekend)") == (
        "Geweigerd door de mailserver: x@example.org (550 Onbekend)")
    assert mail_status.reason(None) == "onbekende reden"


def test_a_card_that_could_not_be_sent_says_so_with_the_reason(service, clock, monkeypatch):
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 1)
    case = naar_rvdk(service, clock)
    run_once(service, sender(free_port()))
    status, history = _states(service, case.case_id)
    assert status == "mislukt: de mailserver was niet bereikbaar (na 1 poging)"
    assert history == [f"Status: {status}"]
