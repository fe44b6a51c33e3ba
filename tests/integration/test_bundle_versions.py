"""Deploy as a bundle: versions mean content, cases keep their own forms and settings, no silent
rollback, a reason for every version, retiring and choosing the default."""
import json
import shutil
from pathlib import Path

import pytest

from app.service import DeployRefused, InvalidInput, Service
from persistence.models import Case

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture
def setup(tmp_path):
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(BENCH / "processes", processes)
    shutil.copytree(BENCH / "forms", forms)
    service = Service(f"sqlite:///{tmp_path}/b.sqlite", processes, forms)
    service.init_db()
    service.upsert_user("anna", "Anna", ["inbrenger"])
    service.upsert_user("pieter", "Pieter", ["procesbeheerder"])
    return service, processes, forms


def _diagram(processes: Path) -> Path:
    return processes / "bench_herstelronde.bpmn"


def _versions(service):
    return [(v.version, v.reden, v.teruggezet_van) for v in service.process_versions()]


def test_a_version_records_who_when_and_why(setup):
    service, _, _ = setup
    with pytest.raises(DeployRefused, match="geef een reden op"):
        service.deploy(actor="pieter")
    assert service.process_versions() == []
    [item] = service.deploy(actor="pieter", reden="eerste inrichting")
    assert (item.version, item.status) == (1, "nieuw")
    [version] = service.process_versions()
    assert (version.deployed_by, version.reden) == ("pieter", "eerste inrichting")
    assert version.identity_sha256 and version.forms.keys() == {"bench_start", "bench_bewerken"}


def test_same_content_in_other_bytes_is_no_new_version(setup):
    service, processes, _ = setup
    service.deploy(reden="eerst")
    path = _diagram(processes)
    xml = path.read_text()
    # What a modeler does on an unchanged save: other indentation, exporter stamp, layout moved.
    changed = (xml.replace("\n    ", "\n      ").replace('exporter="', 'exporter="x').replace(' x="', ' x="1'))
    assert changed != xml
    path.write_text(changed)
    forms = processes.parent / "forms" / "bench_bewerken.json"
    forms.write_text(json.dumps(json.loads(forms.read_text()), indent=4))
    [item] = service.deploy()  # no reason needed: nothing is new
    assert (item.version, item.status) == (1, "geen_wijziging")
    assert len(service.process_versions()) == 1


def test_a_case_keeps_the_form_of_its_own_version(setup):
    service, _, forms = setup
    service.deploy(reden="eerst")
    old_case = service.start_case("bench_herstelronde", {}, "anna")
    path = forms / "bench_bewerken.json"
    definition = json.loads(path.read_text())
    definition["fields"].append({"name": "toelichting", "type": "text", "label": "Toelichting", "required": True})
    path.write_text(json.dumps(definition))
    [item] = service.deploy(reden="toelichting verplicht")
    assert (item.version, item.status) == (2, "gewijzigd")

    new_case = service.start_case("bench_herstelronde", {}, "anna")
    new_task = service.tasks(case_id=new_case.id)[0]
    with pytest.raises(InvalidInput) as refused:
        service.complete_task(new_task.id, {"klaar": True}, "anna")
    assert "toelichting" in refused.value.errors
    assert [f.name for f in service.task_form(new_task).fields][-1] == "toelichting"

    old_task = service.tasks(case_id=old_case.id)[0]
    assert "toelichting" not in [f.name for f in service.task_form(old_task).fields]
    service.complete_task(old_task.id, {"klaar": True}, "anna")  # the old form: no toelichting asked
    assert service.case(old_case.id).status == "afgesloten"
    service.complete_task(new_task.id, {"klaar": True, "toelichting": "ja"}, "anna")


def test_a_case_keeps_the_settings_of_its_own_version(setup):
    service, processes, _ = setup
    (processes / "parameters.json").write_text(json.dumps({"streeftermijn_gesprek_dagen": 14}))
    service.deploy(reden="eerst")
    old_case = service.start_case("bench_herstelronde", {}, "anna")
    (processes / "parameters.json").write_text(json.dumps({"streeftermijn_gesprek_dagen": 10}))
    [item] = service.deploy(reden="streeftermijn korter")
    assert item.version == 2
    new_case = service.start_case("bench_herstelronde", {}, "anna")
    with service.ctx.reading() as session:
        settings = {c.id: session.get(Case, c.id).instances[0].state for c in (old_case, new_case)}
    assert '"streeftermijn_gesprek_dagen": 14' in settings[old_case.id]
    assert '"streeftermijn_gesprek_dagen": 10' in settings[new_case.id]


def test_older_content_is_refused_unless_restored_explicitly(setup):
    service, processes, _ = setup
    path = _diagram(processes)
    original = path.read_text()
    service.deploy(reden="eerst")
    path.write_text(original.replace('name="Bewerken"', 'name="Nieuwe naam"'))
    service.deploy(reden="naam")
    path.write_text(original)  # an older folder deployed again
    with pytest.raises(DeployRefused) as refused:
        service.deploy(reden="oude map")
    assert "gelijk aan versie 1" in str(refused.value) and "terugzetten" in str(refused.value)
    assert [v for v, _, _ in _versions(service)] == [1, 2]
    with pytest.raises(DeployRefused, match="geef een reden op"):
        service.deploy(terugzetten=True)
    [item] = service.deploy(reden="naam bleek onduidelijk", terugzetten=True)
    assert (item.version, item.status, item.teruggezet_van) == (3, "teruggezet", 1)
    assert _versions(service)[-1] == (3, "naam bleek onduidelijk", 1)


def test_retired_version_takes_no_new_cases_but_running_ones_go_on(setup):
    service, processes, _ = setup
    path = _diagram(processes)
    service.deploy(reden="eerst")
    path.write_text(path.read_text().replace('name="Bewerken"', 'name="Versie twee"'))
    service.deploy(reden="twee")
    running = service.start_case("bench_herstelronde", {}, "anna")
    assert service.tasks(case_id=running.id)[0].name == "Versie twee"

    service.retire_version("pieter", "bench_herstelronde", 2)
    on_one = service.start_case("bench_herstelronde", {}, "anna")
    assert service.tasks(case_id=on_one.id)[0].name == "Bewerken"  # back to v1 for new starts
    service.complete_task(service.tasks(case_id=running.id)[0].id, {"klaar": True}, "anna")
    assert service.case(running.id).status == "afgesloten"

    service.retire_version("pieter", "bench_herstelronde", 1)
    assert service.startable_processes("anna") == []
    with pytest.raises(Exception, match="niet in gebruik"):
        service.start_case("bench_herstelronde", {}, "anna")
    service.reinstate_version("pieter", "bench_herstelronde", 2)
    service.set_default_version("pieter", "bench_herstelronde", 2)
    with pytest.raises(InvalidInput, match="ingetrokken"):
        service.set_default_version("pieter", "bench_herstelronde", 1)
    rows = service.version_rows("pieter", "bench_herstelronde")
    assert [(r.version.version, r.is_default, r.open_cases, r.closed_cases) for r in rows] == [
        (2, True, 0, 1), (1, False, 1, 0)]


def test_only_process_owners_manage_versions(setup):
    service, _, _ = setup
    service.deploy(reden="eerst")
    with pytest.raises(Exception, match="procesbeheerder"):
        service.retire_version("anna", "bench_herstelronde", 1)


def test_the_regional_choices_page_shows_the_deployed_settings(setup):
    service, processes, _ = setup
    (processes / "parameters.json").write_text(json.dumps({"streeftermijn_gesprek_dagen": 14}))
    service.deploy(reden="eerst")
    (processes / "parameters.json").write_text(json.dumps({"streeftermijn_gesprek_dagen": 10}))
    assert {c.naam: c.waarde for c in service.regional_choices()} == {"streeftermijn_gesprek_dagen": 14}
    service.deploy(reden="korter")  # on disk alone it is not in use; deployed, it is
    assert {c.naam: c.waarde for c in service.regional_choices()} == {"streeftermijn_gesprek_dagen": 10}


def test_a_called_process_counts_the_cases_it_runs_inside(tmp_path):
    from tests.conftest import FORMS, PROCESSES
    from tests.procedures.driver import casus

    service = Service(f"sqlite:///{tmp_path}/c.sqlite", PROCESSES, FORMS)
    service.init_db()
    service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
    service.upsert_user("pieter", "Pieter", ["procesbeheerder"])
    service.deploy(reden="eerst")
    service.start_case("p0_consultatie_advies", casus(), "anna")
    [row] = service.version_rows("pieter", "p3_interventiegesprek")
    assert (row.open_cases, row.closed_cases) == (0, 0)  # P3 has no instance of its own here
    assert row.inside == {"p0_consultatie_advies": (1, 0)}  # it runs inside the P0 case
