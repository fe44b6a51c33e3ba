"""The case page (summary, open tasks, deadlines, procedures, diagrams, history), the list of
cases, starting a new case, and recording the parents' reaction a case waits for."""
from __future__ import annotations

import re

from .helpers import CAB, html

CAB_GESPREK = {**CAB, "interventies": ["interventiegesprek"]}


def test_case_page_shows_summary_tasks_deadlines_procedures_and_history(web):
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    anna = web.browser("anna")
    response = anna.get(f"/casussen/{case_id}")
    page = html(response)
    case = web.service.case(case_id)
    assert response.status_code == 200 and f"<h1>Casus {case.referentie}</h1>" in page
    assert "Roosendaal" in page and "Sam de Vries" in page and "Geen" in page and "Anna de Jong, SPRING Roosendaal" in page
    # Open tasks with their deadline, and the coming deadlines.
    tasks = page[page.index('id="taken-kop"'):page.index('id="termijnen-kop"')]
    assert "Advies en afspraken verwerken in de Veiligheidskaart" in tasks and "binnenkort" in tasks
    deadlines = page[page.index('id="termijnen-kop"'):page.index('id="procedures-kop"')]
    assert re.search(r"<time datetime=\"[^\"]+\">\d\d-\d\d-\d{4} \d\d:\d\d</time> – Advies en afspraken", deadlines)
    # The procedure running in it, and the history in Dutch words: who, what, when.
    procedures = page[page.index('id="procedures-kop"'):page.index('id="diagrammen-kop"')]
    assert "Consultatie- en adviesbespreking" in procedures and "loopt" in procedures
    history = page[page.index('id="historie-kop"'):]
    lines = re.findall(r"<tr data-type=\"(\w+)\" data-soort=\"\w+\"><td><time[^>]*>([^<]+)</time></td><td>([^<]+)</td>"
                       r"\s*<td><span[^>]*>[^<]+</span></td>\s*<td>(?:<a [^>]*>)?([^<]+)", history)
    assert [(t, who, what.strip()) for t, _, who, what in lines if t != "mail"] == [
        ("instance_started", "Anna de Jong", "Procedure gestart: Consultatie- en adviesbespreking"),
        ("task_completed", "Vera de Boer", "Taak afgerond: Consultatie- en adviesbespreking houden"),
    ]
    assert all(re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d", when) for _, when, _, _ in lines)
    # The diagrams: one figure per diagram, drawn by the bpmn-js viewer from the JSON endpoint.
    assert f'data-diagrammen="/casussen/{case_id}/diagrammen.json"' in page
    assert re.search(r'data-diagram="\d+-p0_consultatie_advies"', page)
    assert re.search(r'data-diagram="\d+-sp_vk_verwerken"', page)
    assert "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "/static/js/diagrammen.js" in page
    css = web.browser().get("/static/css/vht.css").get_data(as_text=True)
    assert "bjs-powered-by" not in css  # the bpmn.io watermark is never hidden


def test_diagram_data_has_the_xml_the_completed_and_the_active_elements(web):
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    response = web.browser("anna").get(f"/casussen/{case_id}/diagrammen.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    diagrams = {d["process_id"]: d for d in response.get_json()["diagrammen"]}
    p0 = diagrams["p0_consultatie_advies"]
    assert "<bpmn:definitions" in p0["xml"] and p0["naam"] == "Consultatie- en adviesbespreking"
    assert {"StartEvent_CasusIngebracht", "Task_CabHouden"} <= set(p0["afgerond"])
    assert "CallActivity_AdviesVerwerken" in p0["actief"]
    assert "Task_AdviesVerwerken" in diagrams["sp_vk_verwerken"]["actief"]


def test_the_list_of_cases_shows_only_ones_own(web):
    mine = web.start_case()
    other = web.start_case("bram", gemeente="moerdijk")
    page = html(web.browser("anna").get("/casussen"))
    assert web.service.case(mine).referentie in page and web.service.case(other).referentie not in page
    page = html(web.browser("vera").get("/casussen"))  # the VHT has a task in both
    assert web.service.case(mine).referentie in page and web.service.case(other).referentie in page
    found = html(web.browser("vera").get("/casussen?zoek=moerdijk-niet-in-referentie"))
    assert "Geen casussen gevonden" in found
    assert "Geen casussen waarbij u betrokken bent" in html(web.browser("nina").get("/casussen"))


def test_new_case_for_an_inbrenger_validates_and_starts_p0(web):
    anna = web.browser("anna")
    assert 'href="/casussen/nieuw"' in html(anna.get("/werkbak"))
    page = html(anna.get("/casussen/nieuw"))  # P0 is the only one she may start: its form at once
    assert "Casus inbrengen in het VeiligheidsTeam" in page and '<select id="f-gemeente" name="gemeente"' in page
    assert 'name="ouders-0-naam"' in page and 'name="jeugdigen-0-geboortedatum" type="date"' in page
    assert 'name="procedure" value="p0_consultatie_advies"' in page

    invalid = anna.post("/casussen/nieuw", {"procedure": "p0_consultatie_advies", "gemeente": "roosendaal",
                                            "jeugdigen-0-naam": "Sam de Vries"})
    page = html(invalid)
    assert invalid.status_code == 422 and "De casus is nog niet gestart" in page
    assert re.search(r'data-veld="inbrenger_organisatie".*?Dit veld is verplicht', page, re.S)
    assert re.search(r'name="jeugdigen-0-geboortedatum".*?Vul een datum in', page, re.S)
    assert '<option value="roosendaal" selected>' in page and 'value="Sam de Vries"' in page
    assert web.service.cases() == []

    started = anna.post("/casussen/nieuw", {
        "procedure": "p0_consultatie_advies", "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING",
        "ouders-0-naam": "Petra de Vries", "ouders-0-gezag": "ja", "jeugdigen-0-naam": "Sam de Vries",
        "jeugdigen-0-geboortedatum": "2015-06-01", "cab_datum": "2026-03-02", "maatregel": "geen"})
    (case,) = web.service.cases()
    assert started.status_code == 302 and started.headers["Location"] == f"/casussen/{case.id}"
    assert case.inbrenger == "anna" and case.gegevens["ouders"] == [{"naam": "Petra de Vries", "gezag": True}]
    assert f"Casus {case.referentie} is gestart" in html(anna.get(f"/casussen/{case.id}"))


def test_new_case_for_a_gi_offers_p0_p5_p6(web):
    gina = web.browser("gina")
    page = html(gina.get("/casussen/nieuw"))
    for process_id in ("p0_consultatie_advies", "p5_warme_overdracht", "p6_achttien_min_plus"):
        assert f'href="/casussen/nieuw?procedure={process_id}"' in page
    page = html(gina.get("/casussen/nieuw?procedure=p5_warme_overdracht"))
    assert 'name="einde_maatregel"' in page and 'name="cab_datum"' not in page
    started = gina.post("/casussen/nieuw", {
        "procedure": "p5_warme_overdracht", "gemeente": "roosendaal", "inbrenger_organisatie": "Jeugdbescherming",
        "ouders-0-naam": "Petra", "jeugdigen-0-naam": "Daan Bos", "jeugdigen-0-geboortedatum": "2013-09-30",
        "einde_maatregel": "2026-07-06"})
    assert started.status_code == 302
    (case,) = web.service.cases()
    assert case.maatregel == "ots" and [i.process_id for i in case.instances] == ["p5_warme_overdracht"]


def test_new_case_is_refused_to_roles_that_start_nothing(web):
    vera = web.browser("vera")
    assert 'href="/casussen/nieuw"' not in html(vera.get("/werkbak"))
    response = vera.get("/casussen/nieuw")
    assert response.status_code == 403 and "geen casus starten" in html(response)
    assert vera.post("/casussen/nieuw", {"procedure": "p0_consultatie_advies"}).status_code == 403
    assert web.browser("anna").get("/casussen/nieuw?procedure=p5_warme_overdracht").status_code == 404


def _until_parents_are_asked(web) -> int:
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB_GESPREK, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    steps = [
        ("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"}]}),
        ("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []}),
        ("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"}),
        ("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"}),
        ("Task_OudersEnJeugdigeUitnodigen", {"uitnodiging_verstuurd_op": "2026-03-03", "uitnodiging_doel": "Praten.",
                                             "recht_vertrouwenspersoon_vermeld": True}),
        # 8 or older on the conversation date: always invited (then the netwerkpartner's step).
        ("Task_JeugdigeAfspraken", {"jeugdige_aanwezig_moment": "Tweede half uur",
                                    "jeugdige_apart_spreken": "Vooraf"}),
        ("Task_ReactieOudersVragen", {"reactie_gevraagd_op": "2026-03-03", "reactie_gevraagd_via": "email"}),
    ]
    for bpmn_id, data in steps:
        web.complete(case_id, bpmn_id, data, "nina" if bpmn_id == "Task_JeugdigeAfspraken" else "anna")
    return case_id


def test_the_parents_reaction_is_recorded_on_its_page(web):
    case_id = _until_parents_are_asked(web)
    url = f"/casussen/{case_id}/berichten/reactie_ouders_ontvangen"
    anna = web.browser("anna")
    page = html(anna.get(f"/casussen/{case_id}"))
    assert "De casus wacht op een bericht" in page and f'href="{url}"' in page
    # Changing the moment is the inbrenger's own act, not a word the case waits for from outside.
    waiting_part, actions_part = page.split('id="wacht-kop"')[1].split('id="acties-kop"')
    assert "moment_wijzigen" not in waiting_part
    assert f'href="/casussen/{case_id}/berichten/moment_wijzigen">Moment van het gesprek wijzigen</a>' in actions_part
    form = anna.get(url)
    assert form.status_code == 200 and "Reactie van ouders op de Veiligheidskaart" in html(form)
    assert "De procedure wacht niet meer op dit bericht" not in html(form)  # on time: the procedure waits
    empty = anna.post(url, {"reactie_ouders": "  "})
    assert empty.status_code == 422 and "Dit veld is verplicht" in html(empty)
    # Someone who sees the case but is not its inbrenger, the auditor, someone outside it.
    assert web.browser("vera").post(url, {"reactie_ouders": "x"}).status_code == 403
    assert web.browser("ahmed").post(url, {"reactie_ouders": "x"}).status_code == 403
    assert web.browser("bram").post(url, {"reactie_ouders": "x"}).status_code == 404
    assert web.browser("bram").get(url).status_code == 404

    done = anna.post(url, {"reactie_ouders": "Wij herkennen ons niet in punt 2."})
    assert done.status_code == 302 and done.headers["Location"] == f"/casussen/{case_id}"
    page = html(anna.get(f"/casussen/{case_id}"))
    assert "Bericht ontvangen: Reactie ouders ontvangen" in page
    assert "Reactie ouders verwerken in de Veiligheidskaart" in page
    # The procedure no longer waits for it, but nothing a parent sends is refused for being late
    # (issue 9): the page still takes a later word, and says it becomes a new version of the card.
    later = anna.get(url)
    assert later.status_code == 200 and "De procedure wacht niet meer op dit bericht" in html(later)
    assert web.browser("bram").get(url).status_code == 404
