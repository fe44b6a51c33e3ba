"""What the case already knows fills the forms (issue 13), through the service on SQLite and
PostgreSQL: the card's recipients, the chair's notes, the advice already in the card (P4 after
P0), the chair that an earlier answer rules out, the chair's agreements in the card, the card's
version recorded by the product."""
from sqlalchemy import select

from app.service import veiligheidskaart
from persistence.models import Event
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import (
    at,
    cab,
    gesprek_voeren,
    organiseren,
    reactie_vragen,
    start_through_p0,
    vk_versturen,
    voorbespreking,
)

OUDERS = [{"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
          {"naam": "Mark de Vries", "gezag": True}]


def _prefill(case, bpmn_id):
    return case.service.task_prefill(case.task(bpmn_id), case.case())


def _card(service, case_id):
    with service.ctx.reading() as session:
        return veiligheidskaart.current(session, case_id)


def _completed_data(service, case_id, bpmn_id) -> dict:
    with service.ctx.reading() as session:
        events = session.scalars(select(Event).where(Event.case_id == case_id, Event.type == "task_completed")
                                 .order_by(Event.seq)).all()
        return [e.data.get("data") for e in events if e.task_bpmn_id == bpmn_id][-1]


def test_p4_vraagt_het_advies_na_p0_als_bevestiging_met_de_kaart_erbij(service, clock):
    case = start_through_p0(service, clock, "interventiegesprek_rvdk")
    assert case.open_ids() == ["Task_AdviesVerwerken"]  # P4's own step, right after P0's
    task = case.task("Task_AdviesVerwerken")
    assert _prefill(case, "Task_AdviesVerwerken") == {"vk_advies_verwerkt": True}
    card = service.task_card(task)
    assert card.versie == 1 and card.secties["advies_tekst"].startswith("In gesprek met het gezin")
    definition = service.task_form(task)
    assert [f.name for f in definition.fields] == ["vk_advies_verwerkt", "vk_toelichting"]  # no version asked


def test_p0_vraagt_het_advies_zonder_kaart_niet_als_verwerkt(service, clock):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", cab("interventiegesprek"))
    assert _prefill(case, "Task_AdviesVerwerken") == {}  # nothing in the card yet: the user says so himself


def test_onafhankelijk_voorzitter_vereist_dan_is_de_inbrenger_geen_keuze(service, clock):
    case = start_through_p0(service, clock, "interventiegesprek")
    case.complete("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                         "deelnemers": [{"naam": "Nina Netwerkpartner", "rol": "netwerkpartner"}]})
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Dreiging.",
                                                "veiligheidsmaatregelen": ["onafhankelijk_voorzitter"]})
    task = case.task("Task_VoorzitterAfstemmen")
    assert service.task_form(task).field("voorzitter_type").options == (("onafhankelijk", "Onafhankelijk voorzitter"),)
    assert _prefill(case, "Task_VoorzitterAfstemmen") == {"voorzitter_type": "onafhankelijk"}


def test_zonder_die_maatregel_blijft_de_inbrenger_een_keuze(service, clock):
    case = start_through_p0(service, clock, "interventiegesprek")
    case.complete("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                         "deelnemers": [{"naam": "Nina Netwerkpartner", "rol": "netwerkpartner"}]})
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []})
    options = service.task_form(case.task("Task_VoorzitterAfstemmen")).field("voorzitter_type").option_values
    assert options == ["inbrenger", "onafhankelijk"]
    assert _prefill(case, "Task_VoorzitterAfstemmen") == {}


def test_verzendlijsten_notulen_afspraken_en_versie_komen_uit_de_casus(service, clock):
    case = start_through_p0(service, clock, "interventiegesprek", ouders=OUDERS)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    case.move_clock(at(2026, 3, 9, 9, 0, 1))  # the sending day without a reaction
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    assert _prefill(case, "Task_DefinitieveVkVersturen") == {"verzendlijst_definitieve_vk": [
        {"naam": "Petra de Vries", "rol": "ouder", "email": "petra@example.org"},
        {"naam": "Mark de Vries", "rol": "ouder", "email": ""},
        {"naam": "Nina Netwerkpartner", "rol": "netwerkpartner", "email": ""},
    ]}
    card = service.task_card(case.task("Task_DefinitieveVkVersturen"))
    vk_versturen(case)
    assert _completed_data(service, case.case_id, "Task_DefinitieveVkVersturen")["vk_versie"] == card.versie

    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case)
    # The chair's agreements are in the card's "(Veiligheids)afspraken" once the conversation was held.
    task = case.task("Task_GesprekVerwerken")
    card = service.task_card(task)
    assert card.status == "gesprek_gevoerd"
    assert card.secties["veiligheidsafspraken"] == (
        "- Moeder: Opvoedondersteuning aanvaarden (uiterlijk 01-06-2026; monitoring: inbrenger)")
    assert _prefill(case, "Task_GesprekVerwerken") == {"weergave_gesprek": (
        "Zorgen besproken.\n\nAfspraken:\n"
        "- Moeder: Opvoedondersteuning aanvaarden (uiterlijk 01-06-2026; monitoring: inbrenger)")}
    case.complete("Task_GesprekVerwerken", {"weergave_gesprek": "Weergave.", "afspraken_in_vk_verwerkt": True})
    rows = _prefill(case, "Task_UitkomstInvullen")["verzendlijst_na_gesprek"]
    assert [r["naam"] for r in rows] == ["Petra de Vries", "Mark de Vries", "Nina Netwerkpartner"]


def test_een_gesprek_dat_niet_doorging_laat_de_afspraken_van_de_kaart_ongemoeid(service, clock):
    case = start_through_p0(service, clock, "interventiegesprek")
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    case.move_clock(at(2026, 3, 9, 9, 0, 1))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    before = _card(service, case.case_id)
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")
    after = _card(service, case.case_id)
    assert after.versie == before.versie and not after.secties.get("veiligheidsafspraken")
