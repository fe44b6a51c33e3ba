"""sp_vk_voorbereiden / sp_vk_na_gesprek as the families live them (issue 9, section 1 and who
receives the cards): the parents' reaction is never lost, the product itself writes that it did
not come, and the cards always reach the parents and every participant."""
from __future__ import annotations

import pytest

from app.engine.vk_ontvangers import vk_ontvangers, zonder_email
from app.service import veiligheidskaart as vk
from app.service.errors import InvalidInput, NotFound
from persistence.models import Case

from .gesprek_steps import (
    at,
    gesprek_voeren,
    organiseren,
    reactie_vragen,
    start_through_p0,
    vk_na_gesprek,
    vk_versturen,
    voorbespreking,
    zonder_reactie,
)

pytest.register_assert_rewrite(f"{__package__}.gesprek_steps")

P3 = "interventiegesprek"
# Thursday 12 March: the sending day of the definitive card is Monday 9 March, 09:00.
GESPREK = "2026-03-12T10:00"
VERZENDDAG = at(2026, 3, 9)
MARKERING = "reactie ouders niet ontvangen (09-03-2026, verzenddag van de definitieve Veiligheidskaart)"


def card(service, case_id):
    with service.ctx.transaction() as session:
        return vk.versions(session, case_id), vk.sends(session, case_id)


def mails(service, reason):
    return [m for m in service.outbox() if m.reason == reason]


def to_the_sending_day(service, clock, **casus):
    case = start_through_p0(service, clock, P3, **casus)
    organiseren(case, GESPREK)
    reactie_vragen(case)
    zonder_reactie(case, VERZENDDAG)
    return case


def test_no_reaction_the_product_marks_the_card_and_tells_the_chair(service, clock):
    case = to_the_sending_day(service, clock)
    versions, _ = card(service, case.case_id)
    marked = versions[-1]
    assert marked.secties["reactie_ouders"] == MARKERING
    assert (marked.door, marked.status, marked.gewijzigd) == ("systeem", "reactie_ouders_niet_ontvangen",
                                                              ["reactie_ouders"])
    # Nobody typed it: the inbrenger's only task is to send the card.
    assert [t.bpmn_id for t in service.tasks(case_id=case.case_id, state=None)
            if t.bpmn_id == "Task_GeenReactieVastleggen"] == []
    (told,) = mails(service, "reactie_ouders_niet_ontvangen")
    assert told.recipients == ["anna@example.org"]  # the inbrenger chairs in organiseren()
    assert "reactie ouders niet ontvangen" in told.body

    vk_versturen(case)
    versions, sends = card(service, case.case_id)
    (definitive,) = [s for s in sends if s.reden == "vk_definitief_verzonden"]
    assert definitive.versie == marked.versie  # the definitive card carries the marking
    assert versions[-1].secties["reactie_ouders"] == MARKERING
    case.assert_replays()


def test_a_late_reaction_is_a_new_version_mailed_to_the_same_recipients_and_the_chair(service, clock):
    case = to_the_sending_day(service, clock)
    vk_versturen(case)
    case.move_clock(at(2026, 3, 10, 14, 0))
    delivered = case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Wij zijn het oneens met punt 2.",
                                                          "ontvangen_op": "2026-03-10"})
    assert (delivered.na_verzenddag, delivered.instance_id, delivered.opnieuw_verstuurd) == (True, None, True)

    versions, sends = card(service, case.case_id)
    latest = versions[-1]
    assert delivered.vk_versie == latest.versie
    # Nothing lost: the marking stays, the reaction follows with its date of receipt.
    assert latest.secties["reactie_ouders"] == f"{MARKERING}\n\nOntvangen op 10-03-2026:\nWij zijn het oneens met punt 2."
    assert latest.status == "na_reactie_ouders_verzonden"
    definitive, again = [s for s in sends if s.reden in ("vk_definitief_verzonden", vk.LATE_SEND)]
    assert again.versie == latest.versie and again.reden == vk.LATE_SEND
    assert set(definitive.aan) <= set(again.aan)
    assert {"petra@example.org", "nina@example.org", "anna@example.org"} <= set(again.aan)
    assert again.toelichting == definitive.toelichting == "niet per mail: via de inbrenger: Mark de Vries (ouder)"
    (mail,) = mails(service, vk.LATE_SEND)
    assert mail.recipients == again.aan
    assert mail.subject.startswith("Bijgewerkte Veiligheidskaart: reactie van ouders ontvangen")
    assert "received_late" not in mail.body and "10-03-2026" in mail.body
    assert "message_received_late" in case.history_types()
    case.assert_replays()  # the engine never saw it: replay stays identical


def test_a_reaction_after_the_procedure_ended_is_still_taken(service, clock):
    case = to_the_sending_day(service, clock)
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    vk_na_gesprek(case, at(2026, 3, 12, 10, 0))
    assert case.instance().status == "completed"

    with pytest.raises(InvalidInput) as refused:  # a date of receipt in the future is a typing error
        case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Ja.", "ontvangen_op": "2026-12-01"})
    assert "ontvangen_op" in refused.value.errors
    case.move_clock(at(2026, 3, 20, 9, 0))
    delivered = case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Alsnog: wij doen mee."})
    assert delivered.na_verzenddag and delivered.opnieuw_verstuurd
    versions, _ = card(service, case.case_id)
    assert versions[-1].secties["reactie_ouders"].endswith("Ontvangen op 20-03-2026:\nAlsnog: wij doen mee.")
    assert versions[-1].secties["uitkomst"] == "Ouders aanvaarden hulp."  # the rest of the card carried over
    case.assert_replays()


def test_a_reaction_before_the_card_went_out_travels_with_the_definitive_card(service, clock):
    case = to_the_sending_day(service, clock)
    delivered = case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Net op tijd gelezen."})
    assert delivered.na_verzenddag and not delivered.opnieuw_verstuurd
    assert not mails(service, vk.LATE_SEND)
    vk_versturen(case)
    versions, sends = card(service, case.case_id)
    (definitive,) = [s for s in sends if s.reden == "vk_definitief_verzonden"]
    assert definitive.versie == versions[-1].versie == delivered.vk_versie
    assert "Net op tijd gelezen." in versions[-1].secties["reactie_ouders"]


def test_in_time_the_reaction_enters_the_card_at_once_with_its_date(service, clock):
    case = start_through_p0(service, clock, P3)
    organiseren(case, GESPREK)
    # Not asked yet: there is nothing to react to, and the case says so.
    with pytest.raises(NotFound):
        case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Te vroeg."})
    reactie_vragen(case)
    delivered = case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Gelezen.", "ontvangen_op": "2026-03-01"})
    assert not delivered.na_verzenddag and delivered.instance_id is not None
    versions, _ = card(service, case.case_id)
    assert versions[-1].secties["reactie_ouders"] == "Ontvangen op 01-03-2026:\nGelezen."
    assert case.open_ids() == ["Task_ReactieOudersVerwerken"]
    with pytest.raises(NotFound):
        case.message("bestaat_niet", {})


def test_the_cards_always_reach_the_parents_and_every_participant(service, clock):
    """An empty distribution list still sends to both parents and the participants; a parent
    without an address is handed the card by the inbrenger; an invalid address is refused."""
    case = start_through_p0(service, clock, P3, ouders=[
        {"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
        {"naam": "Mark de Vries", "contact": "06-12345678", "gezag": True}])
    organiseren(case, GESPREK)
    reactie_vragen(case)
    zonder_reactie(case, VERZENDDAG)
    task = case.task("Task_DefinitieveVkVersturen")
    with pytest.raises(InvalidInput) as refused:
        service.complete_task(task.id, {"verzendlijst_definitieve_vk": [
            {"naam": "Oma", "rol": "grootouder", "email": "oma@@example"}]}, "anna")
    assert "verzendlijst_definitieve_vk" in refused.value.errors
    case.complete("Task_DefinitieveVkVersturen", {"verzendlijst_definitieve_vk": []})
    _, sends = card(service, case.case_id)
    (definitive,) = [s for s in sends if s.reden == "vk_definitief_verzonden"]
    assert definitive.aan == ["anna@example.org", "petra@example.org"]
    assert definitive.toelichting == ("niet per mail: via de inbrenger: Mark de Vries (ouder), "
                                      "Nina Netwerkpartner (netwerkpartner)")
    (mail,) = mails(service, "vk_definitief_verzonden")
    assert "Mark de Vries (ouder)" in mail.body and "niet per mail: via de inbrenger" in mail.body
    # The inbrenger gets the task to hand it over; it is hers and due on the sending day.
    assert case.open_ids() == ["Task_VkOverhandigen"]
    handover = case.task("Task_VkOverhandigen")
    assert handover.assignee == "anna" and handover.due_at.astimezone(VERZENDDAG.tzinfo).date() == VERZENDDAG.date()
    # Not done by the pre-meeting: it lapses, and the conversation is not held up.
    case.move_clock(at(2026, 3, 12, 9, 30, 1))
    assert "Task_VkOverhandigen" not in case.open_ids() and "Task_Voorbespreking" in case.open_ids()
    assert [t.state for t in service.tasks(case_id=case.case_id, state=None)
            if t.bpmn_id == "Task_VkOverhandigen"] == ["cancelled"]
    case.assert_replays()


def test_after_the_conversation_the_parents_cannot_be_taken_off(service, clock):
    case = to_the_sending_day(service, clock)
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    case.complete("Task_GesprekVerwerken", {"weergave_gesprek": "Weergave.", "afspraken_in_vk_verwerkt": True})
    # Only a network partner on the list: the parents and the participants get it all the same.
    case.complete("Task_UitkomstInvullen", {"uitkomst": "Afspraken.", "verzendlijst_na_gesprek": [
        {"naam": "Karin", "rol": "netwerkpartner", "email": "karin@example.org"},
        {"naam": "Nina Netwerkpartner", "rol": "netwerkpartner", "email": "nina@example.org"}]})
    _, sends = card(service, case.case_id)
    (after,) = [s for s in sends if s.reden == "vk_na_gesprek_verzonden"]
    assert after.aan == ["anna@example.org", "karin@example.org", "nina@example.org"]
    assert after.toelichting == ("niet per mail: via de inbrenger: Petra de Vries (ouder), "
                                 "Mark de Vries (ouder)")
    assert case.open_ids() == ["Task_VkOverhandigen"]
    case.complete("Task_VkOverhandigen", {"vk_overhandigd": True, "vk_overhandigd_hoe": "Op papier."})
    assert case.open_ids() == []


def test_who_receives_the_card_is_one_pure_rule():
    data = {
        "ouders": [{"naam": "Petra", "contact": "petra@example.org"}, {"naam": "Mark", "contact": "0612345678"}],
        "deelnemers": [{"naam": "petra", "rol": "ouder"}, {"naam": "Sam", "rol": "jeugdige"},
                       {"naam": "Nina", "rol": "netwerkpartner", "email": "nina@example.org"}],
        "voorzitter_type": "onafhankelijk", "voorzitter_naam": "Victor", "voorzitter_contact": "victor@example.org",
        "lijst": [{"naam": "Mark", "rol": "ouder", "email": "mark@example.org"}, {"naam": "Oma", "rol": "oma"}],
    }
    entries = vk_ontvangers(data, "lijst")
    assert [(e["naam"], e["email"]) for e in entries] == [
        ("Petra", "petra@example.org"), ("Mark", "mark@example.org"), ("Nina", "nina@example.org"),
        ("Victor", "victor@example.org"), ("Oma", None)]
    assert zonder_email(entries) == ["Oma (oma)"]  # the jeugdige only when added (regional choice)
    data["instellingen"] = {"vk_alleen_indien_afgesproken": []}
    assert "Sam (jeugdige)" in zonder_email(vk_ontvangers(data, "lijst"))


def test_the_chair_is_told_at_the_chosen_address(service, clock):
    case = start_through_p0(service, clock, P3)
    from app.service import notifications

    with service.ctx.transaction() as session:
        row = session.get(Case, case.case_id)
        assert notifications.chair_recipients(session, row, {
            "voorzitter_type": "onafhankelijk", "voorzitter_contact": "victor@example.org"}) == [
            "anna@example.org", "victor@example.org"]
        assert notifications.chair_recipients(session, row, {
            "voorzitter_type": "onafhankelijk", "voorzitter_gebruiker": "victor"}) == [
            "anna@example.org", "victor@example.org"]


def test_the_marking_is_written_once(service, clock):
    case = to_the_sending_day(service, clock)
    case.move_clock(at(2026, 3, 9, 12, 0))  # another worker round the same day: nothing twice
    assert len(mails(service, "reactie_ouders_niet_ontvangen")) == 1
    versions, _ = card(service, case.case_id)
    assert sum(v.status == "reactie_ouders_niet_ontvangen" for v in versions) == 1
