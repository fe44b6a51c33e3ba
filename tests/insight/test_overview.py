"""The overview (/overzicht) on a seeded set of cases with known dates, driven through the real
service with the clock moved, on SQLite and PostgreSQL: the compliance counts and percentages as
the page shows them, the cases past a deadline (only those the reader may see, logged), the
durations (percentiles equal on both databases), the end states and the heatmap's counts.

The cases (clock from Monday 2 March 2026, CAB on 2 March, so the two-week target is 16 March):
- A: P3, conversation Thursday 12 March, card sent at once: both targets met. Its CAB was claimed
  by vera an hour after it opened and completed two hours later.
- B: P3, conversation Thursday 30 April, no reaction, card sent Tuesday 28 April (due Friday 24
  April): both missed.
- C: P3, conversation Wednesday 13 May, card due Friday 8 May and still open on 11 May; the
  conversation not held: both missed, and both open past their deadline.
- P: P5 with einde_maatregel Monday 1 June: the kernbeslissing (due 9 March) done at once, the
  VHT inbreng (due 16 March) done on 24 April, the VHT's bespreking (due 16 March) still open.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.service.insight.durations import percentile
from app.service.insight.overview import Insight
from app.service.insight.periods import parse
from persistence.models import ToegangLog
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import (
    at, cab, gesprek_voeren, organiseren, reactie_vragen, start_through_p0, vk_na_gesprek, vk_versturen,
    voorbespreking, zonder_reactie, gesprek_op_12_maart,
)
from tests.web.helpers import add_demo_users, html, make_app, password_hash
from tests.web.helpers import Browser

P0 = "p0_consultatie_advies"
P5 = "p5_warme_overdracht"
SELECTION = {"per": "maand", "van": "2026-03", "tot": "2026-05"}
YOUNG = [{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}]  # too young to be invited: fewer steps


def _p0_with_claimed_cab(service, clock) -> CaseDriver:
    case = CaseDriver.start(service, clock, P0, casus(jeugdigen=YOUNG))
    cab_task = case.task("Task_CabHouden")
    clock.advance(timedelta(hours=1))
    service.claim(cab_task.id, "vera")
    clock.advance(timedelta(hours=2))
    service.complete_task(cab_task.id, cab("interventiegesprek"), "vera")
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    return case


def _seed(service, clock) -> dict:
    add_demo_users(service)
    # A second VHT member who took part in none of the conversation cases.
    service.upsert_user("wim", "Wim VHT", ["veiligheidsteam"], email="wim@example.org",
                        password_hash=password_hash("vera"))
    a = _p0_with_claimed_cab(service, clock)
    b = start_through_p0(service, clock, "interventiegesprek", jeugdigen=YOUNG)
    c = start_through_p0(service, clock, "interventiegesprek", jeugdigen=YOUNG, gemeente="moerdijk")
    p = CaseDriver.start(service, clock, P5, {
        "gemeente": "roosendaal", "inbrenger_organisatie": "Jeugdbescherming Brabant",
        "ouders": [{"naam": "Petra de Vries", "contact": "06-12345678", "gezag": True}],
        "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2012-05-01"}], "einde_maatregel": "2026-06-01"},
        actor="gina")
    p.complete("Task_Kernbeslissing", {"kernbeslissing_datum": "2026-03-02", "borgingsplan": "Oma blijft betrokken.",
                                       "stukken_rvdk": "Evaluatie"}, "gina")
    organiseren(b, "2026-04-30T10:00", jeugdige="te_jong")
    organiseren(c, "2026-05-13T10:00", jeugdige="te_jong")
    reactie_vragen(b)
    reactie_vragen(c)
    gesprek_op_12_maart(a)
    zonder_reactie(b, at(2026, 4, 24))
    p.complete("Task_CasusInbrengenVht", {"vk_samenvatting": "Krachten en afspraken.", "vk_geactualiseerd": True},
               "gina")
    b.move_clock(at(2026, 4, 28, 9, 0))
    vk_versturen(b)
    voorbespreking(b, at(2026, 4, 30, 10, 0))
    gesprek_voeren(b)
    vk_na_gesprek(b, at(2026, 4, 30, 10, 0))
    c.move_clock(at(2026, 5, 11, 9, 0))
    assert c.open_ids() == ["Task_DefinitieveVkVersturen"]
    assert p.open_ids() == ["Task_OverdrachtBespreken"]
    return {"a": a, "b": b, "c": c, "p": p}


@pytest.fixture
def seeded(service, clock):
    return service, clock, _seed(service, clock)


@pytest.fixture
def seeded_sqlite(sqlite_service, clock):
    """The pages render the same numbers whatever the database: those are checked on both above."""
    return sqlite_service, clock, _seed(sqlite_service, clock)


def _target(view, code):
    (target,) = [t for t in view.targets if t.code == code]
    return target


def _section(page: str, code: str) -> str:
    start = page.index(f'data-doel="{code}"')
    return page[start:page.index("</article>", start)]


def test_numbers_durations_and_heatmap(seeded):
    service, clock, cases = seeded
    insight = Insight(service.ctx)
    view = insight.overview("vera", parse(SELECTION, clock.now().date()))
    assert view.periods == ["mrt 2026", "apr 2026", "mei 2026"]

    tm1 = _target(view, "tm1")  # all three targets fall on 16 March
    assert [(t.met, t.missed) for t in tm1.periods] == [(1, 2), (0, 0), (0, 0)]
    assert tm1.total.percentage == 33.3 and tm1.open_missed == 1
    assert {g: (t.met, t.missed) for g, t in tm1.per_gemeente.items()} == {"roosendaal": (1, 1), "moerdijk": (0, 1)}
    tm2 = _target(view, "tm2")  # 9 March met, 24 April missed, 8 May open and missed
    assert [(t.met, t.missed) for t in tm2.periods] == [(1, 0), (0, 1), (0, 1)]
    assert tm2.total.percentage == 33.3 and tm2.open_missed == 1
    tm3 = _target(view, "tm3")
    assert [(t.met, t.missed) for t in tm3.periods] == [(1, 2), (0, 0), (0, 0)]
    assert {name: (t.met, t.missed) for name, t in tm3.per_step.items()} == {
        "Kernbeslissing nemen: maatregel afsluiten": (1, 0), "Casus inbrengen in het VeiligheidsTeam": (0, 1),
        "Overdracht en borging bespreken": (0, 1)}
    assert tm3.open_missed == 1
    # Open now past a deadline: C's card, P's bespreking, and C's conversation past the target.
    assert view.open_late == 3
    assert dict(view.settings["tm1"]) == {"streeftermijn_gesprek_dagen": 14}
    assert dict(view.settings["tm2"]) == {"werkdagen_definitieve_vk": 3}

    # A gemeente narrows every count; a procedure shows only its own targets.
    moerdijk = insight.overview("vera", parse({**SELECTION, "gemeente": "moerdijk"}, clock.now().date()))
    assert (_target(moerdijk, "tm1").total.met, _target(moerdijk, "tm1").total.missed) == (0, 1)
    assert _target(moerdijk, "tm3").total.total == 0
    p5_only = insight.overview("vera", parse({**SELECTION, "procedure": P5}, clock.now().date()))
    assert [t.code for t in p5_only.targets] == ["tm3"]

    durations = insight.durations("vera", parse(SELECTION, clock.now().date()))
    procedures = {p.process_id: p.total.count for p in durations.procedures}
    assert procedures["p3_interventiegesprek"] == 2 and procedures["p0_consultatie_advies"] == 2
    assert "p5_warme_overdracht" not in procedures  # still running
    # Durations: the CAB of A waited an hour (claimed) and was worked on two hours; B's and C's
    # were completed at once from the role's werkbak. p90 of (0, 0, x) is 0.8 x (percentile_cont).
    (cab_row,) = [s for s in durations.steps if s.bpmn_id == "Task_CabHouden"]
    assert (cab_row.total.count, cab_row.total.median, cab_row.total.p90) == (3, 0, pytest.approx(8640, abs=1))
    assert cab_row.wait.p90 == pytest.approx(2880, abs=1) and cab_row.work.p90 == pytest.approx(5760, abs=1)
    (send,) = [s for s in durations.steps if s.bpmn_id == "Task_DefinitieveVkVersturen"]
    # A sent at once; B opened at 09:00:01 on 24 April (the sending day's timer) and was sent 28 April 09:00.
    four_days = 4 * 86400 - 1
    assert send.total.count == 2
    assert send.total.median == pytest.approx(four_days / 2, abs=1)
    assert send.trend == [pytest.approx(0, abs=1), pytest.approx(four_days, abs=1), None]
    assert durations.steps[0].total.median >= durations.steps[-1].total.median  # the slowest first

    ends = {(e.process_id, e.bpmn_id): (e.kind, e.count, e.name) for e in view.ends}
    assert ends[("p3_interventiegesprek", "Eind_interventiegesprek_afgerond_vrijwillig")] == (
        "einde", 2, "Interventiegesprek afgerond (vrijwillig kader)")
    assert ends[("p3_interventiegesprek", "Eind_streeftermijn_overschreden")][:2] == ("signalering", 2)
    assert ends[("sp_vk_voorbereiden", "SendTask_ReactieNietOntvangen")][:2] == ("bericht", 2)
    assert ends[("p0_consultatie_advies", "Eind_advies_uitgevoerd")][:2] == ("einde", 2)

    # The heatmap: per element of a diagram's version.
    filters = parse(SELECTION, clock.now().date())
    p3 = insight.heatmap("ahmed", "p3_interventiegesprek", None, filters)["elementen"]
    assert p3["Task_InterventiegesprekVoeren"]["doorlopen"] == 2 and p3["Task_InterventiegesprekVoeren"]["nu"] == 0
    # C is inside the card's preparation (a called procedure): counted on the call activity.
    assert p3["CallActivity_VkVoorbereiden"]["nu"] == 1
    assert p3["CallActivity_VkVoorbereiden"]["doorlopen"] == 2
    vk = insight.heatmap("ahmed", "sp_vk_voorbereiden", 1, filters)["elementen"]
    assert (vk["Task_DefinitieveVkVersturen"]["doorlopen"], vk["Task_DefinitieveVkVersturen"]["nu"]) == (2, 1)
    assert vk["Task_DefinitieveVkVersturen"]["mediaan_seconden"] == pytest.approx(172800, abs=1)
    assert vk["SendTask_ReactieNietOntvangen"]["doorlopen"] == 2
    # Only March: A's whole conversation, nothing of B's and C's sending day.
    march = insight.heatmap("ahmed", "sp_vk_voorbereiden", None, parse({"van": "2026-03", "tot": "2026-03"},
                                                                        clock.now().date()))["elementen"]
    assert march["Task_DefinitieveVkVersturen"]["doorlopen"] == 1
    assert "SendTask_ReactieNietOntvangen" not in march


def test_pages_access_and_logging(seeded_sqlite):
    service, clock, cases = seeded_sqlite
    app = make_app(service)
    query = "?per=maand&van=2026-03&tot=2026-05"

    vera = Browser(app)
    vera.login("vera")
    page = html(vera.get("/overzicht" + query))
    assert 'href="/overzicht"' in page  # the menu link
    tm1 = _section(page, "tm1")
    assert 'data-percentage="33.3"' in tm1 and "<span data-gehaald>1</span> van <span data-totaal>3</span>" in tm1
    assert 'data-instelling="streeftermijn_gesprek_dagen"' in tm1 and "<strong>14</strong>" in tm1
    assert "Hoe berekend" in tm1
    assert re.search(r'data-periode="mrt 2026"><th scope="row">mrt 2026</th><td>1</td><td>2</td><td>33.3 %</td>', tm1)
    assert 'data-nu-over-termijn="3"' in page
    assert "Interventiegesprek afgerond (vrijwillig kader)" in page
    durations = html(vera.get("/overzicht/doorlooptijden" + query))
    assert 'data-stap="p0_consultatie_advies/Task_CabHouden"' in durations and "Wachttijd" in durations

    # The cases past a deadline: vera took part in all (she held the CABs; P5's bespreking is offered to her role).
    listing = html(vera.get("/overzicht/termijnen" + query))
    shown = set(re.findall(r'data-casus="([^"]+)"', listing))
    assert shown == {cases["c"].case().referentie, cases["p"].case().referentie}
    assert 'data-totaal="3" data-zichtbaar="3"' in listing
    with service.ctx.reading() as session:
        logged = session.scalars(select(ToegangLog.case_id).where(ToegangLog.wat == "overzicht termijnen",
                                                                  ToegangLog.username == "vera")).all()
    assert sorted(logged) == sorted([cases["c"].case_id, cases["p"].case_id])  # one row per case listed

    # Wim (VHT too) took part in no conversation case: he sees the P5 case only, and the count of all.
    wim = Browser(app)
    wim.login("wim", "vera-demo")
    listing = html(wim.get("/overzicht/termijnen" + query))
    assert set(re.findall(r'data-casus="([^"]+)"', listing)) == {cases["p"].case().referentie}
    assert 'data-totaal="3" data-zichtbaar="1"' in listing

    # An auditor reads every case: all listed, logged with the reason that he takes no part.
    ahmed = Browser(app)
    ahmed.login("ahmed")
    listing = html(ahmed.get("/overzicht/termijnen" + query + "&doel=tm2"))
    assert set(re.findall(r'data-casus="([^"]+)"', listing)) == {cases["c"].case().referentie}
    heat = ahmed.get("/overzicht/heatmap.json?diagram=p3_interventiegesprek&van=2026-03&tot=2026-05")
    assert heat.status_code == 200 and heat.json["elementen"]["Task_InterventiegesprekVoeren"]["doorlopen"] == 2
    page = html(ahmed.get("/overzicht/heatmap?diagram=p3_interventiegesprek"))
    assert "js/heatmap.js" in page and "data-heatmap=" in page and "<script>" not in page

    # The procesbeheerder sees the numbers but no case (he takes part in none).
    pieter = Browser(app)
    pieter.login("pieter")
    assert pieter.get("/overzicht" + query).status_code == 200
    assert 'data-zichtbaar="0"' in html(pieter.get("/overzicht/termijnen" + query))


def test_refused_for_an_inbrenger_and_bad_input(service, clock):
    add_demo_users(service)
    app = make_app(service)
    anna = Browser(app)
    anna.login("anna")
    for url in ("/overzicht", "/overzicht/doorlooptijden", "/overzicht/termijnen", "/overzicht/heatmap",
                "/overzicht/heatmap.json?diagram=p3_interventiegesprek"):
        response = anna.get(url)
        assert response.status_code == 403, url
        assert "Het overzicht is er voor het VeiligheidsTeam" in html(response)
    assert 'href="/overzicht"' not in html(anna.get("/werkbak"))
    vera = Browser(app)
    vera.login("vera")
    response = vera.get("/overzicht?van=2026-13")
    assert response.status_code == 422 and "geen maand" in html(response)
    assert vera.get("/overzicht?van=2026-05&tot=2026-03").status_code == 422
    assert vera.get("/overzicht?gemeente=atlantis").status_code == 422
    assert vera.get("/overzicht/heatmap.json?diagram=bestaat_niet").status_code == 404
    # No cases yet: the pages answer with empty tables.
    assert "Geen procedures geëindigd in deze periode." in html(vera.get("/overzicht"))
    assert "Geen stappen afgerond in deze periode." in html(vera.get("/overzicht/doorlooptijden"))


def test_percentile_as_postgresql():
    assert percentile([], 0.5) is None
    assert percentile([5], 0.9) == 5
    assert percentile([0, 0, 10800], 0.9) == pytest.approx(8640)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
