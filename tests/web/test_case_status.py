"""A case is 'afgesloten' once all its procedures have ended and no VHT decision is pending: the
case list, the case page, the werkbak and the API show it. The CAB's page starts on today's date."""
import re

from .helpers import html

CAB = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.", "interventies": ["zorg"],
       "afspraken": [{"wie": "Anna", "wat": "Zorg regelen"}]}


def test_cab_pagina_begint_op_vandaag(web):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    page = html(web.browser("vera").get(f"/taken/{task.id}"))
    assert re.search(r'name="cab_gehouden_op"[^>]*value="2026-03-02"|value="2026-03-02"[^>]*name="cab_gehouden_op"', page)
    # Left out (a program), the CAB was held on the day the task is completed.
    web.clock.set(web.clock.now().replace(day=3))
    web.service.complete_task(task.id, CAB, "vera")
    completed = [e for e in web.service.case_history(case_id) if e.type == "task_completed"][-1]
    assert completed.data["data"]["cab_gehouden_op"] == "2026-03-03"


def test_afgesloten_op_casuspagina_lijst_werkbak_en_api(web):
    case_id = web.start_case()
    anna = web.browser("anna")
    assert "<dd>open</dd>" in html(anna.get(f"/casussen/{case_id}"))
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    web.complete(case_id, "Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                                     "zorg_vht_organisatie": False}, "anna")
    page = html(anna.get(f"/casussen/{case_id}"))
    assert "<dd>afgesloten</dd>" in page
    assert "Casus afgesloten" in page  # in the history
    row = re.search(r"<tr>\s*<td><a href=\"/casussen/%d\">.*?</tr>" % case_id, html(anna.get("/casussen")), re.S)
    assert row and "<td>afgesloten</td>" in row.group(0)
    assert 'class="label afgesloten"' in html(anna.get("/werkbak?tab=afgerond"))
    token = web.service.issue_token("anna")
    answer = anna.client.get(f"/api/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.get_json()["status"] == "afgesloten"
