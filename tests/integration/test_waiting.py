"""What a case waits for outside the product (the werkbak's "Wachten op anderen"): by the names in
the diagram, until when, only for the people who take part, and gone once the word came."""
from __future__ import annotations

from app.engine.clock import TZ
from tests.procedures.gesprek_steps import organiseren, reactie_vragen, start_through_p0


def _waiting_for_parents(service, clock):
    case = start_through_p0(service, clock, "interventiegesprek")
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    return case


def test_a_case_waiting_for_the_parents_says_for_what_and_until_when(service, clock):
    case = _waiting_for_parents(service, clock)
    [waiting] = service.waiting_cases("anna")
    assert waiting.case.id == case.case_id
    assert waiting.procedure == "Veiligheidskaart voorbereiden en definitief versturen"  # the diagram it waits in
    assert [w.name for w in waiting.messages] == ["Reactie ouders ontvangen"]
    # Until the sending day of the final card (3 working days before the conversation on 12-03), 09:00.
    assert [w.name for w in waiting.timers] == ["Verzenddag definitieve VK, 09:00"]
    assert waiting.until.astimezone(TZ).strftime("%d-%m-%Y %H:%M") == "09-03-2026 09:00"
    # Deadlines on work going on (the term of the final card, the target term after the CAB) and the
    # case's own action (moving the moment) are not "waiting on others".
    names = {w.name for w in waiting.messages + waiting.timers}
    assert not names & {"Termijn definitieve VK verstreken", "Streeftermijn na CAB", "Moment wijzigen"}


def test_only_people_taking_part_see_the_wait_and_it_ends_with_the_reaction(service, clock):
    case = _waiting_for_parents(service, clock)
    assert service.waiting_cases("bram") == []  # an inbrenger of another gemeente: not part of this case
    service.upsert_user("audrey", "Audrey Auditor", ["auditor"])
    assert service.waiting_cases("audrey") == []  # reading every case is not taking part in it
    case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Wij herkennen ons niet in punt 2."})
    assert service.waiting_cases("anna") == []  # now there is work: the reaction goes into the card


def test_a_case_with_only_work_to_do_does_not_wait(service, clock):
    start_through_p0(service, clock, "interventiegesprek")  # the inbrenger plans the moment: her task
    assert service.waiting_cases("anna") == []


def test_a_case_waiting_for_a_date_names_the_date(service, clock):
    """The final card went out: nothing to do until half an hour before the conversation."""
    from tests.procedures.gesprek_steps import at, reactie_ontvangen, vk_versturen

    case = _waiting_for_parents(service, clock)
    reactie_ontvangen(case, at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    [waiting] = service.waiting_cases("anna")
    assert waiting.messages == []
    assert [w.name for w in waiting.timers] == ["Half uur voor het gesprek"]
    assert waiting.until.astimezone(TZ).strftime("%d-%m-%Y %H:%M") == "12-03-2026 09:30"


def test_the_inbrenger_sees_her_case_waiting_for_the_rvdk(service, clock):
    from tests.procedures.test_p4_interventiegesprek_rvdk import naar_rvdk

    case = naar_rvdk(service, clock)
    [waiting] = service.waiting_cases("anna")
    assert waiting.case.id == case.case_id and (waiting.messages, waiting.timers) == ([], [])
    assert [(t.name, t.role) for t in waiting.tasks] == [("Toetsen of er grond is om aan te sluiten", "rvdk")]
    assert waiting.procedure == "Interventiegesprek met de RvdK"
    # For the RvdK it is work to do (offered to his role), not a wait.
    assert [w.case.id for w in service.waiting_cases("rik")] == []
