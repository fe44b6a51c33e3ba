"""Deploy preview: recorded cases replayed on a changed diagram, listed where they would differ."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from sqlalchemy import func, select

from app.cli import main
from app.engine.parser import VhtParser
from app.service.preview import preview_process, preview_tree
from persistence.models import Event
from tests.conftest import PROCESSES
from tests.procedures.driver import CaseDriver, casus

P0 = "p0_consultatie_advies"
P0_FILE = f"{P0}.bpmn"
CAB = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.", "afspraken": [{"wie": "Anna", "wat": "Bellen"}],
       "interventies": ["zorg"]}
ZORG_CONDITION = ">'zorg' in interventies<"


@pytest.fixture
def cases(service, clock) -> dict[str, CaseDriver]:
    """Three P0 cases: one waiting at its first task, one in P1 zorg, one closed."""
    waiting = CaseDriver.start(service, clock, P0, casus())
    in_zorg = CaseDriver.start(service, clock, P0, casus())
    in_zorg.complete("Task_CabHouden", CAB)
    in_zorg.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    closed = CaseDriver.start(service, clock, P0, casus())
    closed.complete("Task_CabHouden", CAB)
    closed.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    closed.complete("Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                               "zorg_vht_organisatie": False})
    assert closed.case().status == "afgesloten" and in_zorg.open_ids() == ["Task_ContactZorgLeggen"]
    return {"waiting": waiting, "in_zorg": in_zorg, "closed": closed}


def changed_folder(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder)
    path = folder / P0_FILE
    xml = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in xml, old
        xml = xml.replace(old, new)
    path.write_text(xml, encoding="utf-8")
    return folder


def specs(folder: Path) -> tuple:
    """P0's spec and called specs as the modeler's draft would give them (no deploy checks: the
    preview must also cope with what a later check might refuse)."""
    parser = VhtParser(validator=BpmnValidator())
    for path in sorted(folder.glob("*.bpmn")):
        parser.add_bpmn_str(path.read_bytes(), filename=path.name)
    return parser.get_spec(P0), parser.get_subprocess_specs(P0)


def preview(service, folder: Path):
    spec, subs = specs(folder)
    with service.ctx.reading() as session:
        return preview_process(service.ctx, session, P0, spec, subs)


def by_case(result) -> dict[int, object]:
    return {row.case_id: row for row in result.rows}


def test_unchanged_diagram_replays_every_case_the_same(service, cases):
    with service.ctx.reading() as session:
        before = session.scalar(select(func.count()).select_from(Event))
    result = preview(service, PROCESSES)
    assert result.process_id == P0 and result.cases == 3
    assert result.rows == [], [r.detail for r in result.rows]
    assert result.seconds > 0
    with service.ctx.reading() as session:  # a preview writes nothing
        assert session.scalar(select(func.count()).select_from(Event)) == before
    assert preview_tree(service.ctx, service.source_tree()) == []  # nothing would get a new version


def test_renamed_task_is_an_element_that_no_longer_exists(service, cases, tmp_path):
    result = preview(service, changed_folder(tmp_path, ("Task_CabHouden", "Task_CabBespreken")))
    rows = by_case(result)
    assert result.cases == 3 and set(rows) == {c.case_id for c in cases.values()}
    assert {row.outcome for row in rows.values()} == {"element_weg"}
    done = rows[cases["in_zorg"].case_id]
    assert done.at_event == 2 and "Task_CabHouden" in done.detail and "bestaat niet meer" in done.detail
    assert rows[cases["closed"].case_id].status_case == "afgesloten"
    waiting = rows[cases["waiting"].case_id]
    assert waiting.status_case == "open" and "wacht op taak" in waiting.detail and "Task_CabHouden" in waiting.detail
    assert waiting.referentie == cases["waiting"].case().referentie


def test_flipped_condition_takes_another_path(service, cases, tmp_path):
    result = preview(service, changed_folder(tmp_path, (ZORG_CONDITION, ">'zorg' not in interventies<")))
    rows = by_case(result)
    # The case still at its first task never reached the gateway: the same in both versions.
    assert set(rows) == {cases["in_zorg"].case_id, cases["closed"].case_id}
    row = rows[cases["in_zorg"].case_id]
    assert row.outcome == "ander_pad" and row.at_event == 3
    assert "Task_AdviesVerwerken" in row.detail and "niet meer via" in row.detail and "StartEvent_ZorgGekozen" in row.detail


def test_condition_that_raises_is_a_failure_in_dutch(service, cases, tmp_path):
    result = preview(service, changed_folder(tmp_path, (ZORG_CONDITION, ">interventies[5] == 'zorg'<")))
    rows = by_case(result)
    assert set(rows) == {cases["in_zorg"].case_id, cases["closed"].case_id}
    row = rows[cases["in_zorg"].case_id]
    assert row.outcome == "fout" and row.at_event == 3
    assert "index valt buiten de lijst" in row.detail and "Gateway_ZorgGekozen" in row.detail
    assert "Traceback" not in row.detail and "Error" not in row.detail


def test_a_later_task_added_changes_what_an_open_case_waits_for(service, cases, tmp_path):
    # The first task's form is the same; only its place moves: a new step before it.
    extra = ('<bpmn:userTask id="Task_Voorbereiden" name="Voorbereiden" camunda:formKey="p0_cab_houden" '
             'camunda:candidateGroups="veiligheidsteam"><bpmn:incoming>Flow_Start_Voorbereiden</bpmn:incoming>'
             '<bpmn:outgoing>Flow_CasusIngebracht_CabHouden</bpmn:outgoing></bpmn:userTask>'
             '<bpmn:sequenceFlow id="Flow_Start_Voorbereiden" sourceRef="StartEvent_CasusIngebracht" '
             'targetRef="Task_Voorbereiden" />')
    folder = changed_folder(
        tmp_path,
        ('<bpmn:sequenceFlow id="Flow_CasusIngebracht_CabHouden" sourceRef="StartEvent_CasusIngebracht"',
         extra + '<bpmn:sequenceFlow id="Flow_CasusIngebracht_CabHouden" sourceRef="Task_Voorbereiden"'),
        ('<bpmn:outgoing>Flow_CasusIngebracht_CabHouden</bpmn:outgoing>\n    </bpmn:startEvent>',
         '<bpmn:outgoing>Flow_Start_Voorbereiden</bpmn:outgoing>\n    </bpmn:startEvent>'),
    )
    rows = by_case(preview(service, folder))
    assert {row.outcome for row in rows.values()} == {"ander_pad"} and len(rows) == 3
    waiting = rows[cases["waiting"].case_id]
    assert waiting.at_event == 1 and "Voorbereiden" in waiting.detail and "Task_CabHouden" in waiting.detail
    assert "stond in de nieuwe versie op dat moment niet open" in rows[cases["closed"].case_id].detail


def test_cli_voorbeeld_lists_the_cases_and_deploys_nothing(sqlite_service, clock, tmp_path):
    case = CaseDriver.start(sqlite_service, clock, P0, casus())
    case.complete("Task_CabHouden", CAB)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    untouched = CaseDriver.start(sqlite_service, clock, P0, casus())
    versions = len(sqlite_service.process_versions())
    folder = changed_folder(tmp_path, (ZORG_CONDITION, ">'zorg' not in interventies<"))
    env = {"DATABASE_URL": str(sqlite_service.engine.url), "VHT_INSTANCE_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["voorbeeld", "--map", str(folder)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{P0}: 2 casussen opnieuw uitgevoerd" in result.output and "1 lopen anders" in result.output
    referentie = case.case().referentie
    assert f"{referentie} (casus {case.case_id}, open) ander_pad bij gebeurtenis 3" in result.output
    assert untouched.case().referentie not in result.output
    assert len(sqlite_service.process_versions()) == versions
    unchanged = CliRunner().invoke(main, ["voorbeeld"], env=env, catch_exceptions=False)
    assert unchanged.exit_code == 0 and "niets te vergelijken" in unchanged.output
