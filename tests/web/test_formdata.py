"""Posted HTML forms turned into the dict the service validates (app/web/formdata.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.formdefs import FormRegistry
from app.web.formdata import form_to_data

FORMS = FormRegistry(Path(__file__).resolve().parents[2] / "forms")


def convert(form_key: str, pairs: list[tuple[str, str]]) -> dict:
    return form_to_data(FORMS.get(form_key), MultiDict(pairs))


def test_lists_checkboxes_choices_and_empty_strings():
    data = convert("p0_cab_houden", [
        ("advies_type", "andere_aanpak"), ("advies_tekst", "  Advies  "),
        ("afspraken-0-wie", "Anna"), ("afspraken-0-wat", "Organiseren"), ("afspraken-0-wanneer", ""),
        ("afspraken-1-wie", ""), ("afspraken-1-wat", ""),  # an empty row: dropped
        ("afspraken-12-wie", "Vera"), ("afspraken-12-wat", "Monitoren"), ("afspraken-12-monitoring", "6 weken"),
        ("interventies", "zorg"), ("interventies", "netwerkberaad"),
        ("netwerkpartner_gebruikers", "nina"), ("netwerkpartner_gebruikers", " "),  # people picker, several
        ("benodigde_partijen-0-naam", "Oma"),
        ("aansluitende_partners-0-naam", "   "),  # only spaces: not filled in
        ("onbekend", "x"), ("csrf_token", "t"),
    ])
    assert data == {
        "advies_type": "andere_aanpak",
        "advies_tekst": "  Advies  ",  # as typed: the validation trims
        "afspraken": [{"wie": "Anna", "wat": "Organiseren"},
                      {"wie": "Vera", "wat": "Monitoren", "monitoring": "6 weken"}],
        "interventies": ["zorg", "netwerkberaad"],
        "netwerkpartner_gebruikers": ["nina"],
        "aansluitende_partners": [],
        "benodigde_partijen": [{"naam": "Oma"}],
    }


def test_rows_follow_their_number_not_the_order_they_arrive_in():
    data = convert("p0_cab_houden", [("afspraken-10-wie", "B"), ("afspraken-2-wie", "A"), ("afspraken-x-wie", "?")])
    assert data["afspraken"] == [{"wie": "A"}, {"wie": "B"}]


def test_yes_no_becomes_a_boolean_and_show_if_drops_hidden_fields():
    assert convert("p3_voorbespreking", [("voorbespreking_gehouden", "ja"), ("voorbespreking_aantekeningen", "Notities")]) \
        == {"voorbespreking_gehouden": True, "voorbespreking_aantekeningen": "Notities"}
    # Typed in, then "nee": the notes are hidden and not sent.
    assert convert("p3_voorbespreking", [("voorbespreking_gehouden", "nee"), ("voorbespreking_aantekeningen", "Notities")]) \
        == {"voorbespreking_gehouden": False}
    assert convert("p3_voorbespreking", []) == {}
    # Something else than ja/nee is left for the validation to refuse.
    assert convert("p3_voorbespreking", [("voorbespreking_gehouden", "misschien")]) == {"voorbespreking_gehouden": "misschien"}


def test_no_box_ticked_is_the_answer_none_and_hidden_lists_are_dropped():
    assert convert("sp_gesprek_organiseren_veiligheid", [("veiligheidsinschatting", "Rustig")]) == {
        "veiligheidsinschatting": "Rustig", "veiligheidsmaatregelen": []}
    # netwerkberaad not chosen: its list of parties is hidden, whatever was typed in it.
    data = convert("p0_cab_houden", [("interventies", "zorg"), ("benodigde_partijen-0-naam", "Oma")])
    assert "benodigde_partijen" not in data


@pytest.mark.parametrize("pairs, expected", [
    ([("ouders-0-naam", "Petra"), ("ouders-0-gezag", "ja")], [{"naam": "Petra", "gezag": True}]),
    ([("ouders-0-naam", "Petra"), ("ouders-0-gezag", "nee")], [{"naam": "Petra", "gezag": False}]),
    ([("ouders-0-gezag", "nee")], [{"gezag": False}]),
    ([("ouders-0-naam", ""), ("ouders-0-contact", "")], []),
])
def test_yes_no_inside_rows(pairs, expected):
    assert convert("start_casus", pairs)["ouders"] == expected


def test_the_result_passes_the_forms_validation():
    data = convert("start_casus", [
        ("gemeente", "roosendaal"), ("inbrenger_organisatie", "SPRING"), ("ouders-0-naam", "Petra"),
        ("ouders-0-gezag", "ja"), ("jeugdigen-0-naam", "Sam"), ("jeugdigen-0-geboortedatum", "2015-06-01"),
        ("jeugdigen-1-naam", ""), ("cab_datum", "2026-03-02"), ("maatregel", "geen"), ("einde_maatregel", ""),
    ])
    assert FORMS.validate("start_casus", data)["jeugdigen"] == [{"naam": "Sam", "geboortedatum": "2015-06-01"}]


def test_every_row_is_kept_so_the_validation_can_refuse_too_many():
    """Not silently the first 200: the form's own limit decides, with a message (issue 8, point 9)."""
    pairs = [(f"ouders-{i}-naam", f"Ouder {i}") for i in range(250)]
    data = convert("start_casus", pairs)
    assert len(data["ouders"]) == 250 and data["ouders"][-1] == {"naam": "Ouder 249"}
