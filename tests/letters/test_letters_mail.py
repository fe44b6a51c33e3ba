"""End to end: a P3 case driven to the invite step; the worker delivers the letters to a loopback
SMTP server: one mail to the inbrenger with the PDFs and the .ics attached."""


from app.worker import run_once
from tests.integration.test_outbox import sender
from tests.procedures.gesprek_steps import organiseren, start_through_p0
from tests.conftest import deploy_settings



def invitations(smtp):
    return [m for m in smtp.mails if m["subject"].startswith("Uitnodigingen voor het gesprek")]


def test_the_inbrenger_gets_both_letters_and_the_ics(service, clock, smtp):
    # Sam is 7 today (2 March 2026) and 8 on the date of the conversation (30 April).
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Sam de Vries", "geboortedatum": "2018-04-20"}])
    organiseren(case, "2026-04-30T10:00", jeugdige="uitgenodigd")
    run_once(service, sender(smtp.port))
    (mail,) = invitations(smtp)
    assert mail["to"] == ["anna@example.org"]
    assert "donderdag 30 april 2026 om 10:00 uur" in mail["subject"]
    assert set(mail["files"]) == {"uitnodiging_ouders.pdf", "uitnodiging_jeugdige_sam_de_vries.pdf", "uitnodiging.ics"}
    for name in ("uitnodiging_ouders.pdf", "uitnodiging_jeugdige_sam_de_vries.pdf"):
        content_type, data, _ = mail["files"][name]
        assert content_type == "application/pdf" and data.startswith(b"%PDF")
    content_type, data, part = mail["files"]["uitnodiging.ics"]
    assert content_type == "text/calendar" and part.get_param("method") == "REQUEST"
    ics = data.decode().replace("\r\n ", "")
    assert "DTSTART:20260430T080000Z" in ics and "LOCATION:Gemeentehuis Roosendaal\\, Zaal 2" in ics
    # Nothing is sent twice, and the parents (contact is a phone number) get no mail of their own.
    run_once(service, sender(smtp.port))
    assert len(invitations(smtp)) == 1
    assert not [m for m in smtp.mails if m["to"] != ["anna@example.org"]]


def test_eight_the_day_after_the_conversation_no_jeugdige_letter_and_parents_with_email_get_theirs(
        service, clock, smtp):
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Sam de Vries", "geboortedatum": "2018-05-01"}],
                            ouders=[{"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
                                    {"naam": "Mark de Vries", "contact": "06-12345678", "gezag": True}])
    organiseren(case, "2026-04-30T10:00", jeugdige="te_jong")
    run_once(service, sender(smtp.port))
    (mail,) = invitations(smtp)
    assert set(mail["files"]) == {"uitnodiging_ouders.pdf", "uitnodiging.ics"}
    assert "geen brief voor een jeugdige" in mail["body"]
    assert "petra@example.org" in mail["body"]
    (ouder,) = [m for m in smtp.mails if m["to"] == ["petra@example.org"]]
    assert set(ouder["files"]) == {"uitnodiging_ouders.pdf", "uitnodiging.ics"}
    assert ouder["files"]["uitnodiging_ouders.pdf"][1].startswith(b"%PDF")
    assert "vertrouwenspersoon" in ouder["body"]


def test_a_jeugdige_not_invited_under_the_regional_exception_gets_no_letter(service, clock, smtp):
    deploy_settings(service, jeugdige_niet_uitnodigen_toegestaan=True)  # the region allows the exception
    case = start_through_p0(service, clock, "interventiegesprek")  # Sam is 10
    organiseren(case, "2026-03-12T10:00", jeugdige="niet_uitgenodigd")
    run_once(service, sender(smtp.port))
    (mail,) = invitations(smtp)
    assert set(mail["files"]) == {"uitnodiging_ouders.pdf", "uitnodiging.ics"}
