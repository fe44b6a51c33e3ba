"""Who read what (NEN 7513) in the browser: every page with a case's data writes a row to the
access log (the route walk), an auditor or beheerder gives the reason of access first (once per
session and case), and /audit/toegang finds the rows and exports them. On SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.clock import TZ
from app.service import instances as instances_mod
from app.service.errors import CaseProblem
from persistence.models import HumanTask, ToegangLog, VkVerzending
from tests.procedures.driver import casus
from tests.vk.steps import naar_rvdk, p4_to_the_end

from .helpers import CAB, Browser, add_demo_users, build_web, html, make_app

ID_ARGS = {"case_id", "task_id", "incident_id"}
# GET routes with a case in the URL that show no data of it themselves.
NOT_A_READ = {
    "audit_access.reason": "the reason form names the case's reference only; the reason given is a row itself",
    "avg.avg_export": "the form names the reference only; the export it makes is recorded by app/service/avg_export.py",
}


@pytest.fixture
def web(service, clock):
    return build_web(service, clock)


def rows(web, **where) -> list[ToegangLog]:
    with web.service.ctx.reading() as session:
        query = select(ToegangLog).order_by(ToegangLog.id)
        for key, value in where.items():
            query = query.where(getattr(ToegangLog, key) == value)
        return list(session.scalars(query))


def _failing_hook(ctx, session, instance, event, outgoing):
    if event.type == "task_completed" and event.task_bpmn_id == "Task_CabHouden":
        raise RuntimeError("het sjabloon kon niet gemaakt worden")


# --- the route walk ---------------------------------------------------------------------------------

def _walk_world(web, monkeypatch) -> dict:
    """A case with its card sent, done tasks and a message it still takes (the parents' reaction,
    late); a case with an open task; an incident on a third."""
    case = naar_rvdk(web.service, web.clock)
    p4_to_the_end(case)
    case_id = case.case_id
    with web.service.ctx.reading() as session:
        done = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                       HumanTask.state == "completed")).first()
        send_id = session.scalar(select(VkVerzending.id).where(VkVerzending.case_id == case_id,
                                                               VkVerzending.pdf.is_not(None)))
    other = web.start_case()
    opened = web.open_task(other, "Task_CabHouden")
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _failing_hook])
    broken = web.start_case()
    with pytest.raises(CaseProblem) as problem:
        web.service.complete_task(web.open_task(broken, "Task_CabHouden").id, CAB, "vera")
    (message, _, _), = web.service.receivable_messages("anna", case_id)
    return {"case": case_id, "process_id": web.service.case(case_id).instances[0].process_id,
            "done": done, "open": opened, "send_id": send_id, "message": message,
            "incident": problem.value.incident_id, "broken": broken}


def _targets(world, rule) -> list[tuple[str, dict, int]]:
    """(user, URL values, the case the row must name) for one route."""
    args = set(rule.arguments)
    if "incident_id" in args:
        return [("beheer", {"incident_id": world["incident"]}, world["broken"])]
    if "task_id" in args:
        return [("ahmed", {"task_id": world["done"].id}, world["done"].case_id),
                ("ahmed", {"task_id": world["open"].id}, world["open"].case_id)]
    values = {"case_id": world["case"], "process_id": world["process_id"], "a": 1, "b": 2,
              "send_id": world["send_id"]}
    if rule.endpoint == "cases.message":
        return [("ahmed", {"case_id": world["case"], "name": world["message"]}, world["case"])]
    user = "pieter" if rule.endpoint.startswith("modeler.") else "beheer" if rule.endpoint.startswith("avg.") \
        else "ahmed"
    return [(user, {k: v for k, v in values.items() if k in args}, world["case"])]


def test_every_get_route_with_a_case_or_task_writes_a_row(web, monkeypatch):
    world = _walk_world(web, monkeypatch)
    browsers = {}
    api = web.app.test_client()
    token = web.service.issue_token("ahmed")
    walked, missing = [], []
    for rule in web.app.url_map.iter_rules():
        if "GET" not in rule.methods or not ID_ARGS & set(rule.arguments) or rule.endpoint in NOT_A_READ:
            continue
        for user, values, case_id in _targets(world, rule):
            url = rule.build(values, append_unknown=False)[1]
            before = len(rows(web))
            if rule.endpoint.startswith("api_"):
                response = api.get(url, headers={"Authorization": f"Bearer {token}", "X-Reden-Inzage": "klacht"})
            else:
                response = browsers.setdefault(user, web.browser(user)).get(url)
            written = rows(web)[before:]
            walked.append(url)
            if response.status_code != 200:
                missing.append(f"{rule.endpoint} {url}: {response.status_code}")
            elif not any(r.case_id == case_id and r.username == user for r in written):
                missing.append(f"{rule.endpoint} {url}: no row for case {case_id} ({[r.wat for r in written]})")
    assert not missing, "\n".join(missing)
    assert len(walked) >= 12, walked  # case, diagrams, message, task x2, VK x4, API x3, incident, path...


def test_lists_write_a_row_per_case_listed(web):
    first, second = web.start_case(), web.start_case()
    anna = web.browser("anna")
    before = len(rows(web))
    assert anna.get("/casussen").status_code == 200
    listed = rows(web)[before:]
    assert {r.case_id for r in listed} == {first, second} and {r.wat for r in listed} == {"casuslijst"}
    assert all(r.betrokken and r.username == "anna" and r.rollen for r in listed)
    reference = web.service.case(first).referentie
    before = len(rows(web))
    anna.get(f"/casussen?zoek={reference}")
    assert [(r.case_id, r.wat) for r in rows(web)[before:]] == [(first, "zoekresultaat")]
    before = len(rows(web))
    anna.get("/casussen?zoek=bestaat-niet")
    nothing = rows(web)[before:]
    assert [(r.case_id, r.wat) for r in nothing] == [(None, "zoekresultaat")]
    vera = web.browser("vera")
    before = len(rows(web))
    vera.get("/werkbak?tab=rol")
    assert {r.case_id for r in rows(web)[before:]} == {first, second}


def test_a_page_whose_read_cannot_be_recorded_is_not_shown(web, monkeypatch):
    case_id = web.start_case()
    reference = web.service.case(case_id).referentie
    anna = web.browser("anna")

    def broken(*args, **kwargs):
        raise RuntimeError("database vol")

    monkeypatch.setattr(web.service, "log_access", broken)
    web.app.config["TESTING"] = False  # the error page, as a user gets it
    response = anna.get(f"/casussen/{case_id}")
    assert response.status_code == 500 and reference not in html(response)


# --- the reason of access -------------------------------------------------------------------------

def test_auditor_gives_a_reason_once_per_session_and_case(web, clock):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    ahmed = web.browser("ahmed", reden=None)
    page = ahmed.get(f"/taken/{task.id}")
    assert page.status_code == 302
    location = page.headers["Location"]
    assert location == f"/casussen/{case_id}/reden?volgende=/taken/{task.id}"
    assert not rows(web, username="ahmed", case_id=case_id)  # nothing read yet
    form = html(ahmed.get(location))
    assert "Kwaliteitsonderzoek" in form and "Verzoek betrokkene (AVG)" in form and "Anders" in form

    refused = ahmed.post(location, {"doel": "anders", "toelichting": "  "})
    assert refused.status_code == 422 and "Bij &#39;Anders&#39; is een toelichting verplicht." in html(refused)
    assert ahmed.post(location, {"doel": "zomaar"}).status_code == 422
    given = ahmed.post(location, {"doel": "anders", "toelichting": "Steekproef dossiervorming"})
    assert given.status_code == 302 and given.headers["Location"] == f"/taken/{task.id}"
    assert ahmed.get(f"/taken/{task.id}").status_code == 200
    assert ahmed.get(f"/casussen/{case_id}").status_code == 200  # same case, same session: no second question
    read = rows(web, username="ahmed", case_id=case_id)
    assert [r.wat for r in read] == ["reden van inzage", "taakpagina", "casuspagina"]
    assert all(r.doel == "anders" and r.toelichting == "Steekproef dossiervorming" and not r.betrokken
               and r.rollen == "auditor" and r.sessie for r in read)

    other = web.start_case()
    assert ahmed.get(f"/casussen/{other}").status_code == 302  # another case: asked again
    again = web.browser("ahmed", reden=None)  # a new login: asked again
    assert again.get(f"/casussen/{case_id}").status_code == 302


def test_the_next_page_is_a_local_one(web):
    case_id = web.start_case()
    ahmed = web.browser("ahmed", reden=None)
    ahmed.get(f"/casussen/{case_id}/reden")
    response = ahmed.post(f"/casussen/{case_id}/reden?volgende=https://evil.example/x",
                          {"doel": "klacht", "volgende": "//evil.example/x"})
    assert response.headers["Location"] == f"/casussen/{case_id}"


def test_professionals_give_no_reason_and_outsiders_still_get_404(web):
    case_id = web.start_case()
    assert web.browser("anna", reden=None).get(f"/casussen/{case_id}").status_code == 200
    (row,) = rows(web, username="anna", case_id=case_id, wat="casuspagina")
    assert row.betrokken and row.doel is None
    assert web.browser("bram", reden=None).get(f"/casussen/{case_id}").status_code == 404
    assert web.browser("bram").get(f"/casussen/{case_id}/reden").status_code == 403  # no reader role
    beheer = web.browser("beheer", reden=None)
    assert beheer.get(f"/casussen/{case_id}").status_code == 404  # a beheerder sees no case pages
    assert not rows(web, username="bram", case_id=case_id) and not rows(web, username="beheer", case_id=case_id)


def test_the_incident_page_asks_the_beheerder_for_a_reason(web, monkeypatch):
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _failing_hook])
    case_id = web.start_case()
    with pytest.raises(CaseProblem) as problem:
        web.service.complete_task(web.open_task(case_id, "Task_CabHouden").id, CAB, "vera")
    url = f"/beheer/incidenten/{problem.value.incident_id}"
    beheer = web.browser("beheer", reden=None)
    asked = beheer.get(url)
    assert asked.status_code == 302 and asked.headers["Location"].startswith(f"/casussen/{case_id}/reden?")
    beheer.get(asked.headers["Location"])
    beheer.post(asked.headers["Location"], {"doel": "incident"})
    page = beheer.get(url)
    assert page.status_code == 200 and "Zorg inzetten en een interventiegesprek voeren." in html(page)
    (row,) = rows(web, username="beheer", wat="incident")
    assert row.case_id == case_id and row.doel == "incident" and not row.betrokken
    assert beheer.get("/beheer/incidenten").status_code == 200  # the list names the case: a row too
    assert [r.case_id for r in rows(web, username="beheer", wat="incidentenlijst")] == [case_id]
    assert beheer.get("/beheer/berichten").status_code == 200  # the mails of the case (to the beheerders)
    assert case_id in {r.case_id for r in rows(web, username="beheer", wat="berichtenlijst")}


# --- /audit/toegang -------------------------------------------------------------------------------

def test_the_access_log_page_filters_and_pages(web, clock):
    first, second = web.start_case(), web.start_case()
    reference = web.service.case(first).referentie
    web.browser("anna").get(f"/casussen/{first}")
    web.browser("anna").get(f"/casussen/{second}")
    ahmed = web.browser("ahmed")
    ahmed.get(f"/casussen/{first}")
    assert web.browser("anna").get("/audit/toegang").status_code == 403

    case_page = html(ahmed.get(f"/casussen/{first}"))
    assert f'href="/audit/toegang?casus={first}">Wie heeft deze casus ingezien</a>' in case_page
    assert 'href="/audit/toegang"' in case_page  # the menu
    assert "Wie heeft deze casus ingezien" not in html(web.browser("anna").get(f"/casussen/{first}"))

    mine = rows(web, case_id=first)
    page = html(ahmed.get(f"/audit/toegang?casus={reference}"))
    lines = re.findall(r'<tr data-regel="(\d+)">', page)
    assert {int(i) for i in lines} == {r.id for r in mine}
    assert lines == sorted(lines, key=int, reverse=True)  # newest first
    assert "Anna de Jong" in page and "Kwaliteitsonderzoek" in page and ">nee<" in page and ">ja<" in page
    moment = mine[0].at.astimezone(TZ).strftime("%d-%m-%Y %H:%M:%S")
    assert moment in page
    (viewed,) = rows(web, username="ahmed", wat="toegangslog")
    assert viewed.case_id == first  # looking at the log of a case is itself logged

    by_person = html(ahmed.get("/audit/toegang?persoon=anna"))
    assert {int(i) for i in re.findall(r'data-regel="(\d+)"', by_person)} == {r.id for r in rows(web, username="anna")}
    today = clock.now().astimezone(TZ).date()
    assert "Geen regels gevonden" in html(ahmed.get(f"/audit/toegang?tot={(today - timedelta(days=1)).isoformat()}"))
    day = today.isoformat()
    assert "Geen regels gevonden" not in html(ahmed.get(f"/audit/toegang?van={day}&tot={day}"))
    assert "Casus &#39;XX-0&#39; bestaat niet." in html(ahmed.get("/audit/toegang?casus=XX-0"))
    assert "geen datum" in html(ahmed.get("/audit/toegang?van=gisteren"))

    for _ in range(60):
        web.service.log_access("anna", [second], "casuspagina", "10.0.0.1", None)
    paged = html(ahmed.get(f"/audit/toegang?casus={second}"))
    assert "pagina 1 van 2" in paged and f'casus={second}' in paged and "pagina=2" in paged
    rest = len(rows(web, case_id=second)) - 50
    assert len(re.findall(r'data-regel="', html(ahmed.get(f"/audit/toegang?casus={second}&pagina=2")))) == rest


def test_the_csv_export_is_the_selection_for_excel_and_guarded(web):
    case_id = web.start_case()
    web.service.log_access("anna", [case_id], "=HYPERLINK(\"x\")", "+31 evil", None)
    web.service.log_access("anna", [case_id], "casuspagina", "10.0.0.2", None)
    web.service.log_access("anna", [web.start_case()], "casuspagina", "10.0.0.3", None)
    response = web.browser("ahmed").get(f"/audit/toegang.csv?casus={case_id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data.decode("utf-8")
    assert raw.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert table[0][:3] == ["moment", "gebruiker", "naam"]
    assert [line[6] for line in table[1:]] == ["10.0.0.2", "'+31 evil"]  # this case only, newest first
    assert table[2][5] == "'=HYPERLINK(\"x\")"
    assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d", table[1][0])
    assert rows(web, username="ahmed", wat="toegangslog-export")[0].case_id == case_id
    assert web.browser("vera").get("/audit/toegang.csv").status_code == 403


def test_the_client_address_behind_a_trusted_proxy(service, clock):
    add_demo_users(service)
    case_id = service.start_case("p0_consultatie_advies", casus(), "anna").id
    anna = Browser(make_app(service, trusted_proxies=1))
    anna.login("anna")
    anna.get(f"/casussen/{case_id}", headers={"X-Forwarded-For": "203.0.113.7"})
    with service.ctx.reading() as session:
        row = session.scalars(select(ToegangLog).where(ToegangLog.case_id == case_id,
                                                        ToegangLog.wat == "casuspagina")).one()
    assert row.client == "203.0.113.7"
