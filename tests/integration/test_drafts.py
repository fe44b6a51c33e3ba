"""Concepts: a process owner's changes, checked on save, deployed with a reason; nobody else's."""
import shutil
from pathlib import Path

import pytest

from app.service import Conflict, DeployRefused, NotFound, PermissionDenied, Service

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
DIAGRAM = "processes/bench_herstelronde.bpmn"


@pytest.fixture
def service(tmp_path):
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(BENCH / "processes", processes)
    shutil.copytree(BENCH / "forms", forms)
    service = Service(f"sqlite:///{tmp_path}/d.sqlite", processes, forms)
    service.init_db()
    for name, roles in (("pieter", ["procesbeheerder"]), ("petra", ["procesbeheerder"]), ("anna", ["inbrenger"])):
        service.upsert_user(name, name.title(), roles)
    service.deploy(actor="pieter", reden="eerst")
    return service


def test_concept_is_checked_on_save_and_deployed_with_a_reason(service):
    draft = service.create_draft("pieter", "Taaknaam duidelijker")
    xml = service.draft_tree("pieter", draft.id).files[DIAGRAM]
    case = service.start_case("bench_herstelronde", {}, "anna")

    broken = xml.replace('camunda:formKey="bench_bewerken"', 'camunda:formKey="bestaat_niet"')
    result = service.save_draft_file("pieter", draft.id, DIAGRAM, broken)
    assert not result.ok
    [problem] = [p for p in result.problems if "bestaat_niet" in p.message]
    assert problem.element_id == "Task_Bewerken"
    with pytest.raises(DeployRefused, match="bestaat_niet"):
        service.deploy_draft("pieter", draft.id, "poging")
    assert service.tasks(case_id=case.id)[0].name == "Bewerken"  # nothing of the concept reached a case

    fixed = xml.replace('name="Bewerken"', 'name="Herstel bewerken"')
    result = service.save_draft_file("pieter", draft.id, DIAGRAM, fixed, revision=result.revision)
    assert result.ok and [(p.process_id, p.status) for p in result.plan] == [("bench_herstelronde", "gewijzigd")]
    with pytest.raises(DeployRefused, match="reden"):
        service.deploy_draft("pieter", draft.id, "  ")
    [item] = service.deploy_draft("pieter", draft.id, "naam duidelijker")
    assert (item.version, item.status) == (2, "gewijzigd")
    [v1, v2] = service.process_versions()
    assert (v2.deployed_by, v2.reden) == ("pieter", "naam duidelijker")
    assert service.drafts("pieter") == []
    assert service.tasks(case_id=case.id)[0].name == "Bewerken"  # the running case stays on v1


def test_an_unchanged_save_is_no_change(service):
    draft = service.create_draft("pieter", "niets")
    xml = service.draft_tree("pieter", draft.id).files[DIAGRAM]
    result = service.save_draft_file("pieter", draft.id, DIAGRAM, xml.replace("\n", "\n  "))
    assert result.ok and [p.status for p in result.plan] == ["geen_wijziging"]
    assert service.deploy_draft("pieter", draft.id, "niets")[0].status == "geen_wijziging"
    assert len(service.process_versions()) == 1


def test_concepts_are_private_and_only_for_process_owners(service):
    draft = service.create_draft("pieter", "van pieter")
    with pytest.raises(NotFound):
        service.draft("petra", draft.id)
    with pytest.raises(PermissionDenied):
        service.create_draft("anna", "mag niet")
    second = service.create_draft("pieter", "tweede tegelijk")
    assert {d.titel for d in service.drafts("pieter")} == {"van pieter", "tweede tegelijk"}
    with pytest.raises(Exception):
        service.save_draft_file("pieter", second.id, "../app/config.py", "x")


def test_a_stale_revision_or_someone_elses_deploy_is_not_overwritten(service):
    mine = service.create_draft("pieter", "mijn")
    xml = service.draft_tree("pieter", mine.id).files[DIAGRAM]
    first = service.save_draft_file("pieter", mine.id, DIAGRAM, xml.replace('name="Bewerken"', 'name="A"'))
    service.save_draft_file("pieter", mine.id, DIAGRAM, xml.replace('name="Bewerken"', 'name="B"'),
                            revision=first.revision)
    with pytest.raises(Conflict):  # a second tab still on the first revision
        service.save_draft_file("pieter", mine.id, DIAGRAM, xml.replace('name="Bewerken"', 'name="C"'),
                                revision=first.revision)
    theirs = service.create_draft("petra", "van petra")
    service.save_draft_file("petra", theirs.id, DIAGRAM, xml.replace('name="Bewerken"', 'name="Petra"'))
    service.deploy_draft("petra", theirs.id, "petra eerst")
    assert not service.check_draft("pieter", mine.id).ok
    with pytest.raises(DeployRefused, match="opnieuw in gebruik genomen door een ander"):
        service.deploy_draft("pieter", mine.id, "over petra heen")
    assert service.process_versions()[-1].reden == "petra eerst"


def test_a_concepts_scenario_runs_and_its_preview_lists_changed_cases(tmp_path):
    from tests.conftest import FORMS, PROCESSES

    service = Service(f"sqlite:///{tmp_path}/s.sqlite", PROCESSES, FORMS)
    service.init_db()
    service.upsert_user("pieter", "Pieter", ["procesbeheerder"])
    service.deploy(actor="pieter", reden="eerst")
    draft = service.create_draft("pieter", "p1 anders")
    found, problems = service.draft_scenarios("pieter", draft.id)
    assert not problems and any(s.process_id == "p1_zorg" for s in found)
    name = next(s.name for s in found if s.process_id == "p1_zorg")
    result = service.run_draft_scenario("pieter", draft.id, name)
    assert result.ok and result.path and result.end_state.startswith("Eind_")
    with pytest.raises(NotFound):
        service.run_draft_scenario("pieter", draft.id, "bestaat niet")
    assert service.preview_draft("pieter", draft.id) == []  # nothing changes: nothing to preview


def test_the_plan_names_the_called_diagram_that_changed(tmp_path):
    from tests.conftest import FORMS, PROCESSES

    service = Service(f"sqlite:///{tmp_path}/p.sqlite", PROCESSES, FORMS)
    service.init_db()
    service.upsert_user("pieter", "Pieter", ["procesbeheerder"])
    service.deploy(actor="pieter", reden="eerst")
    draft = service.create_draft("pieter", "p1 anders")
    path = "processes/p1_zorg.bpmn"
    xml = service.draft_tree("pieter", draft.id).files[path]
    result = service.save_draft_file("pieter", draft.id, path, xml.replace(
        'name="Directe toegang tot eigen organisatie faciliteren"', 'name="Directe toegang regelen"'))
    plan = {item.process_id: item for item in result.plan if item.status != "geen_wijziging"}
    assert plan["p1_zorg"].changes["diagrammen"] == ["p1_zorg"]
    assert plan["p0_consultatie_advies"].changes["diagrammen"] == ["p1_zorg"]  # P0 calls P1
    assert plan["p0_consultatie_advies"].changes["formulieren"] == [] and not plan["p1_zorg"].changes["parameters"]
