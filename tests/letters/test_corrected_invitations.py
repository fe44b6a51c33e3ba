"""A conversation that moves: the same people get letters marked "gewijzigd" with the old and the
new date, and an .ics with the same UID and a higher SEQUENCE; in P4 the parents' letter says that
the RvdK is involved. Delivered by the worker to a loopback SMTP server."""
from sqlalchemy import select

from app.service import letters as letter_service
from app.worker import run_once
from persistence.models import Event, ProcessInstance
from tests.integration.test_outbox import sender
from tests.procedures.gesprek_steps import (at, gesprek_voeren, organiseren, reactie_ontvangen, reactie_vragen,
                                            start_through_p0, vk_versturen, voorbespreking)
from tests.procedures.test_p4_interventiegesprek_rvdk import grond_toetsen, naar_rvdk

OUDERS = [{"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
          {"naam": "Mark de Vries", "contact": "06-12345678", "gezag": True}]


def ics_of(mail) -> str:
    return mail["files"]["uitnodiging.ics"][1].decode().replace("\r\n ", "")


def line(ics: str, name: str) -> str:
    (value,) = [row.split(":", 1)[1] for row in ics.splitlines() if row.split(";")[0].split(":")[0] == name]
    return value


def pdf_text(data: bytes) -> str:
    import subprocess

    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
                    .stdout.decode().split())


def test_planning_again_sends_corrected_letters_to_the_same_people_with_the_same_uid(service, clock, smtp):
    """Parents absent, the chair plans again: the invite task of the new round sends letters that
    say "gewijzigd" with the old and the new date, to the inbrenger and to the parent with e-mail;
    the .ics keeps its UID and counts SEQUENCE up, so calendars move the appointment."""
    case = start_through_p0(service, clock, "interventiegesprek", ouders=OUDERS,
                            jeugdigen=[{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}])
    organiseren(case, "2026-03-11T10:00", jeugdige="te_jong")
    run_once(service, sender(smtp.port))
    first = [m for m in smtp.mails if m["subject"].startswith("Uitnodigingen voor het gesprek")]
    first_ouder = [m for m in smtp.mails if m["to"] == ["petra@example.org"]]
    assert len(first) == 1 and len(first_ouder) == 1
    uid = line(ics_of(first[0]), "UID")
    assert line(ics_of(first[0]), "SEQUENCE") == "0"

    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 6, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 11, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")
    organiseren(case, "2026-03-26T14:00", jeugdige="te_jong")
    smtp.mails.clear()
    run_once(service, sender(smtp.port))

    (inbrenger,) = [m for m in smtp.mails if m["to"] == ["anna@example.org"] and "Gewijzigde uitnodiging" in m["subject"]]
    assert "donderdag 26 maart 2026 om 14:00 uur" in inbrenger["subject"]
    assert "woensdag 11 maart 2026 om 10:00 uur is verplaatst naar donderdag 26 maart 2026 om 14:00 uur" \
        in " ".join(inbrenger["body"].split())
    (ouder,) = [m for m in smtp.mails if m["to"] == ["petra@example.org"]]
    assert ouder["subject"].startswith("Gewijzigd: het gesprek is nu op donderdag 26 maart 2026")
    letter = pdf_text(ouder["files"]["uitnodiging_ouders.pdf"][1])
    assert "Gewijzigd" in letter and "woensdag 11 maart 2026" in letter and "donderdag 26 maart 2026" in letter
    ics = ics_of(ouder)
    assert line(ics, "UID") == uid
    assert line(ics, "SEQUENCE") == "1"
    assert line(ics, "DTSTART") == "20260326T130000Z"
    assert "ATTENDEE" in ics and "petra@example.org" in ics
    case.assert_replays()


def _moved_by_another_task(service, case_id: int, vorige: str) -> bool:
    """What B's "moment wijzigen" does after its task: call the documented function with the old date."""
    with service.ctx.transaction() as session:
        instance = session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).one()
        event = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()
        return letter_service.send_corrected_invitations(service.ctx, session, instance, event, vorige)


def test_send_corrected_invitations_is_what_a_date_change_calls(service, clock, smtp):
    """The function engineer B's "moment wijzigen" uses: after the invitation went out it sends the
    "gewijzigd" letters and a higher SEQUENCE; before any invitation it sends nothing."""
    case = start_through_p0(service, clock, "interventiegesprek", ouders=OUDERS)
    assert _moved_by_another_task(service, case.case_id, "2026-03-10T09:00") is False  # nothing sent yet
    organiseren(case, "2026-03-12T10:00", jeugdige="uitgenodigd")
    assert _moved_by_another_task(service, case.case_id, "2026-03-10T09:00") is True
    run_once(service, sender(smtp.port))
    changed = [m for m in smtp.mails if "Gewijzigde uitnodiging" in m["subject"]]
    (mail,) = changed
    assert set(mail["files"]) == {"uitnodiging_ouders.pdf", "uitnodiging_jeugdige_sam_de_vries.pdf", "uitnodiging.ics"}
    assert "dinsdag 10 maart 2026 om 09:00 uur is verplaatst naar donderdag 12 maart 2026 om 10:00 uur" \
        in " ".join(mail["body"].split())
    jeugdige = pdf_text(mail["files"]["uitnodiging_jeugdige_sam_de_vries.pdf"][1])
    assert "Het gesprek is verplaatst" in jeugdige
    (original,) = [m for m in smtp.mails if m["subject"].startswith("Uitnodigingen voor het gesprek")]
    assert line(ics_of(mail), "UID") == line(ics_of(original), "UID")
    assert (line(ics_of(original), "SEQUENCE"), line(ics_of(mail), "SEQUENCE")) == ("0", "1")
    assert len([m for m in smtp.mails if m["to"] == ["petra@example.org"]]) == 2


def test_in_p4_the_parents_letter_says_the_rvdk_is_involved_and_in_p3_it_does_not(service, clock, smtp):
    p4 = naar_rvdk(service, clock, ouders=OUDERS)
    grond_toetsen(p4, True)
    organiseren(p4, "2026-03-13T10:00", jeugdige="uitgenodigd")
    p3 = start_through_p0(service, clock, "interventiegesprek", ouders=[{**OUDERS[0], "contact": "p3@example.org"}])
    organiseren(p3, "2026-03-12T10:00", jeugdige="uitgenodigd")
    run_once(service, sender(smtp.port))
    (rvdk,) = [m for m in smtp.mails if m["to"] == ["petra@example.org"]]
    assert "Raad voor de Kinderbescherming" in pdf_text(rvdk["files"]["uitnodiging_ouders.pdf"][1])
    assert "Raad voor de Kinderbescherming is bij dit gesprek betrokken" in rvdk["body"]
    (zonder,) = [m for m in smtp.mails if m["to"] == ["p3@example.org"]]
    assert "Raad voor de Kinderbescherming" not in pdf_text(zonder["files"]["uitnodiging_ouders.pdf"][1])
