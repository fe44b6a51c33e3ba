"""What a task's form starts with and what it offers, from what the case already knows (issue 13):
pure rules of app/service/task_rules.py."""
from datetime import date, datetime

import pytest

from app.engine.clock import TZ
from app.formdefs import FormValidationError
from app.service import task_rules

TODAY = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=TZ)
DATA = {
    "ouders": [{"naam": "Petra de Vries", "gezag": True, "contact": "petra@example.org"},
               {"naam": "Mark de Vries", "gezag": True, "contact": "06-12345678"}],
    "deelnemers": [{"naam": "Nina Netwerkpartner", "rol": "netwerkpartner", "email": "nina@example.org"},
                   {"naam": "Jesse", "rol": "jeugdige", "email": "jesse@example.org"}],
    "voorzitter_type": "onafhankelijk", "voorzitter_naam": "Victor Voorzitter", "voorzitter_contact": "v@example.org",
}


def test_de_verzendlijst_begint_met_ouders_deelnemers_en_voorzitter():
    rows = task_rules.prefill("sp_vk_voorbereiden_definitief_versturen", DATA, TODAY)["verzendlijst_definitieve_vk"]
    assert rows == [
        {"naam": "Petra de Vries", "rol": "ouder", "email": "petra@example.org"},
        {"naam": "Mark de Vries", "rol": "ouder", "email": ""},  # a phone number is no address: to fill in
        {"naam": "Nina Netwerkpartner", "rol": "netwerkpartner", "email": "nina@example.org"},
        {"naam": "Victor Voorzitter", "rol": "voorzitter", "email": "v@example.org"},
    ]  # the jeugdige only when the inbrenger adds him (regional choice vk_alleen_indien_afgesproken)


def test_na_het_gesprek_staan_ook_de_eerder_afgesproken_ontvangers_erin():
    data = {**DATA, "verzendlijst_definitieve_vk": [{"naam": "Jesse", "rol": "jeugdige", "email": "jesse@example.org"}]}
    rows = task_rules.prefill("sp_vk_na_gesprek_uitkomst", data, TODAY)["verzendlijst_na_gesprek"]
    assert [r["naam"] for r in rows] == ["Petra de Vries", "Mark de Vries", "Nina Netwerkpartner",
                                         "Victor Voorzitter", "Jesse"]


def test_gesprek_verwerken_begint_met_notulen_en_afspraken_van_de_voorzitter():
    data = {"notulen": "Zorgen besproken.", "afspraken_gesprek": [
        {"wie": "Moeder", "wat": "Opvoedondersteuning aanvaarden", "wanneer": "2026-06-01", "monitoring": "inbrenger"},
        {"wie": "Nina", "wat": "Huisbezoek"}]}
    text = task_rules.prefill("sp_vk_na_gesprek_verwerken", data, TODAY)["weergave_gesprek"]
    assert text == ("Zorgen besproken.\n\nAfspraken:\n"
                    "- Moeder: Opvoedondersteuning aanvaarden (uiterlijk 01-06-2026; monitoring: inbrenger)\n"
                    "- Nina: Huisbezoek")
    assert task_rules.prefill("sp_vk_na_gesprek_verwerken", {}, TODAY) == {}


def test_advies_dat_al_in_de_kaart_staat_is_een_bevestiging():
    card = {"advies_tekst": "Zorg inzetten.", "afspraken": []}
    assert task_rules.prefill("sp_vk_verwerken_advies", {}, TODAY, card) == {"vk_advies_verwerkt": True}
    assert task_rules.prefill("sp_vk_verwerken_advies", {}, TODAY, None) == {}


def test_onafhankelijk_voorzitter_als_maatregel_sluit_de_inbrenger_als_voorzitter_uit():
    required = {"veiligheidsmaatregelen": ["onafhankelijk_voorzitter"]}
    chair = "sp_gesprek_organiseren_voorzitter"
    assert task_rules.excluded_options(chair, required) == {"voorzitter_type": {"inbrenger"}}
    assert task_rules.excluded_options(chair, {"veiligheidsmaatregelen": []}) == {}
    assert task_rules.prefill(chair, required, TODAY) == {"voorzitter_type": "onafhankelijk"}
    with pytest.raises(FormValidationError) as refused:
        task_rules.apply("sp_gesprek_organiseren_voorzitter", {"voorzitter_type": "inbrenger"}, required, NOW)
    assert "Kies 'Onafhankelijk voorzitter'" in refused.value.errors["voorzitter_type"][0]
    assert task_rules.apply("sp_gesprek_organiseren_voorzitter", {"voorzitter_type": "inbrenger"}, {}, NOW) == {
        "voorzitter_type": "inbrenger"}


def test_de_versie_van_de_definitieve_kaart_komt_van_de_kaart():
    values = task_rules.apply("sp_vk_voorbereiden_definitief_versturen", {"verzendlijst_definitieve_vk": []}, {}, NOW,
                              card_version=3)
    assert values["vk_versie"] == 3
