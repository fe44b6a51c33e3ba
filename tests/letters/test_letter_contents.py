"""The invitation letters: what they say, the age rule on the date of the conversation, the .ics."""
from datetime import date, datetime, timezone

import pytest

from app.documents import letters
from app.engine.clock import TZ

DATA = {
    "gesprek_datum": "2026-04-30T10:00",
    "locatie_type": "gemeentehuis", "ruimte": "Zaal 2",
    "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"},
                   {"naam": "Nina Netwerkpartner", "organisatie": "Veilig Thuis", "rol": "netwerkpartner"}],
    "ouders": [{"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
               {"naam": "Mark de Vries", "gezag": True}],
    "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2018-04-20"}],
    "uitnodiging_doel": "We willen het hebben over de ruzies thuis.",
    "instellingen": {"leeftijdsgrens_jeugdige": 8},
}
INBRENGER = {"naam": "Anna Inbrenger", "email": "anna@example.org", "organisatie": "SPRING Roosendaal"}


def invitation(**overrides) -> letters.Invitation:
    return letters.Invitation.from_case_data({**DATA, **overrides}, referentie="VHT-2026-0001", gemeente="roosendaal",
                                             inbrenger=INBRENGER, today=date(2026, 3, 2))


def text(html: str) -> str:
    return " ".join(html.split())


def test_the_parents_letter_says_purpose_place_time_who_and_vertrouwenspersoon():
    html = text(letters.letter_ouders(invitation()))
    assert "Beste Petra de Vries en Mark de Vries" in html
    assert "samen met u tot een aanpak te komen waarin u vertrouwen hebt en waaraan u kunt en wilt meewerken" in html
    assert "We willen het hebben over de ruzies thuis." in html  # the inbrenger's own words
    assert "Gemeentehuis Roosendaal, Zaal 2" in html
    assert "donderdag 30 april 2026" in html
    assert "10:00 uur tot ongeveer 11:30 uur" in html
    assert "Petra de Vries (ouder)" in html and "Nina Netwerkpartner (netwerkpartner, Veilig Thuis)" in html
    assert "U hebt het recht om een vertrouwenspersoon mee te brengen" in html
    assert "Sam is ook uitgenodigd" in html
    assert "VHT-2026-0001" in html and "maandag 2 maart 2026" in html  # reference and the letter's date


def test_the_jeugdige_letter_is_plain_and_says_the_same_things():
    inv = invitation()
    html = text(letters.letter_jeugdige(inv, inv.jeugdigen[0]))
    assert "Hoi Sam," in html
    assert "Je bent uitgenodigd voor een gesprek" in html
    assert "samen met jou en je ouders een plan maken" in html
    assert "donderdag 30 april 2026" in html and "10:00 uur" in html
    assert "Gemeentehuis Roosendaal, Zaal 2" in html
    assert "Nina Netwerkpartner (netwerkpartner)" in html
    assert "Je mag iemand meenemen die je vertrouwt" in html and "vertrouwenspersoon" in html


def test_names_are_escaped_and_another_location_is_shown_as_typed():
    inv = invitation(locatie_type="anders", locatie_anders="Buurthuis <De Kring>",
                     deelnemers=[{"naam": "<script>x</script>", "rol": "ouder"}])
    html = letters.letter_ouders(inv)
    assert "Buurthuis &lt;De Kring&gt;" in html and "<script>" not in html


def test_letters_render_to_pdf():
    inv = invitation()
    for html in (letters.letter_ouders(inv), letters.letter_jeugdige(inv, inv.jeugdigen[0])):
        pdf = letters.render_pdf(html)
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000


@pytest.mark.parametrize("geboortedatum, uitgenodigd", [
    ("2018-04-20", True),   # 7 today (2 March 2026), 8 on 30 April: invited
    ("2018-04-30", True),   # 8 on the very day of the conversation
    ("2018-05-01", False),  # 8 the day after the conversation: not invited
])
def test_the_age_rule_counts_on_the_date_of_the_conversation(geboortedatum, uitgenodigd):
    jeugdigen = [{"naam": "Sam de Vries", "geboortedatum": geboortedatum}]
    assert letters.leeftijd_op(geboortedatum, "2026-03-02") == 7  # all three are 7 today
    assert bool(letters.uit_te_nodigen_jeugdigen(jeugdigen, "2026-04-30T10:00", 8)) is uitgenodigd
    assert bool(invitation(jeugdigen=jeugdigen).jeugdigen) is uitgenodigd


def test_the_age_limit_is_the_setting_and_only_old_enough_children_get_a_letter():
    jeugdigen = [{"naam": "Sam de Vries", "geboortedatum": "2015-01-01"},
                 {"naam": "Lot de Vries", "geboortedatum": "2019-01-01"}]
    assert [j["naam"] for j in invitation(jeugdigen=jeugdigen).jeugdigen] == ["Sam de Vries"]
    assert invitation(jeugdigen=jeugdigen, instellingen={"leeftijdsgrens_jeugdige": 12}).jeugdigen == []


def test_the_ics_is_an_rfc5545_request_in_utc_with_crlf():
    inv = invitation()
    raw = letters.invitation_ics(inv, uid="gesprek-1@veiligheidsteam.local",
                                 dtstamp=datetime(2026, 3, 2, 9, 0, tzinfo=TZ), attendees=["petra@example.org"])
    body = raw.decode("utf-8")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    lines = unfolded.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    for expected in ("VERSION:2.0", "METHOD:REQUEST", "BEGIN:VEVENT", "END:VEVENT",
                     "UID:gesprek-1@veiligheidsteam.local",
                     "DTSTAMP:20260302T080000Z",        # 09:00 CET
                     "DTSTART:20260430T080000Z",        # 10:00 CEST
                     "DTEND:20260430T093000Z",
                     "SUMMARY:Interventiegesprek (VHT-2026-0001)",
                     "LOCATION:Gemeentehuis Roosendaal\\, Zaal 2",
                     "ORGANIZER:mailto:anna@example.org"):
        assert expected in lines, expected
    (description,) = [line for line in lines if line.startswith("DESCRIPTION:")]
    assert "vertrouwenspersoon" in description and "Nina Netwerkpartner" in description
    assert "\\n" in description


def test_a_contact_that_is_an_email_address():
    assert letters.looks_like_email("petra@example.org")
    assert not letters.looks_like_email("06-12345678")
    assert not letters.looks_like_email(None)
    assert letters.moment("2026-04-30T10:00").astimezone(timezone.utc).hour == 8
