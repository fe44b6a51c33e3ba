"""What is happening at a glance: the werkbak lists the cases that wait for others (what for, until
when), the deadlines say which deadline, and the card's send log says what became of the mail."""
from __future__ import annotations

import re

from tests.procedures.test_p4_interventiegesprek_rvdk import naar_rvdk

from .helpers import html
from .test_case_page import _until_parents_are_asked


def _section(page: str) -> str:
    assert 'id="wachten-kop"' in page, "no section 'Wachten op anderen'"
    return page[page.index('id="wachten-kop"'):page.index("</section>", page.index('id="wachten-kop"'))]


def test_the_werkbak_shows_a_case_waiting_for_the_parents_with_what_and_until_when(web):
    case_id = _until_parents_are_asked(web)
    referentie = web.service.case(case_id).referentie
    anna = web.browser("anna")
    page = html(anna.get("/werkbak"))
    waiting = _section(page)
    assert "Wachten op anderen" in waiting
    row = re.search(rf'<tr class="wacht" data-casus="{case_id}">.*?</tr>', waiting, re.S).group(0)
    assert referentie in row and "Veiligheidskaart voorbereiden en definitief versturen" in row
    assert "Reactie ouders ontvangen" in row  # the event's name in the diagram, never reactie_ouders_ontvangen
    assert "reactie_ouders_ontvangen" not in row and "moment_wijzigen" not in row
    # Until 09:00 on the sending day of the final card, 3 working days before the conversation of 12-03.
    assert re.search(r'<time datetime="[^"]+">09-03-2026 09:00</time>', row)
    assert "Verzenddag definitieve VK, 09:00" in row
    # Someone outside the case does not see it; the tab of completed tasks does not list waits.
    assert 'id="wachten-kop"' not in html(web.browser("bram").get("/werkbak"))
    assert 'id="wachten-kop"' not in html(anna.get("/werkbak?tab=afgerond"))

    # The reaction came: the case no longer waits, there is work for the inbrenger.
    anna.post(f"/casussen/{case_id}/berichten/reactie_ouders_ontvangen",
              {"reactie_ouders": "Wij herkennen ons niet in punt 2."})
    page = html(anna.get("/werkbak"))
    assert 'id="wachten-kop"' not in page
    task = re.search(r'<tr class="taak[^"]*" data-taak="\d+">.*?</tr>', page, re.S).group(0)
    assert "Reactie ouders verwerken in de Veiligheidskaart" in task
    assert re.search(r'uiterlijk <time datetime="[^"]+">09-03-2026</time>', task)  # which deadline, not only a date


def test_the_case_page_names_each_deadline_as_in_the_diagram(web):
    case_id = _until_parents_are_asked(web)
    page = html(web.browser("anna").get(f"/casussen/{case_id}"))
    deadlines = page[page.index('id="termijnen-kop"'):page.index('id="procedures-kop"')]
    assert "Volgende termijn in" not in deadlines
    assert "09-03-2026 09:00</time> – Verzenddag definitieve VK, 09:00" in deadlines
    assert "09-03-2026 23:59</time> – Termijn definitieve VK" in deadlines
    assert "16-03-2026 23:59</time> – Streeftermijn na CAB" in deadlines


def test_the_send_log_says_the_card_is_queued_not_sent(web, clock):
    case = naar_rvdk(web.service, clock)
    page = html(web.browser("anna").get(f"/casussen/{case.case_id}/veiligheidskaart"))
    log = page[page.index('id="verzendlog-kop"'):page.index('id="toestemming-kop"')]
    [status] = re.findall(r'<td class="verzendstatus">([^<]*)', log)
    assert status == "in de wachtrij"
    assert "Verzonden<" not in log and ">verzonden<" not in log
    history = html(web.browser("anna").get(f"/casussen/{case.case_id}"))
    assert "Status: in de wachtrij" in history and "Status: verstuurd" not in history


def test_a_missed_deadline_is_not_shown_green_while_its_task_is_open(web, clock):
    from datetime import datetime

    from app.engine.clock import TZ
    from tests.procedures.driver import CaseDriver

    case_id = _until_parents_are_asked(web)
    case = CaseDriver(web.service, case_id, clock)
    case.move_clock(datetime(2026, 3, 10, 0, 0, 1, tzinfo=TZ))  # past the term of the final card (09-03, 23:59:59)
    assert "Task_DefinitieveVkVersturen" in case.open_ids() and "vk_te_laat" in case.signals()
    anna = web.browser("anna")
    diagrams = anna.get(f"/casussen/{case_id}/diagrammen.json").get_json()["diagrammen"]
    [card] = [d for d in diagrams if d["process_id"] == "sp_vk_voorbereiden"]
    assert "Task_DefinitieveVkVersturen" in card["actief"]
    assert "Eind_vk_te_laat" in card["gesignaleerd"] and "Eind_vk_te_laat" not in card["afgerond"]
    page = html(anna.get(f"/casussen/{case_id}"))
    assert "termijn verstreken (signalering)" in page  # the legend of its colour
    ends = re.search(r"Bereikte eindes:(.*?)</p>", page, re.S)
    assert ends is None or "Vk te laat" not in ends.group(1)


def test_the_werkbak_shows_the_inbrengers_case_waiting_for_the_rvdk(web, clock):
    case = naar_rvdk(web.service, clock)
    waiting = _section(html(web.browser("anna").get("/werkbak")))
    row = re.search(rf'<tr class="wacht" data-casus="{case.case_id}">.*?</tr>', waiting, re.S).group(0)
    assert "Interventiegesprek met de RvdK" in row
    assert ('<span class="wacht-taak">Toetsen of er grond is om aan te sluiten (Raad voor de Kinderbescherming)</span>'
            in row)
    assert "geen termijn" in row
    # The RvdK sees it among his tasks, not as a wait.
    assert 'id="wachten-kop"' not in html(web.browser("rik").get("/werkbak"))
