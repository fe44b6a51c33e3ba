"""The `vht` command line as a user types it: listings with stable JSON, one-line errors."""
import json

import pytest
from click.testing import CliRunner

from app.cli import main

EXPECTED_TASK_FIELDS = {"id", "case_id", "process_id", "task", "name", "role", "assignee", "due", "state"}


@pytest.fixture
def vht(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite", "VHT_INSTANCE_DIR": str(tmp_path)}
    runner = CliRunner()

    def run(*args, ok=True):
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run("init-db")
    return run


def test_deploy_needs_a_reason_and_keeps_versions(vht):
    refused = vht("deploy", ok=False)
    assert refused.exit_code == 1 and "geef een reden op" in refused.output
    first = vht("deploy", "--reden", "eerste inrichting").output
    assert "p3_interventiegesprek" in first and "nieuwe procedure" in first
    second = vht("deploy").output  # nothing changed: no reason needed, nothing new
    assert "nieuwe" not in second and "geen wijziging" in second
    versions = json.loads(vht("versions", "--json").output)
    assert {v["version"] for v in versions} == {1}


def test_demo_start_tasks_complete_history_replay(vht):
    vht("deploy", "--reden", "test")
    assert "democasussen" not in vht("demo").output
    assert "geen demogegevens geladen" in vht("demo").output
    tasks = json.loads(vht("tasks", "--json").output)
    assert tasks and all(EXPECTED_TASK_FIELDS <= set(t) for t in tasks)
    cab = next(t for t in tasks if t["task"] == "Task_CabHouden")
    assert cab["role"] == "veiligheidsteam" and cab["due"] is None and cab["state"] == "open"

    data = json.dumps({"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten",
                       "afspraken": [{"wie": "Bram", "wat": "Bellen"}], "interventies": ["zorg"]})
    out = vht("complete", str(cab["id"]), "--data", data, "--as", "vera").output
    assert "afgerond" in out and "Advies en afspraken verwerken" in out
    mine = json.loads(vht("tasks", "--json", "--case", str(cab["case_id"])).output)
    assert [t["task"] for t in mine] == ["Task_AdviesVerwerken"]
    assert mine[0]["assignee"] == "bram" and len(mine[0]["due"]) == 10

    history = json.loads(vht("history", str(cab["case_id"]), "--json").output)
    assert [e["type"] for e in history] == ["instance_started", "task_completed"]
    assert history[1]["actor"] == "vera" and history[1]["data"]["data"]["interventies"] == ["zorg"]
    assert "identiek" in vht("replay", str(cab["case_id"])).output


def test_errors_are_one_clear_line_and_non_zero(vht):
    vht("deploy", "--reden", "test")
    vht("demo")
    cab = next(t for t in json.loads(vht("tasks", "--json").output) if t["task"] == "Task_CabHouden")

    bad_json = vht("complete", str(cab["id"]), "--data", "{niet json", "--as", "vera", ok=False)
    assert bad_json.exit_code != 0 and "geen geldige JSON" in bad_json.output

    invalid = vht("complete", str(cab["id"]), "--data", '{"advies_type": "x", "geheim": 1}', "--as", "vera", ok=False)
    assert invalid.exit_code == 1
    assert invalid.output.startswith("fout: Het formulier")
    assert "geheim: Onbekend veld" in invalid.output and "advies_tekst: Dit veld is verplicht." in invalid.output
    assert len(invalid.output.strip().splitlines()) == 1

    wrong_role = vht("complete", str(cab["id"]), "--data", "{}", "--as", "anna", ok=False)
    assert wrong_role.exit_code == 1 and "rol 'veiligheidsteam'" in wrong_role.output

    missing = vht("complete", "9999", "--data", "{}", "--as", "vera", ok=False)
    assert missing.exit_code == 1 and "Taak 9999 bestaat niet" in missing.output

    unknown = vht("start", "p9_bestaat_niet", "--data", "{}", "--as", "anna", ok=False)
    assert unknown.exit_code == 1 and "niet in gebruik" in unknown.output

    called_only = vht("start", "p3_interventiegesprek", "--data", "{}", "--as", "anna", ok=False)
    assert "start alleen vanuit een andere procedure" in called_only.output

    bad_now = vht("run-timers", "--now", "gisteren", ok=False)
    assert bad_now.exit_code != 0 and "geen ISO-tijdstip" in bad_now.output


def test_run_timers_moves_time(vht):
    vht("deploy", "--reden", "test")
    vht("demo")
    case = json.loads(vht("cases", "--json").output)[0]
    assert case["instances"][0]["next_timer_at"] is not None
    dry = vht("run-timers", "--now", "2030-01-01T09:00", "--dry-run").output
    assert f"casus {case['id']} instantie" in dry and "niets gewijzigd" in dry
    assert "timer_fired" not in [e["type"] for e in json.loads(vht("history", str(case["id"]), "--json").output)]
    out = vht("run-timers", "--now", "2030-01-01T09:00").output
    assert "instantie(s) bijgewerkt" in out
    history = json.loads(vht("history", str(case["id"]), "--json").output)
    assert "timer_fired" in [e["type"] for e in history]
    assert "identiek" in vht("replay", str(case["id"])).output


def test_make_runs_deploy_only_sets_up_and_never_overwrites_what_is_in_use(vht, tmp_path):
    first = vht("deploy", "--eerste-keer", "--reden", "make run").output
    assert "p1_zorg" in first and "nieuwe procedure" in first
    # A process owner deployed a change in the browser meanwhile; the files on disk are now older.
    from app.service import Service
    from tests.conftest import FORMS, PROCESSES

    service = Service(f"sqlite:///{tmp_path}/cli.sqlite", PROCESSES, FORMS)
    service.upsert_user("pieter", "Pieter", ["procesbeheerder"])
    draft = service.create_draft("pieter", "anders")
    path = "processes/p1_zorg.bpmn"
    xml = service.draft_tree("pieter", draft.id).files[path]
    service.save_draft_file("pieter", draft.id, path, xml.replace(
        'name="Directe toegang tot eigen organisatie faciliteren"', 'name="Directe toegang regelen"'))
    service.deploy_draft("pieter", draft.id, "in de browser")
    again = vht("deploy", "--eerste-keer", "--reden", "make run").output
    assert "niets gedeployd" in again and "p1_zorg: de bestanden op schijf wijken af" in again
    assert [v.reden for v in service.process_versions() if v.process_id == "p1_zorg"] == ["make run", "in de browser"]
    service.engine.dispose()
