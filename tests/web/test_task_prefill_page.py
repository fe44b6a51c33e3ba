"""Task pages that start with what the case knows (issue 13): the card's distribution list filled
from the conversation's participants, the card beside the steps that judge or edit it, a link to
the case's Veiligheidskaart on every task page, no 'De inbrenger zelf' when an independent chair
was required, and the chair's notes in 'Gesprek verwerken'."""
from __future__ import annotations

import re

from tests.procedures.driver import CaseDriver
from tests.procedures.gesprek_steps import (
    at,
    gesprek_voeren,
    organiseren,
    reactie_vragen,
    start_through_p0,
    vk_versturen,
    voorbespreking,
)

from .helpers import html

OUDERS = [{"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
          {"naam": "Mark de Vries", "gezag": True}]


def value_of(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def to_sending_day(web) -> CaseDriver:
    case = start_through_p0(web.service, web.clock, "interventiegesprek", ouders=OUDERS)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    case.move_clock(at(2026, 3, 9, 9, 0, 1))
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    return case


def test_de_verzendlijst_staat_al_klaar_met_de_kaart_ernaast(web):
    case = to_sending_day(web)
    task = case.task("Task_DefinitieveVkVersturen")
    page = html(web.browser("anna").get(f"/taken/{task.id}"))
    rows = [tuple(value_of(page, f"verzendlijst_definitieve_vk-{i}-{k}") for k in ("naam", "rol", "email"))
            for i in range(3)]
    assert rows == [("Petra de Vries", "ouder", "petra@example.org"), ("Mark de Vries", "ouder", ""),
                    ("Nina Netwerkpartner", "netwerkpartner", "")]
    assert "vk_versie" not in page and "Versie van de definitieve Veiligheidskaart" not in page
    # The current card beside the form, and the way to its versions and send log.
    assert 'id="vk-naast-kop">Veiligheidskaart, versie 2</h2>' in page
    assert "In gesprek met het gezin over de zorgen en de afspraken." in page
    assert "reactie ouders niet ontvangen" in page
    assert f'href="/casussen/{case.case_id}/veiligheidskaart"' in page

    # Sent as it stood: the list as prefilled goes out, the product records the card's version.
    response = web.browser("anna").post(f"/taken/{task.id}", {
        "actie": "afronden", **{f"verzendlijst_definitieve_vk-{i}-{k}": v for i, row in enumerate(rows)
                               for k, v in zip(("naam", "rol", "email"), row)}})
    assert response.status_code == 302
    assert "vk_definitief_verzonden" in case.sent_messages()


def test_een_taakpagina_zonder_kaart_ernaast_linkt_wel_naar_de_kaart(web):
    case = start_through_p0(web.service, web.clock, "interventiegesprek")
    task = case.task("Task_MomentPlannen")
    page = html(web.browser("anna").get(f"/taken/{task.id}"))
    assert f'href="/casussen/{case.case_id}/veiligheidskaart"' in page
    assert 'id="vk-naast-kop"' not in page  # planning a moment does not judge the card


def test_p4_toetsen_toont_de_kaart_en_het_advies_is_een_bevestiging(web):
    case = start_through_p0(web.service, web.clock, "interventiegesprek_rvdk")
    advies = case.task("Task_AdviesVerwerken")
    page = html(web.browser("anna").get(f"/taken/{advies.id}"))
    assert re.search(r'name="vk_advies_verwerkt" value="ja" checked', page)
    assert "Staat het advies al in de kaart" in page and 'id="vk-naast-kop">Veiligheidskaart, versie 1</h2>' in page
    assert "Versie of kenmerk" not in page
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True})
    toetsen = case.task("Task_GrondToetsen")
    page = html(web.browser("rik").get(f"/taken/{toetsen.id}"))
    assert 'id="vk-naast-kop">Veiligheidskaart, versie 1</h2>' in page
    assert "In gesprek met het gezin over de zorgen en de afspraken." in page
    assert web.browser("rik").get(f"/casussen/{case.case_id}/veiligheidskaart").status_code == 200  # the link works


def test_bij_een_vereiste_onafhankelijke_voorzitter_is_de_inbrenger_geen_keuze(web):
    case = start_through_p0(web.service, web.clock, "interventiegesprek")
    case.complete("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                         "deelnemers": [{"naam": "Nina Netwerkpartner", "rol": "netwerkpartner"}]})
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Dreiging.",
                                                "veiligheidsmaatregelen": ["onafhankelijk_voorzitter"]})
    task = case.task("Task_VoorzitterAfstemmen")
    anna = web.browser("anna")
    page = html(anna.get(f"/taken/{task.id}"))
    assert "De inbrenger zelf" not in page
    assert re.search(r'name="voorzitter_type" value="onafhankelijk" checked', page)
    # A hand-made post with the excluded choice is refused in Dutch, nothing saved.
    response = anna.post(f"/taken/{task.id}", {"actie": "afronden", "voorzitter_type": "inbrenger"})
    assert response.status_code == 422
    assert "Kies &#39;Onafhankelijk voorzitter&#39;." in html(response)
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_VoorzitterAfstemmen"]  # the location runs beside it


def test_gesprek_verwerken_begint_met_de_notulen_van_de_voorzitter(web):
    case = to_sending_day(web)
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case)
    task = case.task("Task_GesprekVerwerken")
    page = html(web.browser("anna").get(f"/taken/{task.id}"))
    textarea = re.search(r'<textarea id="f-weergave_gesprek"[^>]*>([^<]*)</textarea>', page).group(1)
    assert textarea.startswith("Zorgen besproken.") and "Moeder: Opvoedondersteuning aanvaarden" in textarea
    # Beside it, the card already holds the agreements under "(Veiligheids)afspraken".
    assert "(Veiligheids)afspraken</h3>" in page and "Afspraken uit het gesprek verwerkt" in page
