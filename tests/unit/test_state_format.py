"""Stored states and specs record their format, older ones load, and a SpiffWorkflow bump is caught."""
import json
import re
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest

from app.engine import state_format
from app.engine.serializer import serializer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("state_v*"))


def _fixture(folder: Path) -> dict:
    return json.loads((folder / "db.json").read_text(encoding="utf-8"))


def _v1():
    rows = _fixture(ROOT / "tests" / "fixtures" / "state_v1")
    return rows["process_version"][0]["spec_json"], [row["state"] for row in rows["process_instance"]]


def test_there_are_fixtures_of_every_format_up_to_the_current_one():
    formats = {json.loads((folder / "MANIFEST.json").read_text())["our_format"] for folder in FIXTURES}
    assert formats == set(range(1, state_format.OUR_FORMAT + 1)), (
        f"make tests/fixtures/state_v{state_format.OUR_FORMAT} with tests/fixtures/make_state_fixture.py")


def test_a_saved_state_and_spec_say_their_format():
    spec_json, states = _v1()
    ser = serializer()
    spec, subs = ser.load_specs(spec_json)
    dumped = ser.dump(ser.load(states[0], spec, subs))
    assert state_format.state_text_versions(dumped) == (state_format.OUR_FORMAT, state_format.SPIFF_VERSION)
    assert state_format.spec_text_versions(ser.dump_specs(spec, subs)) == (
        state_format.OUR_FORMAT, state_format.SPIFF_VERSION)
    assert state_format.column_value() == f"v{state_format.OUR_FORMAT}/{state_format.SPIFF_VERSION}"
    assert len(state_format.column_value()) <= 10  # process_instance.serializer_version is String(10)


def test_format_1_is_recognised_and_brought_up_to_date():
    spec_json, states = _v1()
    assert state_format.spec_text_versions(spec_json) == (1, "1.5")
    assert {state_format.state_text_versions(state) for state in states} == {(1, "1.5")}
    doc = json.loads(spec_json)
    assert state_format.upgrade_spec_doc(doc) and state_format.spec_versions(doc) == (2, state_format.SPIFF_VERSION)
    assert not state_format.upgrade_spec_doc(doc)  # already current: untouched


@pytest.mark.parametrize("older", ["1.3", "1.4"])
def test_older_spiffworkflow_states_go_through_its_steps_per_workflow(older):
    # SpiffWorkflow's own migrate() fails on our spec-by-name states (and on any sub-process);
    # ours runs its step functions per workflow. Fixture case 1 has a running sub-process.
    spec_json, states = _v1()
    ser = serializer()
    spec, subs = ser.load_specs(spec_json)
    dct = json.loads(states[0])
    assert dct["subprocesses"]
    dct["serializer_version"] = older
    wf = ser.load(json.dumps(dct), spec, subs)

    def shape(workflow):
        return sorted((t.task_spec.name, t.state) for w in (workflow, *workflow.subprocesses.values())
                      for t in w.get_tasks())
    assert shape(wf) == shape(ser.load(states[0], spec, subs)) and wf.subprocesses
    assert state_format.state_text_versions(ser.dump(wf)) == (2, state_format.SPIFF_VERSION)


@pytest.mark.parametrize("marker, message", [
    ({"serializer_version": "1.2"}, "geen migratie"),
    ({"serializer_version": "9.0"}, "nieuwer dan het geïnstalleerde"),
    ({"vht_format": 9}, "nieuwere versie van dit product"),
])
def test_a_state_this_engine_cannot_bring_up_to_date_is_refused_in_dutch(marker, message):
    spec_json, states = _v1()
    ser = serializer()
    spec, subs = ser.load_specs(spec_json)
    dct = {**json.loads(states[0]), **marker}
    with pytest.raises(state_format.StateFormatError, match=message):
        ser.load(json.dumps(dct), spec, subs)


def test_every_installed_spiffworkflow_migration_is_in_our_chain():
    assert state_format.missing_steps() == [], (
        "SpiffWorkflow has a migration step that app/engine/state_format.SPIFF_STEPS does not apply")
    for start in state_format.SPIFF_STEPS:
        assert state_format._spiff_steps(start, "test")  # reaches the installed VERSION without a gap


def _locked_spiffworkflow() -> str:
    match = re.search(r"^spiffworkflow==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    assert match, "spiffworkflow is not pinned in requirements.lock"
    return match.group(1)


@pytest.mark.parametrize("folder", FIXTURES, ids=[folder.name for folder in FIXTURES])
def test_fixtures_load_with_the_installed_spiffworkflow_and_the_manifest_says_so(folder):
    """The CI guard for an engine upgrade: bumping spiffworkflow fails here until the stored
    fixtures load with it AND MANIFEST.json names the new version."""
    rows = _fixture(folder)
    ser = serializer()
    for version in rows["process_version"]:
        spec, subs = ser.load_specs(version["spec_json"])
        for instance in rows["process_instance"]:
            if instance["process_version_id"] == version["id"]:
                wf = ser.load(instance["state"], spec, subs)
                assert wf.get_tasks(), f"{folder.name}: instance {instance['id']} loaded without tasks"
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    wanted = manifest["verified_with_spiffworkflow"]
    for what, found in (("installed", installed_version("spiffworkflow")), ("requirements.lock", _locked_spiffworkflow())):
        assert found == wanted, (
            f"spiffworkflow {found} ({what}) but {folder.name}/MANIFEST.json was verified with {wanted}. "
            f"The fixtures load with {found}; now run `vht upgrade --dry-run` on a copy of production, then "
            f"update verified_with_spiffworkflow in MANIFEST.json. / Draai `vht upgrade --dry-run` op een kopie "
            f"van productie en werk daarna MANIFEST.json bij (README: SpiffWorkflow upgraden).")
