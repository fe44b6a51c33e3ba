"""The access matrix: every role against every page, for a case it is involved in and for someone
else's case. Expected: 200 where involved, 404 where not (never a hint that the case or task
exists), 403 when an auditor tries to act or a role may not start cases, and a redirect to the
login page without a session.

The world (one database for the module): case A of anna (Roosendaal) with zorg and an
interventiegesprek carried up to the conversation (a netwerkpartner task and a voorzitter task
open), case B of bram (Moerdijk, his task open), case C of anna with the RvdK (its task open),
case G of gina (P5: a toegang task open), case H of gina (P6, nothing for the VHT yet)."""
from __future__ import annotations

import re
import shutil
from datetime import datetime

import pytest

from app.engine.clock import TZ, FixedClock
from app.service import Service
from tests.conftest import FORMS, PROCESSES

from .helpers import CAB, P0, build_web, html, password_hash

P5 = "p5_warme_overdracht"

CAB_FOR = {
    "A": {**CAB, "interventies": ["zorg", "interventiegesprek"]},
    "B": {**CAB, "interventies": ["zorg"]},
    "C": {**CAB, "advies_type": "gedwongen_kader_nodig", "interventies": ["interventiegesprek_rvdk"]},
}
P3_UNTIL_CONVERSATION = [
    ("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00", "deelnemers": [{"naam": "Petra", "rol": "ouder"}]}),
    ("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []}),
    ("Task_VoorzitterAfstemmen", {"voorzitter_type": "onafhankelijk"}),
    ("Task_OnafhankelijkVoorzitterRegelen", {"voorzitter_soort": "procesregisseur", "voorzitter_naam": "Victor"}),
    ("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"}),
    ("Task_OudersEnJeugdigeUitnodigen", {"uitnodiging_verstuurd_op": "2026-03-03", "uitnodiging_doel": "Praten.",
                                         "recht_vertrouwenspersoon_vermeld": True}),
    # 8 or older on the conversation date: always invited (then the netwerkpartner's step).
    ("Task_JeugdigeAfspraken", {"jeugdige_aanwezig_moment": "Tweede half uur",
                                "jeugdige_apart_spreken": "Vooraf"}),
    ("Task_ReactieOudersVragen", {"reactie_gevraagd_op": "2026-03-03", "reactie_gevraagd_via": "email"}),
]
P3_AFTER_REACTION = [
    ("Task_ReactieOudersVerwerken", {"vk_aanpassingen_reactie": "Opgenomen.", "reactie_ouders_in_vk": True}),
    ("Task_DefinitieveVkVersturen", {"verzendlijst_definitieve_vk": [
        {"naam": "Petra", "rol": "ouder", "email": "petra@example.org"}]}),
]


def _build(web, clock) -> tuple[dict, dict]:
    service = web.service
    cases, tasks = {}, {}
    cases["A"] = web.start_case("anna")
    cases["B"] = web.start_case("bram", gemeente="moerdijk")
    cases["C"] = web.start_case("anna")
    for key in ("A", "B", "C"):
        tasks[f"{key}.cab"] = web.complete(cases[key], "Task_CabHouden", CAB_FOR[key], "vera").id
    tasks["A.advies"] = web.complete(cases["A"], "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna").id
    tasks["B.advies"] = web.open_task(cases["B"], "Task_AdviesVerwerken").id
    while any(t.bpmn_id == "Task_AdviesVerwerken" for t in service.tasks(case_id=cases["C"])):  # P0's, then P4's
        web.complete(cases["C"], "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    # P4's check step: the card goes to the RvdK only after anna confirmed it and that the parents know.
    web.complete(cases["C"], "Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True}, "anna")
    tasks["C.grond"] = web.open_task(cases["C"], "Task_GrondToetsen").id

    web.complete(cases["A"], "Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "GGZ",
                                                        "zorg_vht_organisatie": True}, "anna")
    tasks["A.toegang"] = web.open_task(cases["A"], "Task_DirecteToegangFaciliteren").id
    for bpmn_id, data in P3_UNTIL_CONVERSATION:
        web.complete(cases["A"], bpmn_id, data, "nina" if bpmn_id == "Task_JeugdigeAfspraken" else "anna")
    service.deliver_message(cases["A"], "reactie_ouders_ontvangen", {"reactie_ouders": "Gelezen."}, "anna")
    for bpmn_id, data in P3_AFTER_REACTION:
        web.complete(cases["A"], bpmn_id, data, "anna")
    clock.set(datetime(2026, 3, 12, 9, 31, tzinfo=TZ))
    assert service.fire_due_timers(clock.now())
    web.complete(cases["A"], "Task_Voorbespreking", {"voorbespreking_gehouden": False}, "anna")
    tasks["A.gesprek"] = web.open_task(cases["A"], "Task_InterventiegesprekVoeren").id

    gi = {"gemeente": "roosendaal", "inbrenger_organisatie": "Jeugdbescherming Brabant",
          "ouders": [{"naam": "Petra Bos", "gezag": True}], "jeugdigen": [{"naam": "Daan Bos", "geboortedatum": "2013-09-30"}]}
    cases["G"] = service.start_case(P5, {**gi, "einde_maatregel": "2026-07-06"}, "gina").id
    tasks["G.kern"] = web.complete(cases["G"], "Task_Kernbeslissing", {
        "kernbeslissing_datum": "2026-03-12", "borgingsplan": "Oma blijft betrokken."}, "gina").id
    web.complete(cases["G"], "Task_CasusInbrengenVht", {"vk_samenvatting": "Gaat goed.", "vk_geactualiseerd": True}, "gina")
    web.complete(cases["G"], "Task_OverdrachtBespreken", {"nog_jeugdhulp": True, "advies_overdracht": "Warm.",
                                                          "borging_veiligheid": "Afspraken blijven."}, "vera")
    # P5: the RvdK's "betekenisvol toetsen" comes before the handover to the toegang.
    web.complete(cases["G"], "Task_BetekenisvolToetsen", {"toets_positief": True,
                                                          "toets_toelichting": "Getoetst."}, "rik")
    tasks["G.warm"] = web.open_task(cases["G"], "Task_WarmeOverdrachtRegelen").id
    cases["H"] = service.start_case("p6_achttien_min_plus", {
        "gemeente": "rucphen", "inbrenger_organisatie": "Jeugdbescherming Brabant", "maatregel": "voogdij",
        "jeugdigen": [{"naam": "Noah Willems", "geboortedatum": "2008-08-01"}]}, "gina").id
    tasks["H.zorg18"] = web.open_task(cases["H"], "Task_ZorgNa18Nagaan").id
    return cases, tasks


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "vht.sqlite"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    service = Service(f"sqlite:///{path}", PROCESSES, FORMS, clock=clock)
    for username, naam, rollen, gemeente, organisatie in SECOND_SCOPE:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, organisatie=organisatie,
                            email=f"{username}@example.org", password_hash=password_hash(username))
    web = build_web(service, clock)
    cases, tasks = _build(web, clock)
    yield web, cases, tasks
    service.engine.dispose()


# A colleague with the same role in a second gemeente or organisation, for every role that is
# scoped (toegang: gemeente; gi, netwerkpartner, zorgaanbieder: organisation) and for the regional
# ones (who see a case through a task offered to their role, wherever it is).
SECOND_SCOPE = [
    ("teun", "Teun Toegang", ["toegang"], "moerdijk", None),
    ("gijs", "Gijs GI", ["gi"], None, "William Schrikker Jeugdbescherming"),
    ("noor", "Noor Netwerkpartner", ["netwerkpartner"], None, "Veilig Thuis"),
    ("zeno", "Zeno Zorgaanbieder", ["zorgaanbieder"], None, "Zorgboog"),
    ("vita", "Vita VHT", ["veiligheidsteam"], "moerdijk", None),
    ("rob", "Rob RvdK", ["rvdk"], "moerdijk", None),
    ("valt", "Valt Voorzitter", ["voorzitter"], "moerdijk", None),
]

# user: (own case, own task, other case, other task, procedures he may start). None: involved in nothing.
MATRIX = {
    "anna": ("A", "A.advies", "B", "B.advies", {P0}),           # inbrenger of the case
    "bram": ("B", "B.advies", "A", "A.advies", {P0}),           # inbrenger of another gemeente
    "vera": ("A", "A.cab", "H", "H.zorg18", set()),             # veiligheidsteam
    "nina": ("A", "A.toegang", "B", "B.advies", set()),         # netwerkpartner
    "victor": ("A", "A.gesprek", "B", "B.advies", set()),       # voorzitter
    "rik": ("C", "C.grond", "A", "A.gesprek", set()),           # rvdk
    "gina": ("G", "G.kern", "A", "A.advies", {P0, P5}),         # gi (and inbrenger)
    "tom": ("G", "G.warm", "A", "A.toegang", set()),            # toegang of Roosendaal
    "teun": (None, None, "G", "G.warm", set()),                 # toegang of Moerdijk: never a Roosendaal case
    "gijs": (None, None, "G", "G.kern", {P5}),                  # gi of another organisation
    "noor": (None, None, "A", "A.toegang", set()),              # netwerkpartner of another organisation
    "zeno": (None, None, "A", "A.toegang", set()),              # zorgaanbieder of another organisation
    "vita": (None, None, "H", "H.zorg18", set()),               # veiligheidsteam: no VHT task offered yet
    "rob": ("C", "C.grond", "A", "A.gesprek", set()),           # rvdk (regional)
    "valt": ("A", "A.gesprek", "B", "B.advies", set()),         # voorzitter (regional)
    "ahmed": ("A", "A.gesprek", "B", "B.advies", set()),        # auditor: reads everything
    "pieter": (None, None, "A", "A.advies", set()),             # procesbeheerder
    "beheer": (None, None, "B", "B.advies", set()),             # beheerder
}
AUDITOR = "ahmed"
MESSAGE = "/casussen/{}/berichten/reactie_ouders_ontvangen"


def expected(username: str) -> list[tuple[str, str, dict | None, int]]:
    """(method, url, form, status) for every page route."""
    own_case, own_task, other_case, other_task, starts = MATRIX[username]
    auditor = username == AUDITOR
    seen_elsewhere = 200 if auditor else 404
    acting_elsewhere = 403 if auditor else 404
    rows = [
        ("GET", "/werkbak", None, 200),
        ("GET", "/werkbak?tab=rol", None, 200),
        ("GET", "/werkbak?tab=afgerond", None, 200),
        ("GET", "/casussen", None, 200),
        ("GET", "/casussen/nieuw", None, 200 if starts else 403),
        # An empty start form: 422 proves the start was allowed; a procedure not his own is 404.
        ("POST", "/casussen/nieuw", {"procedure": P0}, 422 if P0 in starts else 404 if starts else 403),
        ("POST", "/casussen/nieuw", {"procedure": P5}, 422 if P5 in starts else 404 if starts else 403),
        ("GET", "/casussen/{other}", None, seen_elsewhere),
        ("GET", "/casussen/{other}/diagrammen.json", None, seen_elsewhere),
        ("GET", "/taken/{other_task}", None, seen_elsewhere),
        ("POST", "/taken/{other_task}", {"actie": "afronden"}, acting_elsewhere),
        ("POST", "/taken/{other_task}", {"actie": "opslaan"}, acting_elsewhere),
        ("POST", "/taken/{other_task}/claimen", {}, acting_elsewhere),
        ("POST", "/taken/{other_task}/vrijgeven", {}, acting_elsewhere),
        ("POST", "/taken/{other_task}/overdragen", {"naar": "gina", "reden": "x"}, acting_elsewhere),
        ("POST", MESSAGE.format("{other}"), {"reactie_ouders": "x"}, acting_elsewhere),
        ("GET", "/casussen/999999", None, 404),
        ("GET", "/casussen/999999/diagrammen.json", None, 404),
        ("GET", "/taken/999999", None, 404),
        ("POST", "/taken/999999", {"actie": "afronden"}, 404),
    ]
    if own_case:
        rows += [
            ("GET", "/casussen/{own}", None, 200),
            ("GET", "/casussen/{own}/diagrammen.json", None, 200),
            ("GET", "/taken/{own_task}", None, 200),
        ]
    if auditor:  # reads, but every act is refused
        rows += [
            ("POST", "/taken/{own_task}", {"actie": "afronden"}, 403),
            ("POST", "/taken/{own_task}/claimen", {}, 403),
            ("POST", MESSAGE.format("{own}"), {"reactie_ouders": "x"}, 403),
        ]
    return rows


def _url(template: str, cases: dict, tasks: dict, username: str) -> str:
    own_case, own_task, other_case, other_task, _ = MATRIX[username]
    return template.format(own=cases.get(own_case), own_task=tasks.get(own_task),
                           other=cases[other_case], other_task=tasks[other_task])


@pytest.mark.parametrize("username", list(MATRIX))
def test_access_matrix(world, username):
    web, cases, tasks = world
    browser = web.browser(username)
    wrong = []
    for method, template, form, status in expected(username):
        url = _url(template, cases, tasks, username)
        response = browser.get(url) if method == "GET" else browser.post(url, form)
        if response.status_code != status:
            wrong.append(f"{method} {url}: {response.status_code}, expected {status}")
        if status == 404:
            assert "Niet gevonden" in html(response) or response.mimetype == "application/json"
    assert not wrong, f"{username}:\n  " + "\n  ".join(wrong)


def test_nothing_changed_by_the_refused_acts(world):
    web, cases, tasks = world
    for key in ("A.gesprek", "A.toegang", "B.advies", "C.grond", "G.warm", "H.zorg18"):
        task = web.service.task(tasks[key])
        assert task.state == "open", key
    assert web.service.task(tasks["B.advies"]).assignee == "bram"
    assert web.service.task(tasks["A.gesprek"]).assignee is None


def test_a_hidden_case_looks_exactly_like_one_that_does_not_exist(world):
    web, cases, tasks = world
    bram = web.browser("bram")
    def same(page) -> str:
        return re.sub(r"(Casus|Taak) \d+ ", r"\1 N ", html(page))

    hidden, missing = bram.get(f"/casussen/{cases['A']}"), bram.get("/casussen/999999")
    assert hidden.status_code == missing.status_code == 404
    assert same(hidden) == same(missing) and "Casus N bestaat niet" in same(hidden)
    hidden, missing = bram.get(f"/taken/{tasks['A.advies']}"), bram.get("/taken/999999")
    assert hidden.status_code == missing.status_code == 404
    assert same(hidden) == same(missing) and "Taak N bestaat niet" in same(hidden)
    # And the case is not in bram's list, werkbak or search.
    reference = web.service.case(cases["A"]).referentie
    for url in ("/casussen", f"/casussen?zoek={reference}", f"/werkbak?tab=rol&zoek={reference}",
                f"/werkbak?zoek={reference}"):
        page = html(bram.get(url))
        assert f'href="/casussen/{cases["A"]}"' not in page and f">{reference}</a>" not in page, url


def test_without_a_session_every_page_leads_to_the_login(world):
    web, cases, tasks = world
    browser = web.browser()
    own = {"own": cases["A"], "own_task": tasks["A.advies"], "other": cases["B"], "other_task": tasks["B.advies"]}
    gets = ["/", "/werkbak", "/werkbak?tab=rol", "/casussen", "/casussen/nieuw", "/casussen/{own}",
            "/casussen/{own}/diagrammen.json", "/taken/{own_task}", MESSAGE.format("{own}"), "/uitloggen"]
    for template in gets:
        url = template.format(**own)
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/inloggen"), url
    browser.get("/inloggen")  # a session with a CSRF token, but nobody logged in
    posts = ["/taken/{own_task}", "/taken/{own_task}/claimen", "/taken/{own_task}/vrijgeven",
             "/taken/{own_task}/overdragen", "/casussen/nieuw", MESSAGE.format("{own}")]
    for template in posts:
        url = template.format(**own)
        response = browser.post(url, {"actie": "afronden"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/inloggen"), url
        assert browser.post(url, {"actie": "afronden"}, csrf=False).status_code == 400, url


def test_a_task_for_the_role_in_another_gemeente_or_organisation_is_not_in_the_werkbak(world):
    """The tab 'Taken voor mijn rollen' offers only tasks within the user's gemeente/organisation:
    the toegang task of the Roosendaal case is tom's to take, never teun's (Moerdijk)."""
    web, cases, tasks = world
    link = f'href="/taken/{tasks["G.warm"]}"'
    assert link in html(web.browser("tom").get("/werkbak?tab=rol"))
    for username in ("teun", "gijs"):
        assert link not in html(web.browser(username).get("/werkbak?tab=rol")), username
