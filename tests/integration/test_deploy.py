"""Deploying diagrams: versions only on change, and refusal of what must never run."""
import shutil
from pathlib import Path

import pytest

from app.service import DeployRefused, Service

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def fresh(tmp_path, processes: Path, forms: Path = BENCH / "forms") -> Service:
    service = Service(f"sqlite:///{tmp_path}/d.sqlite", processes, forms)
    service.init_db()
    return service


def bench_copy(tmp_path) -> Path:
    folder = tmp_path / "processes"
    shutil.copytree(BENCH / "processes", folder)
    return folder


def test_new_version_only_when_content_changes(tmp_path):
    folder = bench_copy(tmp_path)
    service = fresh(tmp_path, folder)
    assert [(d.process_id, d.version, d.new) for d in service.deploy(reden="testopzet")] == [("bench_herstelronde", 1, True)]
    assert [(d.version, d.new) for d in service.deploy(reden="testopzet")] == [(1, False)]
    path = folder / "bench_herstelronde.bpmn"
    path.write_text(path.read_text().replace('name="Bewerken"', 'name="Opnieuw bewerken"'))
    assert [(d.version, d.new) for d in service.deploy(reden="testopzet")] == [(2, True)]
    assert [v.version for v in service.process_versions()] == [1, 2]


def test_running_case_stays_on_its_version(tmp_path):
    folder = bench_copy(tmp_path)
    service = fresh(tmp_path, folder)
    service.deploy(reden="testopzet")
    service.upsert_user("anna", "Anna", ["inbrenger"])
    case = service.start_case("bench_herstelronde", {}, "anna")
    path = folder / "bench_herstelronde.bpmn"
    path.write_text(path.read_text().replace('name="Bewerken"', 'name="Nieuwe naam"'))
    service.deploy(reden="testopzet")
    task = service.tasks(case_id=case.id)[0]
    service.complete_task(task.id, {"klaar": False}, "anna")
    assert service.tasks(case_id=case.id)[0].name == "Bewerken"
    newer = service.start_case("bench_herstelronde", {}, "anna")
    assert service.tasks(case_id=newer.id)[0].name == "Nieuwe naam"
    assert service.replay_case(case.id).identical


def _diagram(tmp_path, *, condition="klaar", extra_task="", start_id="StartEvent_1") -> Path:
    folder = bench_copy(tmp_path)
    path = folder / "bench_herstelronde.bpmn"
    xml = path.read_text()
    xml = xml.replace(">klaar</bpmn:conditionExpression>", f">{condition}</bpmn:conditionExpression>")
    xml = xml.replace('"StartEvent_1"', f'"{start_id}"')
    if extra_task:
        xml = xml.replace("</bpmn:process>", extra_task + "</bpmn:process>")
    path.write_text(xml)
    return folder


MARKER = Path("/tmp/vht-evil-marker")


@pytest.mark.parametrize(
    "condition, fragment",
    [
        ("__import__('os').system('touch /tmp/vht-evil-marker')", "niet toegestaan"),
        ("().__class__.__base__.__subclasses__()", "attributen"),
        ("[x for x in range(10**9)]", "comprehension"),
        ("'a' * 10**9", "**"),
        ("open('/tmp/vht-evil-marker', 'w')", "open"),
    ],
    ids=["import", "subclasses", "endless", "memory", "open"],
)
def test_malicious_condition_is_refused_at_deploy(tmp_path, condition, fragment):
    MARKER.unlink(missing_ok=True)
    service = fresh(tmp_path, _diagram(tmp_path, condition=condition.replace("'", "&apos;")))
    with pytest.raises(DeployRefused) as refused:
        service.deploy(reden="testopzet")
    message = "\n".join(refused.value.problems)
    assert "Gateway" in message or "Flow_Ja" in message, message
    assert fragment.lower() in message.lower(), message
    assert service.process_versions() == []
    assert not MARKER.exists()


def test_script_task_with_endless_loop_is_refused(tmp_path):
    evil = ('<bpmn:scriptTask id="Task_Evil" name="Kwaad" scriptFormat="python">'
            "<bpmn:script>while True: pass</bpmn:script></bpmn:scriptTask>")
    service = fresh(tmp_path, _diagram(tmp_path, extra_task=evil))
    with pytest.raises(DeployRefused) as refused:
        service.deploy(reden="testopzet")
    assert "Task_Evil" in str(refused.value) and "scripttaken zijn niet toegestaan" in str(refused.value)


def test_reserved_id_is_refused_with_a_clear_message(tmp_path):
    service = fresh(tmp_path, _diagram(tmp_path, start_id="Start"))
    with pytest.raises(DeployRefused) as refused:
        service.deploy(reden="testopzet")
    assert "'Start' is gereserveerd" in str(refused.value)


def test_missing_form_is_refused(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(BENCH / "forms" / "bench_start.json", forms)
    service = fresh(tmp_path, bench_copy(tmp_path), forms)
    with pytest.raises(DeployRefused) as refused:
        service.deploy(reden="testopzet")
    assert "formulier 'bench_bewerken' bestaat niet" in str(refused.value)
