"""The text the product refuses at every entry point (app/inputs.py), and the form validation that
the CLI, the service layer, the API and the pages all go through (issue 8, points 4 and 9)."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from app.formdefs import FormRegistry
from app.formdefs.validation import FormValidationError
from app.inputs import DEEP, ENCODING, MAX_DEPTH, MAX_ID, NAME, TEXT, IdConverter, bad_text, encoding_problems, problems

FORMS = FormRegistry(Path(__file__).resolve().parents[2] / "forms")


@pytest.mark.parametrize("text", ["\ud800x", "x\udfff", "\x00", "a\x08", "\x0b", "\x0c", "\x1b[0m", "\x7f", "\x85", "\x9f"])
def test_refused_characters(text):
    assert bad_text(text)


@pytest.mark.parametrize("text", ["", "tab\t", "regel\nregel\r\n", "é ñ ß", "中文", "🙂", "\u00a0", "\ufffd", "\u200b"])
def test_accepted_text(text):
    assert not bad_text(text)


def test_problems_are_named_by_their_place():
    assert problems({"a": "ok", "b": ["ok", "x\x00"], "c": {"d": "\ud800"}}) == {"b": {"1": [TEXT]}, "c": {"d": [TEXT]}}
    assert problems({"\x00": 1}) == {"_schema": [NAME]}
    assert problems("x\x00") == {"_schema": [TEXT]}
    assert problems({"a": 1, "b": None, "c": True, "d": 1.5}) == {}
    deep: list = []
    for _ in range(10_000):  # no RecursionError: the walk stops at MAX_DEPTH
        deep = [deep]
    assert DEEP.format(max=MAX_DEPTH) in str(problems({"x": deep}))


def test_bytes_that_are_not_utf8_are_named():
    assert encoding_problems(b"a=1&b=%ED%A0%80&c=%FF&d=%C3%A9") == {"b": [ENCODING], "c": [ENCODING]}
    assert encoding_problems(b"%FF=1") == {"_schema": [ENCODING]}
    assert encoding_problems(b"") == {}


def test_ids_in_urls_stop_at_the_databases_integer():
    pattern = re.compile(f"^{IdConverter.regex}$")
    for number in (0, 7, 999_999_999, 1_000_000_000, 1_999_999_999, 2_147_483_599, 2_147_483_646, MAX_ID):
        assert pattern.match(str(number)), number
    for number in (MAX_ID + 1, 2_147_483_650, 2_147_490_000, 2_200_000_000, 9_999_999_999, 10**10, 10**30):
        assert not pattern.match(str(number)), number
    rng = random.Random(8)
    for _ in range(20_000):
        number = rng.randrange(0, 10**11)
        assert bool(pattern.match(str(number))) == (number <= MAX_ID), number


START = {"gemeente": "roosendaal", "inbrenger_organisatie": "SPRING", "cab_datum": "2026-03-02", "maatregel": "geen",
         "ouders": [{"naam": "Petra", "gezag": True}], "jeugdigen": [{"naam": "Sam", "geboortedatum": "2015-06-01"}]}


def test_the_form_validation_refuses_bad_text_for_every_caller():
    """The CLI (`vht start --data`) and the service reach forms only through this validation."""
    with pytest.raises(FormValidationError) as refused:
        FORMS.validate("start_casus", {**START, "inbrenger_organisatie": "\ud800x"})
    assert refused.value.errors == {"inbrenger_organisatie": [TEXT]}
    with pytest.raises(FormValidationError) as refused:
        FORMS.validate("start_casus", {**START, "ouders": [{"naam": "Petra\x00", "gezag": True}]})
    assert refused.value.errors == {"ouders": {"0": {"naam": [TEXT]}}}
    with pytest.raises(FormValidationError) as refused:  # an unknown field with a bad name: not echoed
        FORMS.validate("start_casus", {**START, "\ud800": "x"})
    assert refused.value.errors == {"_schema": [NAME]}
    assert FORMS.validate("start_casus", {**START, "inbrenger_organisatie": "Regel 1\nRegel\t2"})


@pytest.mark.parametrize("moment", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "0001-01-01T00:00",
                                    "1899-12-31T23:00", "2200-01-01T00:00"])
def test_datetimes_at_the_edge_of_the_calendar_are_refused(moment):
    with pytest.raises(FormValidationError) as refused:
        FORMS.validate("p2_afspraak_maken", {"gesprek_datum": moment, "locatie": "Stadhuis",
                                             "benodigde_partijen": [{"naam": "Oma"}]})
    assert refused.value.errors["gesprek_datum"] == ["Vul een datum tussen 1900 en 2199 in."]


def test_a_list_without_a_minimum_says_only_its_maximum():
    rows = [{"naam": f"Partner {i}"} for i in range(201)]
    data = {"advies_type": "andere_aanpak", "advies_tekst": "x", "afspraken": [{"wie": "A", "wat": "B"}],
            "interventies": ["zorg"], "aansluitende_partners": rows}
    with pytest.raises(FormValidationError) as refused:
        FORMS.validate("p0_cab_houden", data)
    assert refused.value.errors["aansluitende_partners"] == ["Vul hoogstens 200 rijen in."]
