"""The access matrix: every role against every API route, on cases they are involved in and on
someone else's. One world of five cases, each stopped at an open task of another role:

  B  bram (moerdijk), P0 at the CAB              open: veiligheidsteam, nobody took it
  A  anna, P4 at 'grond toetsen'                 open: rvdk; vera held the CAB, anna confirmed
                                                 the card for the RvdK (P4's check step)
  Z  anna, P1 at 'contact zorg leggen'           open: anna's own; vera held the CAB
  G  gina (GI, Jeugdbescherming Brabant),        open: toegang of Roosendaal; vera discussed it in
     P5 at 'warme overdracht regelen'            the VHT, rik made the RvdK's toets before it
  V  anna, P3 at 'interventiegesprek voeren'     open: voorzitter; nina (GGZ West-Brabant) made
                                                 the child's arrangements; vera held the CAB;
                                                 the parents were asked and reacted

Besides the users of conftest, a second gemeente and a second organisation for every role
(SECOND_SCOPE, issue 9 section 4): a toegang user of Moerdijk never sees the Roosendaal case, a
GI, netwerkpartner or zorgaanbieder of another organisation never sees a case of the first one,
while a colleague in the same gemeente or organisation does (toegang: the open task is offered to
her; GI and netwerkpartner: they read the case their organisation takes part in). The regional
roles (VHT, RvdK, voorzitter) of another gemeente work like their colleagues.

Who is involved is written down here from the procedures (not asked from the service), and what
each route must answer follows from it:
  outsider   everything 404 and nothing in the lists (existence is not leaked)
  auditor    reads everything (200), every act 403
  involved   case and history 200; the task 404 (not theirs); acting 403, claiming an assigned task
             409; the case's inbrenger may hand a task on (assign reaches validation: 422)
  worker     the task is theirs or their role's (within gemeente/organisation): everything 200 /
             422 for data left out on purpose
The incoming message (the parents' reaction) is recorded only by the case's inbrenger (or someone
added to the case): 422 for the empty payload where the case takes it (V: the parents were asked),
404 where it does not; 403 for others who see the case, 404 for outsiders.

Acts that would change the world are probed so that they do not: complete and assign with data
that fails validation (422 proves the caller got past every access check), claim followed by
unclaim (and claim again when the task was the caller's).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime

import pytest

from app.engine.clock import TZ, FixedClock
from app.service import Service
from tests.conftest import FORMS, PROCESSES, TEST_USERS
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import (
    at,
    cab,
    organiseren,
    reactie_ontvangen,
    reactie_vragen,
    start_through_p0,
    vk_versturen,
    voorbespreking,
)

from .helpers import EXTRA_USERS, P0, ApiApp

# (username, naam, rollen, gemeente, organisatie): a second gemeente / organisation for every role.
SECOND_SCOPE = [
    ("ivo", "Ivo Inbrenger", ["inbrenger"], "roosendaal", "Jeugdteam Roosendaal"),  # anna's gemeente, not her case
    ("teun", "Teun Toegang", ["toegang"], "moerdijk", None),
    ("tess", "Tess Toegang", ["toegang"], "roosendaal", None),                     # tom's colleague
    ("gijs", "Gijs GI", ["gi"], None, "William Schrikker Jeugdbescherming"),
    ("greet", "Greet GI", ["gi"], None, "Jeugdbescherming Brabant"),               # gina's colleague
    ("noor", "Noor Netwerkpartner", ["netwerkpartner"], None, "Veilig Thuis"),
    ("nils", "Nils Netwerkpartner", ["netwerkpartner"], None, "GGZ West-Brabant"),  # nina's colleague
    ("zeno", "Zeno Zorgaanbieder", ["zorgaanbieder"], None, "Zorgboog"),
    ("vita", "Vita VHT", ["veiligheidsteam"], "moerdijk", None),
    ("rob", "Rob RvdK", ["rvdk"], "moerdijk", None),
    ("valt", "Valt Voorzitter", ["voorzitter"], "moerdijk", None),
]
USERS = [u[0] for u in TEST_USERS] + [u[0] for u in EXTRA_USERS] + [u[0] for u in SECOND_SCOPE]
ROLES = {u[0]: u[2] for u in TEST_USERS} | {u[0]: u[2] for u in EXTRA_USERS} | {u[0]: u[2] for u in SECOND_SCOPE}
GEMEENTE = {u[0]: u[3] for u in TEST_USERS} | {u[0]: u[3] for u in SECOND_SCOPE}
AUDITOR = "ahmed"


@dataclass
class WorldCase:
    name: str
    case_id: int
    task_id: int
    task_role: str
    task_assignee: str | None
    inbrenger: str
    involved: set[str]  # besides the inbrenger and those the open task is for
    gemeente: str = "roosendaal"
    takes_reaction: bool = False  # the parents were asked: their reaction is taken, however late


def _p5(service, clock) -> CaseDriver:
    data = {"gemeente": "roosendaal", "inbrenger_organisatie": "Jeugdbescherming Brabant",
            "ouders": [{"naam": "Petra de Vries", "gezag": True}],
            "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2012-05-01"}], "einde_maatregel": "2026-07-06"}
    case = CaseDriver.start(service, clock, "p5_warme_overdracht", data, actor="gina")
    case.complete("Task_Kernbeslissing", {"kernbeslissing_datum": "2026-03-02", "borgingsplan": "Oma blijft betrokken.",
                                          "stukken_rvdk": "Evaluatie"}, "gina")
    case.complete("Task_CasusInbrengenVht", {"vk_samenvatting": "Afspraken lopen goed.", "vk_geactualiseerd": True},
                  "gina")
    case.complete("Task_OverdrachtBespreken", {"nog_jeugdhulp": True, "advies_overdracht": "Warme overdracht.",
                                               "borging_veiligheid": "Toegang monitort."}, "vera")
    # The RvdK's "betekenisvol toetsen" comes before the handover to the toegang (issue 9, P5).
    case.complete("Task_BetekenisvolToetsen", {"toets_positief": True, "toets_toelichting": "Getoetst."}, "rik")
    return case


def _world_case(name, driver: CaseDriver, bpmn_id: str, inbrenger: str, involved: set[str], **more) -> WorldCase:
    task = driver.task(bpmn_id)
    return WorldCase(name, driver.case_id, task.id, task.role, task.assignee, inbrenger, involved, **more)


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("matrix") / "vht.sqlite"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    service = Service(f"sqlite:///{path}", PROCESSES, FORMS, clock=clock)
    for username, naam, rollen, gemeente, organisatie in SECOND_SCOPE:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, organisatie=organisatie,
                            email=f"{username}@example.org")
    api = ApiApp(service)

    b = CaseDriver.start(service, clock, P0, casus(gemeente="moerdijk"), actor="bram")
    a = start_through_p0(service, clock, "interventiegesprek_rvdk")
    a.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    a.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True})  # P4's check step
    z = CaseDriver.start(service, clock, P0, casus())
    z.complete("Task_CabHouden", dict(cab("zorg"), interventies=["zorg"]))
    z.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    g = _p5(service, clock)
    v = start_through_p0(service, clock, "interventiegesprek")  # last: it moves the clock to 12 March
    organiseren(v, "2026-03-12T10:00", maatregelen=("onafhankelijk_voorzitter",), voorzitter="onafhankelijk",
                jeugdige="uitgenodigd")
    reactie_vragen(v)
    reactie_ontvangen(v, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(v)
    voorbespreking(v, at(2026, 3, 12, 10, 0), voorzitter="onafhankelijk")

    cases = [
        _world_case("B", b, "Task_CabHouden", "bram", set(), gemeente="moerdijk"),
        _world_case("A", a, "Task_GrondToetsen", "anna", {"vera"}),
        _world_case("Z", z, "Task_ContactZorgLeggen", "anna", {"vera"}),
        # greet: the GI organisation of the case (Jeugdbescherming Brabant, gina's) takes part.
        _world_case("G", g, "Task_WarmeOverdrachtRegelen", "gina", {"vera", "rik", "greet"}),
        # nils: the netwerkpartner organisation of the case (GGZ West-Brabant, nina's) takes part.
        _world_case("V", v, "Task_InterventiegesprekVoeren", "anna", {"vera", "nina", "nils"}, takes_reaction=True),
    ]
    assert [(c.task_role, c.task_assignee) for c in cases] == [
        ("veiligheidsteam", None), ("rvdk", None), ("inbrenger", "anna"), ("toegang", None), ("voorzitter", None)]
    yield api, cases
    service.engine.dispose()


def offered(username: str, case: WorldCase) -> bool:
    """The open task nobody took is for one of the user's roles, within its scope (the world has
    open tasks of one scoped role only: the toegang, for the case's gemeente)."""
    if case.task_assignee is not None or case.task_role not in ROLES[username]:
        return False
    return case.task_role != "toegang" or GEMEENTE.get(username) == case.gemeente


def category(username: str, case: WorldCase) -> str:
    if username == AUDITOR:
        return "auditor"
    if case.task_assignee == username or offered(username, case):
        return "worker"
    if username == case.inbrenger or username in case.involved:
        return "involved"
    return "outsider"


def expected(username: str, case: WorldCase) -> dict[str, int]:
    kind = category(username, case)
    if kind == "outsider":
        return dict.fromkeys(ROUTES, 404) | {"in case list": False, "in inbox": False}
    reads = {"GET case": 200, "GET history": 200, "in case list": True,
             "message": (422 if case.takes_reaction else 404) if username == case.inbrenger else 403}
    if kind == "auditor":
        return reads | {"GET task": 200, "claim": 403, "unclaim": 403, "assign": 403, "draft": 403,
                        "complete": 403, "in inbox": True}
    if kind == "worker":
        return reads | {"GET task": 200, "claim": 200, "unclaim": 200, "assign": 422, "draft": 204,
                        "complete": 422, "in inbox": True}
    return reads | {"GET task": 404, "claim": 409 if case.task_assignee else 403, "unclaim": 403,
                    "assign": 422 if username == case.inbrenger else 403, "draft": 403, "complete": 403,
                    "in inbox": False}


ROUTES = ["GET case", "GET history", "GET task", "claim", "unclaim", "assign", "draft", "complete", "message"]


def observe(client, case: WorldCase) -> dict:
    task = f"/api/tasks/{case.task_id}"
    seen = {
        "GET case": client.get(f"/api/cases/{case.case_id}").status_code,
        "GET history": client.get(f"/api/cases/{case.case_id}/history").status_code,
        "GET task": client.get(task).status_code,
        "assign": client.post(f"{task}/assign", json={"naar": "niemand", "reden": "Matrix"}).status_code,
        "draft": client.put(f"{task}/draft", json={}).status_code,
        "complete": client.post(f"{task}/complete", json={}).status_code,
        # an empty reaction: 422 proves the caller got past every access check, and nothing is recorded
        "message": client.post(f"/api/cases/{case.case_id}/messages/reactie_ouders_ontvangen", json={}).status_code,
    }
    seen["claim"] = client.post(f"{task}/claim").status_code
    if seen["claim"] == 200:
        seen["unclaim"] = client.post(f"{task}/unclaim").status_code
        if case.task_assignee == client.username:
            assert client.post(f"{task}/claim").status_code == 200  # hers again, as before
    else:
        seen["unclaim"] = client.post(f"{task}/unclaim").status_code
    cases = client.get("/api/cases").get_json()
    seen["in case list"] = case.case_id in [c["id"] for c in cases]
    inbox = [t["id"] for tab in ("mijn", "rol") for t in client.get(f"/api/tasks?tab={tab}&per_page=100").get_json()["items"]]
    seen["in inbox"] = case.task_id in inbox
    return seen


@pytest.mark.parametrize("username", USERS)
def test_access_matrix(world, username):
    api, cases = world
    client = api.as_(username)
    wrong = []
    for case in cases:
        want, got = expected(username, case), observe(client, case)
        wrong += [f"{username} ({category(username, case)}) on case {case.name}: {route} gave {got[route]}, "
                  f"expected {want[route]}" for route in want if got[route] != want[route]]
    assert not wrong, "\n".join(wrong)
    # The world is as it was: acting probes changed no task.
    for case in cases:
        task = api.service.task(case.task_id)
        assert (task.state, task.assignee) == ("open", case.task_assignee)


@pytest.mark.parametrize("username", USERS)
def test_who_may_start_what(world, username):
    api, _ = world
    client = api.as_(username)
    gi = {"p5_warme_overdracht", "p6_achttien_min_plus"}
    startable = {"anna": {P0}, "bram": {P0}, "ivo": {P0}, "gina": {P0, *gi}, "gijs": gi, "greet": gi}
    allowed = startable.get(username, set())
    assert {p["process_id"] for p in client.get("/api/processes").get_json()} == allowed
    # Data that fails validation: 422 means past the role check, 403 means not allowed; nothing starts.
    for process_id in (P0, "p5_warme_overdracht"):
        response = client.post("/api/cases", json={"process_id": process_id, "data": {}})
        assert response.status_code == (422 if process_id in allowed else 403), (process_id, response.get_json())


def test_every_category_of_the_matrix_occurs(world):
    """The matrix proves something only if each kind of access appears in it."""
    _, cases = world
    kinds = {category(u, c) for u in USERS for c in cases}
    assert kinds == {"outsider", "auditor", "involved", "worker"}
    # Every role that has case work is a worker somewhere, except zoe: no diagram has a task for
    # the zorgaanbieder yet, so she is an outsider everywhere.
    workers = {u for u in USERS for c in cases if category(u, c) == "worker"}
    assert workers == {"anna", "vera", "vince", "vita", "rik", "rob", "tom", "tess", "victor", "valt"}
    involved = {u for u in USERS for c in cases if category(u, c) == "involved"}
    assert involved == {"anna", "bram", "gina", "greet", "vera", "nina", "nils", "rik"}
    # The second gemeente and the other organisations see nothing of these cases.
    outsiders = {u for u in USERS if all(category(u, c) == "outsider" for c in cases)}
    assert {"ivo", "teun", "gijs", "noor", "zeno"} <= outsiders
