"""Every change to the Veiligheidskaart by a task is a new version (who, when, which task, which
sections changed); versions compare per section; the card renders to a real PDF."""
from app.service import veiligheidskaart as vk

from .conftest import pdf_text
from .steps import INBRENGEN, naar_rvdk, p4_to_the_end, p5_to_vk_update


def rows(service, case_id):
    with service.ctx.transaction() as session:
        return vk.versions(session, case_id), vk.sends(session, case_id), vk.consents(session, case_id)


def test_the_tasks_that_update_the_card_make_versions(service, clock):
    case = naar_rvdk(service, clock)
    versions, sends, _ = rows(service, case.case_id)
    # P0 processed the CAB advice: version 1; P4 processing it again changed nothing: no new version.
    assert [v.versie for v in versions] == [1]
    first = versions[0]
    assert (first.door, first.taak) == ("anna", "Advies en afspraken verwerken in de Veiligheidskaart")
    assert first.secties["advies_tekst"] == "In gesprek met het gezin over de zorgen en de afspraken."
    assert first.secties["afspraken"][0]["monitoring"] == "na het gesprek in het VeiligheidsTeam"
    assert first.gewijzigd == ["advies_tekst", "afspraken"]
    assert first.op == clock.now()
    assert first.status == "naar_rvdk_gestuurd"  # sent to the RvdK right after
    assert [(s.reden, s.versie, s.status) for s in sends] == [("vk_naar_rvdk", 1, "verzonden")]

    p4_to_the_end(case)
    versions, sends, _ = rows(service, case.case_id)
    assert [(v.versie, v.gewijzigd, v.door) for v in versions] == [
        (1, ["advies_tekst", "afspraken"], "anna"),
        (2, ["reactie_ouders"], "anna"),
        (3, ["veiligheidsafspraken"], "anna"),  # the chair's agreements, when the conversation was held
        (4, ["weergave_gesprek"], "anna"),
        (5, ["uitkomst"], "anna"),
    ]
    # The reaction is in the card from the moment it is recorded, with its date of receipt.
    assert versions[1].secties["reactie_ouders"] == "Ontvangen op 02-03-2026:\nWij herkennen ons niet in punt 2."
    assert versions[1].taak == "Reactie van ouders ontvangen"
    assert versions[1].status == "definitief_verzonden"
    assert versions[2].secties["veiligheidsafspraken"] == (
        "- Moeder: Opvoedondersteuning aanvaarden (uiterlijk 01-06-2026; monitoring: inbrenger)")
    assert versions[4].secties["uitkomst"] == "Ouders aanvaarden hulp."
    assert versions[4].secties["advies_tekst"] == versions[0].secties["advies_tekst"]  # carried over
    assert versions[4].status == "na_gesprek_verzonden"
    assert [(s.reden, s.versie) for s in sends] == [
        ("vk_naar_rvdk", 1), ("vk_definitief_verzonden", 2), ("vk_na_gesprek_verzonden", 5)]
    assert "petra@example.org" in sends[1].aan and "anna@example.org" in sends[1].aan
    case.assert_replays()


def test_p5_summary_and_safety_agreements(service, clock):
    case = p5_to_vk_update(service, clock, toestemming=True)
    versions, _, consents = rows(service, case.case_id)
    assert [(v.versie, v.gewijzigd, v.door, v.status) for v in versions] == [
        (1, ["samenvatting"], "gina", "geactualiseerd_voor_vht"),
        (2, ["veiligheidsafspraken"], "gina", "gedeeld_met_toegang"),
    ]
    assert versions[0].secties["samenvatting"] == INBRENGEN["vk_samenvatting"]
    assert [(c.wie, c.gegeven, c.vastgelegd_door) for c in consents] == [("ouders", True, "gina")]


def test_diff_per_section(service, clock):
    case = naar_rvdk(service, clock)
    p4_to_the_end(case)
    left, right, sections = service.vk_compare("anna", case.case_id, 1, 5)
    changed = {s["key"]: s for s in sections if s["gewijzigd"]}
    assert set(changed) == {"reactie_ouders", "veiligheidsafspraken", "weergave_gesprek", "uitkomst"}
    assert changed["uitkomst"]["links"] == "" and changed["uitkomst"]["rechts"] == "Ouders aanvaarden hulp."
    assert changed["uitkomst"]["woorden"] == [("erbij", "Ouders aanvaarden hulp.")]
    same = {s["key"] for s in sections if not s["gewijzigd"]}
    assert "advies_tekst" in same and "afspraken" in same


def test_the_card_is_a_real_pdf_with_the_case_on_it(service, clock, tmp_path):
    case = naar_rvdk(service, clock)
    name, data = service.vk_pdf("anna", case.case_id)
    reference = case.case().referentie
    assert name == f"VK-{reference}-v1.pdf"
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert reference in text
    assert "Versie 1 – 02-03-2026" in text  # the page header: version and date
    assert "In gesprek met het gezin over de zorgen" in text
    assert "Interventiegesprek" in text and "Anna" in text  # the afspraken table
