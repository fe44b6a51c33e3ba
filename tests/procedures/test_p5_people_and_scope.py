"""Issue 9, section 4 through P5: the steps go to the people chosen in the case (the GI
casusregisseur, the toegang professional of the case's gemeente), the picker offers and accepts
only those in scope, and who sees the case follows the gemeente (toegang) and the organisation (GI).
The card for the toegang never goes to another gemeente; without a toegang there the beheerder hears."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.service.errors import InvalidInput, NotFound
from persistence.models import OutboxMessage

from .driver import CaseDriver
from .test_p5_warme_overdracht import INBRENGEN, KERNBESLISSING, bespreking, toets

OTHERS = [
    ("teun", "Teun Toegang", ["toegang"], "moerdijk", None),
    ("greet", "Greet GI", ["gi"], None, "Jeugdbescherming Brabant"),       # gina's colleague
    ("gijs", "Gijs GI", ["gi"], None, "William Schrikker Jeugdbescherming"),
    ("beheer", "Bea Beheerder", ["beheerder"], None, None),
]


@pytest.fixture
def people(service):
    for username, naam, rollen, gemeente, organisatie in OTHERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, organisatie=organisatie,
                            email=f"{username}@example.org")
    return service


def _start(service, clock, gemeente="roosendaal", **extra) -> CaseDriver:
    data = {"gemeente": gemeente, "inbrenger_organisatie": "Jeugdbescherming Brabant",
            "ouders": [{"naam": "Petra de Vries", "gezag": True}],
            "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2012-05-01"}], "einde_maatregel": "2026-07-06",
            **extra}
    return CaseDriver.start(service, clock, "p5_warme_overdracht", data, actor="gina")


def _sees(service, username, case_id) -> bool:
    try:
        service.case_for(username, case_id)
        return True
    except NotFound:
        return False


def test_the_gi_steps_go_to_the_chosen_casusregisseur_and_colleagues_of_the_organisation_see_it(people, clock):
    service = people
    case = _start(service, clock, gi_gebruiker="greet")
    assert case.task("Task_Kernbeslissing").assignee == "greet"  # not every GI of the region
    assert _sees(service, "greet", case.case_id) and _sees(service, "gina", case.case_id)
    assert not _sees(service, "gijs", case.case_id)  # another GI organisation
    assert not _sees(service, "tom", case.case_id) and not _sees(service, "teun", case.case_id)
    with pytest.raises(InvalidInput) as refused:  # a GI of another organisation cannot be chosen
        service.start_case("p5_warme_overdracht", {**service.case(case.case_id).gegevens, "gi_gebruiker": "gijs"},
                           "gina")
    assert "Jeugdbescherming Brabant" in refused.value.errors["gi_gebruiker"][0]  # who may be chosen

    # Without a choice the starter is the casusregisseur.
    own = _start(service, clock)
    assert own.task("Task_Kernbeslissing").assignee == "gina"


def test_the_toegang_of_the_case_gemeente_gets_the_handover_only_after_the_toets(people, clock):
    service = people
    case = _start(service, clock)
    case.complete("Task_Kernbeslissing", KERNBESLISSING, "gina")
    case.complete("Task_CasusInbrengenVht", INBRENGEN, "gina")
    with pytest.raises(InvalidInput):  # the toegang of Moerdijk is not offered for a Roosendaal case
        case.complete("Task_OverdrachtBespreken", {**bespreking(True), "toegang_gebruiker": "teun"}, "vera")
    case.complete("Task_OverdrachtBespreken", {**bespreking(True), "toegang_gebruiker": "tom"}, "vera")
    assert case.open_ids() == ["Task_BetekenisvolToetsen"]  # nothing for the toegang yet
    case.complete("Task_BetekenisvolToetsen", toets(True), "rik")
    assert case.task("Task_WarmeOverdrachtRegelen").assignee == "tom"
    assert _sees(service, "tom", case.case_id)
    assert not _sees(service, "teun", case.case_id)  # a toegang user of Moerdijk never sees a Roosendaal case


def test_without_a_toegang_in_the_gemeente_the_card_goes_to_nobody_and_the_beheerder_hears(people, clock):
    from app.service.notifications import enqueue

    service = people
    case = _start(service, clock, gemeente="zundert")  # no toegang user in Zundert
    with service.ctx.transaction() as session:
        enqueue(session, case.case_id, 999, [{"kind": "message", "name": "vk_naar_toegang", "payload": {}}], [],
                service.ctx.now(), "http://test")
    with service.ctx.transaction() as session:
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.case_id,
                                                            OutboxMessage.reason != "nieuwe_taak")).all()
        assert [(m.reason, m.recipients) for m in mails] == [("geen_toegang", ["beheer@example.org"])]
        assert "Zundert" in mails[0].subject
