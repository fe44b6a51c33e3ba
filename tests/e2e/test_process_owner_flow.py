"""Issue 10's browser test: pieter (procesbeheerder) changes P3 in the modeler inside a concept,
saves, sees the product's check as a marker on a broken condition and fixes it, runs a scenario,
looks at the deploy preview and deploys with a reason. A case started before keeps its version;
a case started after runs the new one."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime

import pytest
from playwright.sync_api import expect

from app.engine.clock import TZ
from tests.e2e.test_modeler_roundtrip import log_in, open_modeler, wait_for_name, watch_csp
from tests.procedures.driver import casus
from tests.web.helpers import CAB
from tests.web.test_access import P3_AFTER_REACTION, P3_UNTIL_CONVERSATION

pytestmark = pytest.mark.e2e

P0 = "p0_consultatie_advies"
P3 = "p3_interventiegesprek"
OLD_NAME, NEW_NAME = "Voorbespreking professionals", "Voorbespreking met de professionals"
NEW_FORM = "p3_streeftermijn_bespreken"

ADD_TASK = """() => {
  // The structural part through bpmn-js's own API (a palette drag is unreliable headless):
  // a user task between the streeftermijn timer and its end event.
  const m = window.VhtModelerPage.modeler.modeler;
  const registry = m.get('elementRegistry');
  const modeling = m.get('modeling');
  const timer = registry.get('Timer_Streeftermijn');
  const end = registry.get('Eind_streeftermijn_overschreden');
  modeling.removeElements([registry.get('Flow_Streeftermijn_Eind')]);
  const at = { x: end.x + end.width / 2, y: end.y + end.height / 2 };
  modeling.moveElements([end], { x: 160, y: 0 });
  const task = modeling.appendShape(timer, { type: 'bpmn:UserTask' }, at);
  modeling.connect(task, end);
  modeling.updateProperties(task, { id: 'Task_StreeftermijnBespreken' });
  return task.id;
}"""

SELECT = """(id) => {
  const m = window.VhtModelerPage.modeler.modeler;
  m.get('selection').select(m.get('elementRegistry').get(id));
}"""


def drive_to_voorbespreking(service, clock, gesprek: str, timer_at: datetime) -> int:
    """A P0 case with an interventiegesprek through the service, up to P3's Voorbespreking."""
    case_id = service.start_case(P0, casus(), "anna").id

    def complete(bpmn_id: str, data: dict, actor: str = "anna") -> None:
        [task] = [t for t in service.tasks(case_id=case_id) if t.bpmn_id == bpmn_id and t.state == "open"]
        service.complete_task(task.id, data, actor)

    complete("Task_CabHouden", {**CAB, "interventies": ["interventiegesprek"]}, "vera")
    complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    for bpmn_id, data in P3_UNTIL_CONVERSATION:
        if bpmn_id == "Task_MomentPlannen":
            data = {**data, "gesprek_datum": gesprek}
        complete(bpmn_id, data, "nina" if bpmn_id == "Task_JeugdigeAfspraken" else "anna")
    service.deliver_message(case_id, "reactie_ouders_ontvangen", {"reactie_ouders": "Gelezen."}, "anna")
    for bpmn_id, data in P3_AFTER_REACTION:
        complete(bpmn_id, data)
    clock.set(timer_at)
    service.fire_due_timers(clock.now())
    return case_id


def open_task(service, case_id: int, bpmn_id: str):
    [task] = [t for t in service.tasks(case_id=case_id) if t.bpmn_id == bpmn_id and t.state == "open"]
    return task


def save(page) -> None:
    before = int(page.locator("#modeler-pagina").get_attribute("data-opgeslagen") or 0)
    page.keyboard.press("Control+s")
    expect(page.locator("#modeler-pagina")).to_have_attribute("data-opgeslagen", str(before + 1))


def panel_group(page, title: str) -> None:
    header = page.locator(f".bio-properties-panel-group-header:has-text('{title}')")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def test_process_owner_changes_p3_and_deploys_it(clock_live_server, page):
    base_url, service, clock = clock_live_server
    started = time.perf_counter()
    old_case = drive_to_voorbespreking(service, clock, "2026-03-12T10:00", datetime(2026, 3, 12, 9, 31, tzinfo=TZ))
    assert open_task(service, old_case, "Task_Voorbespreking").name == OLD_NAME
    csp = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))

    log_in(page, base_url, "pieter")
    open_modeler(page, base_url, P3)

    # A new concept, made from the modeler.
    page.fill("#concept-titel", "Voorbespreking en streeftermijn")
    page.click("#opslaan-knop")
    expect(page.locator("#modeler-status")).to_contain_text('Opgeslagen in concept "Voorbespreking en streeftermijn"')
    expect(page).to_have_url(re.compile(r"\?concept=\d+$"))
    expect(page.locator("#in-gebruik-link")).to_be_visible()

    # The task's name and dueDate in the properties panel, as a user types them.
    page.click("[data-element-id='Task_Voorbespreking']")
    panel_group(page, "Algemeen")
    page.fill("#bio-properties-panel-name", NEW_NAME)
    wait_for_name(page, "Task_Voorbespreking", NEW_NAME)
    panel_group(page, "Toewijzing")
    page.fill("#bio-properties-panel-dueDate", "einde_dag(gesprek_datum)")
    page.wait_for_function("""() => window.VhtModelerPage.modeler.modeler.get('elementRegistry')
      .get('Task_Voorbespreking').businessObject.get('camunda:dueDate') === 'einde_dag(gesprek_datum)'""")

    # A new user task with a new form: structure by API, its properties in the panel, the form in the editor.
    task_id = page.evaluate(ADD_TASK)
    page.evaluate(SELECT, task_id)
    panel_group(page, "Algemeen")
    page.fill("#bio-properties-panel-name", "Streeftermijn bespreken")
    wait_for_name(page, task_id, "Streeftermijn bespreken")
    panel_group(page, "Toewijzing")
    page.fill("#bio-properties-panel-candidateGroups", "veiligheidsteam")
    panel_group(page, "Formulier")
    page.select_option("#bio-properties-panel-formType", "formKey")
    page.fill("#bio-properties-panel-formKey", NEW_FORM)
    expect(page.locator("#formeditor-kop")).to_have_text(f"Formulier {NEW_FORM} (nieuw)")
    page.click(".vht-fe-veld-toevoegen")
    card = page.locator(".vht-fe-velden > .vht-fe-veld").first
    card.locator(".vht-fe-naam").fill("afspraak_streeftermijn")
    card.get_by_label("Type").select_option("long_text")
    card.get_by_label("Label", exact=True).fill("Wat is afgesproken over de streeftermijn?")
    card.get_by_label("verplicht").check()
    expect(page.locator("#formvoorbeeld")).to_contain_text("Wat is afgesproken over de streeftermijn?")

    save(page)
    expect(page.locator("#modeler-status")).to_contain_text("Controle: geen problemen")
    expect(page.locator("#controle-plan")).to_contain_text(f"{P3}: nieuwe versie (nu v1)")

    # A condition on a name no form produces: a marker with the Dutch message on that flow.
    page.evaluate(SELECT, "Flow_Opnieuw_Ja")
    panel_group(page, "Voorwaarde")
    condition = page.locator("#bio-properties-panel-conditionExpression")
    condition.fill("zorg_soort == 'opnieuw_plannen'")
    page.wait_for_function("""() => window.VhtModelerPage.modeler.modeler.get('elementRegistry')
      .get('Flow_Opnieuw_Ja').businessObject.conditionExpression.body.startsWith('zorg_soort')""")
    save(page)
    marker = page.locator(".djs-overlays[data-container-id='Flow_Opnieuw_Ja'] .vht-probleem-overlay")
    expect(marker).to_have_count(1)
    expect(marker.locator(".vht-probleem-uitleg")).to_contain_text(
        "voorwaarde leest 'zorg_soort', maar geen formulier, startgegeven of bericht vult dat gegeven")
    expect(page.locator(".djs-element.vht-probleem[data-element-id='Flow_Opnieuw_Ja']")).to_have_count(1)
    expect(page.locator("#modeler-status")).to_contain_text("Zo kan het nog niet in gebruik")
    condition.fill("gesprek_uitkomst == 'opnieuw_plannen'")
    page.wait_for_function("""() => window.VhtModelerPage.modeler.modeler.get('elementRegistry')
      .get('Flow_Opnieuw_Ja').businessObject.conditionExpression.body.startsWith('gesprek_uitkomst')""")
    save(page)
    expect(page.locator(".vht-probleem-overlay")).to_have_count(0)
    expect(page.locator("#modeler-status")).to_contain_text("Controle: geen problemen")

    # A scenario of P3 on the concept, its path coloured.
    expect(page.locator("#scenario-kiezen")).to_have_attribute("data-geladen", "ja")
    page.click("#scenario-knop")
    expect(page.locator("#scenario-resultaat")).to_have_attribute("data-ok", "ja")
    expect(page.locator("#scenario-resultaat")).to_contain_text("geslaagd")
    assert page.locator(".djs-element.vht-pad").count() > 5

    # The deploy preview, then the deploy with a reason.
    page.click("#in-gebruik-link")
    expect(page.locator("h1")).to_contain_text("In gebruik nemen: Voorbespreking en streeftermijn")
    expect(page.locator("table.plan")).to_contain_text("nieuwe versie (nu v1)")
    preview = page.locator(".voorbeeld-procedure[data-procedure='p0_consultatie_advies']")
    expect(preview).to_contain_text("opnieuw afgespeeld op de nieuwe versie")
    page.fill("#reden", "Voorbespreking tot het einde van de dag; streeftermijn eerst bespreken (regio-overleg)")
    page.click("#in-gebruik-knop")
    expect(page.locator(".melding, .flash, [role=status]").filter(has_text="in gebruik genomen").first).to_be_visible()
    assert dialogs == [], dialogs  # nothing unsaved was left behind
    assert errors == [], errors

    # The form made in the editor is deployed with the diagram that names it.
    form = json.loads(service.draft_tree("pieter", None).files[f"forms/{NEW_FORM}.json"])
    assert [(f["name"], f["type"], f.get("required")) for f in form["fields"]] == [("afspraak_streeftermijn", "long_text", True)]
    assert 'camunda:formKey="p3_streeftermijn_bespreken"' in service.process_version(P3).xml

    # The old case's path, as a preview row links it (before the clock moves on and ends the
    # browser's session): P3's diagram (v1) coloured, no answers shown.
    page.goto(f"{base_url}/beheer/processen/{P0}/casussen/{old_case}/pad")
    p3_diagram = page.locator(f".casus-pad-diagram[data-process-id='{P3}']")
    expect(p3_diagram).to_have_attribute("data-gekleurd", re.compile(r"^[1-9]\d*$"))
    expect(p3_diagram.locator("[data-element-id='Task_Voorbespreking']")).to_be_visible()
    expect(page.locator("h3").filter(has_text=P3)).to_contain_text("versie 1")  # the version it runs on
    assert "Gelezen." not in page.content() and "de Vries" not in page.content()
    assert errors == [], errors
    assert csp == [], csp

    # The older case keeps its own version; a new case runs the new one.
    assert open_task(service, old_case, "Task_Voorbespreking").name == OLD_NAME
    new_case = drive_to_voorbespreking(service, clock, "2026-03-26T10:00", datetime(2026, 3, 26, 9, 31, tzinfo=TZ))
    new_task = open_task(service, new_case, "Task_Voorbespreking")
    old_task = open_task(service, old_case, "Task_Voorbespreking")
    assert new_task.name == NEW_NAME and old_task.name == OLD_NAME
    # The new dueDate (end of the conversation's day) only on the new case.
    assert new_task.due_at.astimezone(TZ).strftime("%d-%m %H:%M") == "26-03 23:59", new_task.due_at
    assert old_task.due_at.astimezone(TZ).strftime("%d-%m %H:%M") == "12-03 10:00", old_task.due_at
    number = {v.id: v.version for v in service.process_versions()}
    [new_p0] = [number[i.process_version_id] for i in service.case(new_case).instances if i.process_id == P0]
    [old_p0] = [number[i.process_version_id] for i in service.case(old_case).instances if i.process_id == P0]
    assert new_p0 == old_p0 + 1  # P3 runs inside P0's bundle: P0 got a new version with it
    print(f"process owner flow: {time.perf_counter() - started:.1f} s")
