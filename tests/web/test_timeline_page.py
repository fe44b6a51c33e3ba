"""What happened, with the data (issue 12, part 1), in the browser: a completed task opens
read-only with the values as submitted for whoever may see the case; the case page's timeline
shows the values entered, the before and after of changes, each kind apart, filters, and times
to the second. On SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import deploy_settings
from tests.procedures.gesprek_steps import cab

from .helpers import build_web, html

CAB = dict(cab("interventiegesprek"), netwerkpartner_gebruikers=["nina"])


@pytest.fixture
def web(service, clock):
    return build_web(service, clock)


def _held(web, clock) -> tuple[int, object]:
    """A case whose CAB vera held at 09:00:07 (after claiming it at 09:00:00)."""
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    web.service.claim(task.id, "vera")
    clock.advance(timedelta(seconds=7))
    web.service.complete_task(task.id, CAB, "vera")
    return case_id, task


def _main(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def test_a_completed_task_opens_read_only_with_the_values_as_submitted(web, clock):
    case_id, task = _held(web, clock)
    for username in ("vera", "anna", "ahmed"):  # who did it, the inbrenger of the case, the auditor
        response = web.browser(username).get(f"/taken/{task.id}")
        assert response.status_code == 200, username
        main = _main(html(response))
        assert "Zo ingediend door <strong>Vera de Boer</strong> op" in main
        assert '<time datetime="2026-03-02T08:00:07+00:00">02-03-2026 09:00:07</time>' in main
        assert "<dt>Datum van de bespreking</dt>" in main and ">02-03-2026</dd>" in main
        assert ">Er zijn mogelijkheden om een andere aanpak in te zetten</dd>" in main  # a choice by its label
        assert ">Interventiegesprek (vrijwillig kader)</dd>" in main
        assert ">Nina Mulder</dd>" in main  # a person by name
        assert "<th>Wie</th><th>Wat</th><th>Wanneer</th>" in main and "<td>Interventiegesprek organiseren</td>" in main
        assert CAB["advies_tekst"] in main
        # Nothing to change: no controls, no submit, no form to post.
        for control in ("<input", "<textarea", "<select", "<button", 'type="submit"', 'method="post"'):
            assert control not in main, (username, control)


def test_who_may_not_see_the_case_does_not_get_its_completed_task(web, clock):
    _, task = _held(web, clock)
    for outsider in ("bram", "victor"):  # another gemeente's inbrenger; a role with no part in the case
        assert web.browser(outsider).get(f"/taken/{task.id}").status_code == 404
    # Posting to a finished task changes nothing: what was typed comes back, the submission stays.
    vera = web.browser("vera")
    vera.get(f"/taken/{task.id}")
    response = vera.post(f"/taken/{task.id}", {"actie": "afronden", "advies_tekst": "Later getypt"})
    assert response.status_code == 409 and "al afgerond" in html(response)
    assert "Zo ingediend door" in html(response) and CAB["advies_tekst"] in html(response)
    assert web.service.submitted("vera", task.id).data["advies_tekst"] == CAB["advies_tekst"]


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """(data-soort, time text, who, first line of what) per row of the timeline."""
    history = page[page.index('id="historie-kop"'):]
    return [(kind, when, who, what.strip()) for kind, when, who, what in re.findall(
        r'<tr data-type="\w+" data-soort="(\w+)"><td><time[^>]*>([^<]+)</time></td><td>([^<]+)</td>'
        r'\s*<td><span[^>]*>[^<]+</span></td>\s*<td>(?:<a [^>]*>)?([^<]+)', history)]


def test_the_timeline_shows_values_changes_and_each_kind_to_the_second(web, clock):
    case_id, _ = _held(web, clock)
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    web.complete(case_id, "Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                                 "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"}]}, "anna")
    instance_id = web.service.case(case_id).instances[0].id
    web.service.correct_data(case_id, instance_id, "gesprek_datum", "2026-03-13T11:00", "beheer", "Typfout")
    page = html(web.browser("ahmed").get(f"/casussen/{case_id}"))
    rows = _rows(page)
    assert [(k, who, what) for k, _, who, what in rows if k != "mail"] == [
        ("start", "Anna de Jong", "Procedure gestart: Consultatie- en adviesbespreking"),
        ("claim", "Vera de Boer", "Taak opgepakt: Consultatie- en adviesbespreking houden"),
        ("taak", "Vera de Boer", "Taak afgerond: Consultatie- en adviesbespreking houden"),
        ("taak", "Anna de Jong", "Taak afgerond: Advies en afspraken verwerken in de Veiligheidskaart"),
        ("veiligheidskaart", "Anna de Jong", "Veiligheidskaart versie 1"),
        ("taak", "Anna de Jong", "Taak afgerond: Moment plannen in overleg met de netwerkpartners"),
        ("correctie", "Beheerder", "Gegevens gecorrigeerd door de beheerder: Datum en tijd van het gesprek"),
    ]
    assert [when for k, when, _, what in rows if k == "taak"][0] == "02-03-2026 09:00:07"
    assert all(re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d", when) for _, when, _, _ in rows)
    assert any(k == "mail" and what.startswith("Mail: Nieuwe taak:") for k, _, _, what in rows)
    history = page[page.index('id="historie-kop"'):]
    # The values entered, with the labels of the form; the correction and the card before and after.
    assert "<dt>Soort advies</dt>" in history and ">Er zijn mogelijkheden om een andere aanpak in te zetten</dd>" in history
    assert ">12-03-2026 10:00</dd>" in history
    assert re.search(r'<th scope="row">Datum en tijd van het gesprek</th><td class="voor">12-03-2026 10:00</td>'
                     r'<td class="na">13-03-2026 11:00</td>', history)
    assert re.search(r'<th scope="row">Advies van het VeiligheidsTeam</th><td class="voor">—</td><td class="na">'
                     + re.escape(CAB["advies_tekst"]), history)
    assert "<li>Reden: Typfout</li>" in history
    # A completed task in the timeline leads to its read-only page.
    assert re.search(r'<a href="/taken/\d+">Taak afgerond: Consultatie- en adviesbespreking houden</a>', history)


def test_the_filters_narrow_the_timeline_and_combine(web, clock):
    case_id, _ = _held(web, clock)
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    anna = web.browser("anna")
    everything = _rows(html(anna.get(f"/casussen/{case_id}")))
    by_vera = _rows(html(anna.get(f"/casussen/{case_id}?persoon=vera")))
    assert {who for _, _, who, _ in by_vera} == {"Vera de Boer"} and len(by_vera) == 2
    page = html(anna.get(f"/casussen/{case_id}?procedure=sp_vk_verwerken&soort=taak"))
    assert [what for _, _, _, what in _rows(page)] == [
        "Taak afgerond: Advies en afspraken verwerken in de Veiligheidskaart"]
    # The chosen filters stay chosen; every person and kind of the case stays offered.
    assert '<option value="sp_vk_verwerken" selected>' in page and '<option value="taak" selected>' in page
    assert '<option value="vera">Vera de Boer</option>' in page and '<option value="mail">Mail</option>' in page
    mails = _rows(html(anna.get(f"/casussen/{case_id}?soort=mail&persoon=systeem")))
    assert mails and {k for k, _, _, _ in mails} == {"mail"} and len(mails) < len(everything)
    empty = html(anna.get(f"/casussen/{case_id}?soort=verzending"))
    assert _rows(empty) == [] and "Geen gebeurtenissen met deze filters." in empty


def test_the_diagrams_are_those_of_the_version_the_case_ran_on(web, clock):
    case_id, _ = _held(web, clock)
    clock.advance(timedelta(minutes=5))
    deploy_settings(web.service, streeftermijn_gesprek_dagen=10)  # version 2 of every procedure, same diagrams
    anna = web.browser("anna")
    diagrams = anna.get(f"/casussen/{case_id}/diagrammen.json").get_json()["diagrammen"]
    assert {(d["process_id"], d["versie"]) for d in diagrams} == {("p0_consultatie_advies", 1), ("sp_vk_verwerken", 1)}
    page = html(anna.get(f"/casussen/{case_id}"))
    figures = re.findall(r'<figcaption>([^<]+) <span class="klein">\(versie (\d+)\)</span></figcaption>', page)
    assert figures == [("Consultatie- en adviesbespreking", "1"), ("Advies verwerken in de Veiligheidskaart", "1")]
    # A case started now runs on version 2, and says so.
    newer = web.start_case()
    web.complete(newer, "Task_CabHouden", CAB, "vera")
    assert {d["versie"] for d in anna.get(f"/casussen/{newer}/diagrammen.json").get_json()["diagrammen"]} == {2}
