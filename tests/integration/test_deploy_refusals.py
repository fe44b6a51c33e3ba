"""The three changes a new process owner tried that got cases stuck for good, refused at deploy
through the same path the CLI and the browser take: the element named, the fix said, in Dutch,
nothing deployed."""
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.service import DeployRefused, Service

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folders(tmp_path):
    shutil.copytree(ROOT / "processes", tmp_path / "processes")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    return tmp_path


def _edit(folders: Path, name: str, old: str, new: str) -> None:
    path = folders / "processes" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _refusal(folders: Path) -> str:
    service = Service(f"sqlite:///{folders}/r.sqlite", folders / "processes", folders / "forms")
    service.init_db()
    with pytest.raises(DeployRefused) as refused:
        service.deploy(actor="pieter", reden="poging")
    assert service.process_versions() == []
    return str(refused.value)


def test_a_role_typo_is_refused_with_the_role_meant(folders):
    _edit(folders, "p1_zorg.bpmn", 'camunda:candidateGroups="netwerkpartner">', 'camunda:candidateGroups="netwerkpartners">')
    message = _refusal(folders)
    assert "Task_DirecteToegangFaciliteren" in message
    assert "'netwerkpartners' is geen rol" in message and "'netwerkpartner'" in message


def test_a_condition_on_a_name_no_form_produces_is_refused(folders):
    _edit(folders, "p1_zorg.bpmn", "zorgsoort == 'tweedelijns'", "zorg_soort == 'tweedelijns'")
    message = _refusal(folders)
    assert "Flow_VerwijzingNodig_VerwijzingRegelen" in message and "'zorg_soort'" in message
    assert "vastlopen" in message


def test_a_gateway_whose_conditions_can_all_be_false_is_refused(folders):
    # The "nee" flow loses its default role and gets a condition of its own.
    _edit(folders, "p1_zorg.bpmn", 'default="Flow_VerwijzingNodig_ZorgInzetSamen"', "")
    _edit(folders, "p1_zorg.bpmn",
          'name="nee (eerstelijns)" sourceRef="Gateway_VerwijzingNodig" targetRef="Gateway_ZorgInzetSamen" />',
          'name="nee (eerstelijns)" sourceRef="Gateway_VerwijzingNodig" targetRef="Gateway_ZorgInzetSamen">'
          '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">zorgsoort == \'eerstelijns\''
          '</bpmn:conditionExpression></bpmn:sequenceFlow>')
    # Still complete for eerstelijns/tweedelijns; then the form gets a third answer.
    form = folders / "forms" / "p1_contact_zorg.json"
    definition = json.loads(form.read_text())
    zorgsoort = next(f for f in definition["fields"] if f["name"] == "zorgsoort")
    zorgsoort["options"].append({"value": "anders", "label": "Anders"})
    form.write_text(json.dumps(definition))
    message = _refusal(folders)
    assert "Gateway_VerwijzingNodig" in message and "standaardpad" in message and "'anders'" in message


def test_the_cli_refuses_in_one_clear_message_and_exit_code(folders):
    _edit(folders, "p1_zorg.bpmn", 'camunda:candidateGroups="netwerkpartner">', 'camunda:candidateGroups="netwerkpartners">')
    env = {"DATABASE_URL": f"sqlite:///{folders}/cli.sqlite", "VHT_INSTANCE_DIR": str(folders),
           "VHT_FORMS_DIR": str(folders / "forms")}
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"], env=env).exit_code == 0
    result = runner.invoke(main, ["deploy", str(folders / "processes"), "--reden", "poging"], env=env)
    assert result.exit_code == 1
    assert "'netwerkpartners' is geen rol" in result.output and "Task_DirecteToegangFaciliteren" in result.output
    assert "geen wijziging" not in result.output
