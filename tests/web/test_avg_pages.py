"""The beheerder's pages for the family's data (issue 12 s.4): the AVG export of a case (a reason,
then the ZIP) and the cases past the retention term, destroyed after a reason; a destroyed case
shows only its tombstone, and only to those who still may see it (the auditor)."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from html import unescape

from app.engine.clock import TZ

from .helpers import html

CAB = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.", "interventies": ["zorg"],
       "afspraken": [{"wie": "Anna", "wat": "Zorg regelen"}]}


def _closed_case(web) -> int:
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    web.complete(case_id, "Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                                     "zorg_vht_organisatie": False}, "anna")
    return case_id


def test_the_beheerder_exports_a_case_with_a_reason(web):
    case_id = _closed_case(web)
    referentie = web.service.case(case_id).referentie
    url = f"/beheer/casussen/{case_id}/avg-export"
    for who in ("anna", "ahmed", "pieter"):
        browser = web.browser(who)
        assert browser.get(url).status_code == 403
        assert browser.post(url, data={"reden": "inzage"}).status_code == 403
    beheer = web.browser("beheer")
    menu = html(beheer.get("/beheer/bewaartermijn"))
    assert ">AVG en bewaartermijn</a>" in menu and "AVG-export van een casus" in menu
    assert ">AVG en bewaartermijn</a>" not in html(web.browser("anna").get("/werkbak"))
    found = beheer.get(f"/beheer/avg-export?referentie={referentie}")
    assert found.status_code == 302 and found.headers["Location"].endswith(url)
    assert "Er is geen casus met referentie" in unescape(html(beheer.get("/beheer/avg-export?referentie=VHT-0",
                                                                         follow_redirects=True)))

    page = unescape(html(beheer.get(url)))
    assert f"AVG-export van casus {referentie}" in page and 'name="reden" required' in page
    events = len(web.service.case_history(case_id))
    refused = beheer.post(url, data={"reden": "  "})
    assert refused.status_code == 422 and "Geef een reden op" in unescape(html(refused))
    assert beheer.post(url, data={"reden": "inzage"}, csrf=False).status_code in (400, 403)  # no CSRF token
    assert len(web.service.case_history(case_id)) == events

    answer = beheer.post(url, data={"reden": "Inzageverzoek van de vader"})
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert f'filename="AVG-export-{referentie}.zip"' in answer.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(answer.data)).namelist()
    assert f"{referentie}/casus.json" in names and f"{referentie}/LEESMIJ.txt" in names
    assert any(n.startswith(f"{referentie}/veiligheidskaart/") and n.endswith(".pdf") for n in names)
    event = web.service.case_history(case_id)[-1]
    assert (event.type, event.actor, event.data["reden"]) == ("avg_export", "beheer", "Inzageverzoek van de vader")
    # The family's professionals see in the case's history that its data was exported.
    assert re.search(r"avg[- ]export", unescape(html(web.browser("anna").get(f"/casussen/{case_id}"))), re.I)


def test_the_beheerder_destroys_the_cases_past_the_term(web):
    gone = _closed_case(web)
    web.clock.set(datetime(2027, 6, 1, 9, 0, tzinfo=TZ))
    kept = _closed_case(web)
    refs = {i: web.service.case(i).referentie for i in (gone, kept)}
    beheer = web.browser("beheer")
    assert "Er zijn geen casussen waarvan de bewaartermijn is verstreken" in html(beheer.get("/beheer/bewaartermijn"))
    assert web.browser("anna").get("/beheer/bewaartermijn").status_code == 403

    web.clock.set(datetime(2046, 4, 1, 9, 0, tzinfo=TZ))
    beheer = web.browser("beheer")  # twenty years on: a new login
    page = unescape(html(beheer.get("/beheer/bewaartermijn")))
    assert refs[gone] in page and refs[kept] not in page
    assert "<td>02-03-2026</td>" in page and "<td>02-03-2046</td>" in page
    assert web.browser("anna").post("/beheer/bewaartermijn/vernietigen",
                                    data={"casus": gone, "reden": "x"}).status_code == 403

    page = unescape(html(beheer.post("/beheer/bewaartermijn/vernietigen", data={"casus": gone, "reden": ""},
                                     follow_redirects=True)))
    assert "Geef een reden op" in page and web.service.case(gone).status == "afgesloten"
    page = unescape(html(beheer.post("/beheer/bewaartermijn/vernietigen",
                                     data={"casus": kept, "reden": "termijn"}, follow_redirects=True)))
    assert "is (nog) niet te vernietigen" in page and web.service.case(kept).status == "afgesloten"

    page = unescape(html(beheer.post("/beheer/bewaartermijn/vernietigen",
                                     data={"casus": gone, "reden": "Bewaartermijn verstreken"},
                                     follow_redirects=True)))
    assert f"1 casus(sen) vernietigd: {refs[gone]}." in page
    assert "Er zijn geen casussen waarvan de bewaartermijn is verstreken" in page

    # The auditor finds the tombstone; the professionals no longer find the case.
    tomb = unescape(html(web.browser("ahmed").get(f"/casussen/{gone}")))
    assert "Vernietigd op 01-04-2046 09:00 door Beheerder." in tomb
    assert "Sam de Vries" not in tomb and "Zorg inzetten" not in tomb
    anna = web.browser("anna")
    assert refs[gone] not in html(anna.get("/casussen")) and refs[kept] in html(anna.get("/casussen"))
    assert anna.get(f"/casussen/{gone}").status_code == 404
    assert "is vernietigd" in unescape(html(beheer.get(f"/beheer/casussen/{gone}/avg-export")))
    token = web.service.issue_token("ahmed")
    answer = anna.client.get(f"/api/cases/{gone}", headers={"Authorization": f"Bearer {token}",
                                                            "X-Reden-Inzage": "kwaliteitsonderzoek"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "vernietigd", answer.get_json()
