"""Scenario tests beside the diagrams (processes/scenarios/*.json): every shipped scenario passes,
and a scenario that does not match the diagram fails with a Dutch message naming the step."""
from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.config import ROOT
from app.formdefs import FormRegistry
from app.service.context import load_parameters
from app.service.scenarios import (ScenarioError, load_scenarios, parse_scenario, run_scenario,
                                   specs_from_folder)

PROCESSES = ROOT / "processes"
SCENARIOS = load_scenarios(PROCESSES / "scenarios")
BY_NAME = {s.name: s for s in SCENARIOS}


@pytest.fixture(scope="module")
def bundle():
    forms = FormRegistry(ROOT / "forms")
    return specs_from_folder(PROCESSES, forms), forms, load_parameters(PROCESSES)


def run(bundle, scenario):
    specs, forms, parameters = bundle
    return run_scenario(scenario, specs, forms, parameters)


def raw(name: str) -> dict:
    """The JSON of a shipped scenario, to change one thing in it."""
    for path in sorted((PROCESSES / "scenarios").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data if isinstance(data, list) else [data]:
            if item["naam"] == name:
                return copy.deepcopy(item)
    raise KeyError(name)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_shipped_scenario_passes(bundle, name):
    result = run(bundle, BY_NAME[name])
    assert result.ok, "\n".join(result.problems)
    assert result.path[0].startswith("StartEvent_")
    expected = BY_NAME[name].expected
    assert result.end_state == expected.eind


def test_every_procedure_has_its_main_ends_covered():
    """Happy path and main alternative: at least two scenarios per procedure, and these ends reached."""
    per_process: dict[str, set] = {}
    for scenario in SCENARIOS:
        per_process.setdefault(scenario.process_id, set()).add(scenario.expected.eind)
    for process_id in ("p0_consultatie_advies", "p1_zorg", "p2_netwerkberaad", "p3_interventiegesprek",
                       "p4_interventiegesprek_rvdk", "p5_warme_overdracht", "p6_achttien_min_plus", "p7_vht_vervolg",
                       "sp_gesprek_organiseren", "sp_vk_voorbereiden", "sp_vk_verwerken", "sp_vk_na_gesprek"):
        assert len([s for s in SCENARIOS if s.process_id == process_id]) >= 2, process_id
    assert {"Eind_interventiegesprek_afgerond_vrijwillig", "Eind_terug_naar_vht_gesprek_niet_doorgegaan"} <= \
        per_process["p3_interventiegesprek"]
    assert {"Eind_rvdk_geen_onderzoek", "Eind_rvdk_sluit_niet_aan", "Eind_terug_naar_vht_rvdk_sluit_niet_aan"} <= \
        per_process["p4_interventiegesprek_rvdk"]
    assert {"Eind_maatregel_afgesloten_overdracht_toegang", "Eind_terug_naar_vht_toetsing_negatief"} <= \
        per_process["p5_warme_overdracht"]
    assert {"Eind_advies_uitgevoerd", "Eind_interventies_niet_afgerond"} <= per_process["p0_consultatie_advies"]


def test_all_scenarios_run_fast_enough_for_deploy(bundle):
    started = time.perf_counter()
    results = [run(bundle, s) for s in SCENARIOS]
    elapsed = time.perf_counter() - started
    assert all(r.ok for r in results)
    assert elapsed < 5, f"{len(results)} scenario's in {elapsed:.2f} s"


def test_path_holds_tasks_gateways_and_events_in_order(bundle):
    result = run(bundle, BY_NAME["P1 zorg van een VHT-organisatie: directe toegang"])
    assert result.path == ["StartEvent_ZorgGekozen", "Task_ContactZorgLeggen", "Gateway_ZorgVhtOrganisatie",
                           "Task_DirecteToegangFaciliteren", "Gateway_ZorgSamen", "Eind_zorg_ingezet"]
    assert result.end_state == "Eind_zorg_ingezet"


def test_timers_fire_on_their_moment(bundle):
    """Waiting past the RvdK's 5 working days raises the reminder before the RvdK answers."""
    result = run(bundle, BY_NAME["P4 RvdK sluit niet aan na herinnering, inbrenger gaat zelfstandig verder"])
    assert result.ok, result.problems
    assert result.path.index("Eind_herinnering_rvdk") < result.path.index("Task_GrondToetsen")
    on_time = run(bundle, BY_NAME["P4 RvdK sluit niet aan: terug naar het VHT"])
    assert "Eind_herinnering_rvdk" not in on_time.path


# --- failures: each names the step, in Dutch --------------------------------------------------

def test_wrong_expected_path_names_the_missing_element(bundle):
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    data["verwacht"]["pad_bevat"] = ["Task_ContactZorgLeggen", "Task_VerwijzingRegelen"]
    result = run(bundle, parse_scenario(data, "test.json"))
    assert not result.ok
    assert result.problems == ["verwacht pad: Task_VerwijzingRegelen komt niet voor in het pad"]

    data = raw("P1 zorg van een VHT-organisatie: directe toegang")
    data["verwacht"]["pad"][3] = "Task_VerwijzingRegelen"
    result = run(bundle, parse_scenario(data, "test.json"))
    assert result.problems == ["verwacht pad: element 4 is Task_DirecteToegangFaciliteren, verwacht Task_VerwijzingRegelen"]

    data = raw("P1 eerstelijnszorg zonder verwijzing")
    data["verwacht"]["pad_bevat_niet"] = ["Gateway_VerwijzingNodig"]
    result = run(bundle, parse_scenario(data, "test.json"))
    assert result.problems == ["verwacht pad: Gateway_VerwijzingNodig hoort niet in het pad (stap 4 van het pad)"]


def test_answer_the_form_refuses_names_the_step_and_field(bundle):
    data = raw("P1 zorg van een VHT-organisatie: directe toegang")
    del data["stappen"][0]["antwoorden"]["zorgsoort"]
    result = run(bundle, parse_scenario(data, "test.json"))
    assert not result.ok
    (problem,) = result.problems
    assert problem.startswith("stap 1 (Task_ContactZorgLeggen 'Contact leggen en inzet van zorg mogelijk maken'): "
                              "het formulier 'p1_contact_zorg' weigert de antwoorden — zorgsoort: ")
    assert result.path == ["StartEvent_ZorgGekozen"]  # nothing after the refused step


def test_task_rule_refusal_counts_as_refused_answer(bundle):
    """The product's own rule: a conversation is only 'gevoerd' when every parent with gezag is there."""
    data = raw("P3 gesprek gaat door, afspraken gemaakt")
    step = next(s for s in data["stappen"] if s.get("taak") == "Task_InterventiegesprekVoeren")
    step["antwoorden"]["ouders_aanwezigheid"][1]["aanwezig"] = False
    result = run(bundle, parse_scenario(data, "test.json"))
    (problem,) = result.problems
    number = data["stappen"].index(step) + 1
    assert problem.startswith(f"stap {number} (Task_InterventiegesprekVoeren ")
    assert "gesprek_uitkomst: Het gesprek start pas als alle ouders met gezag aanwezig zijn" in problem


def test_task_that_never_opens_names_the_step_and_what_is_open(bundle):
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    data["stappen"].insert(0, {"taak": "Task_VerwijzingRegelen", "antwoorden": {}})
    result = run(bundle, parse_scenario(data, "test.json"))
    assert result.problems == ["stap 1 (Task_VerwijzingRegelen): de taak staat niet open op 2026-03-02 09:00 "
                               "(open: Task_ContactZorgLeggen)"]


def test_wrong_end_state(bundle):
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    data["verwacht"]["eind"] = "Eind_zorg_geweigerd"
    result = run(bundle, parse_scenario(data, "test.json"))
    assert result.problems == ["verwacht eind: Eind_zorg_geweigerd, maar de procedure eindigde in Eind_zorg_ingezet"]

    data = raw("P1 zorg van een VHT-organisatie: directe toegang")
    data["stappen"].pop()  # the last task is never done
    result = run(bundle, parse_scenario(data, "test.json"))
    assert "verwacht eind: Eind_zorg_ingezet, maar de procedure is nog niet geëindigd, open: " \
           "Task_DirecteToegangFaciliteren" in result.problems


def test_message_the_process_does_not_wait_for(bundle):
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    data["stappen"].insert(0, {"bericht": "reactie_ouders_ontvangen", "gegevens": {"reactie_ouders": "Goed."}})
    result = run(bundle, parse_scenario(data, "test.json"))
    assert result.problems == ["stap 1 (bericht 'reactie_ouders_ontvangen'): het proces wacht niet op dit bericht "
                               "op 2026-03-02 09:00 (wacht op: geen)"]


def test_moment_before_the_previous_one(bundle):
    data = raw("P1 zorg van een VHT-organisatie: directe toegang")
    data["stappen"][1]["moment"] = "2026-03-02T08:00"
    result = run(bundle, parse_scenario(data, "test.json"))
    assert result.problems == ["stap 2 (Task_DirecteToegangFaciliteren): het moment 2026-03-02 08:00 ligt vóór "
                               "het vorige moment 2026-03-03 10:00"]


def test_start_form_refuses_start_data(bundle):
    data = raw("P6 OTS: altijd een VHT-bespreking, 18+ geregeld")
    data["start"]["gegevens"]["maatregel"] = "onbekend"
    result = run(bundle, parse_scenario(data, "test.json"))
    (problem,) = result.problems
    assert problem.startswith("start van 'p6_achttien_min_plus': het formulier 'start_p6' weigert de antwoorden — maatregel:")


# --- reading files ------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("verwacht"), "\"verwacht\" ontbreekt"),
    (lambda d: d["stappen"].append({"taak": "Task_X", "bericht": "y"}), "stap 2: een stap heeft precies één van"),
    (lambda d: d["stappen"][0].update(moment="morgen"), "'morgen' is geen moment"),
    (lambda d: d["verwacht"].update(eind="zorg_ingezet"), "\"eind\" is het id van een eindgebeurtenis"),
    (lambda d: d.update(onbekend=1), "onbekende sleutel(s) onbekend"),
])
def test_bad_scenario_file_is_refused_in_dutch(tmp_path, change, message):
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    change(data)
    (tmp_path / "kapot.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    assert info.value.message.startswith("kapot.json")
    assert message in info.value.message


def test_duplicate_names_are_refused(tmp_path):
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    (tmp_path / "a.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([data]), encoding="utf-8")
    with pytest.raises(ScenarioError, match="de naam 'P1 eerstelijnszorg zonder verwijzing' staat ook in a.json"):
        load_scenarios(tmp_path)


# --- the command line ---------------------------------------------------------------------------

def _vht(*args):
    from app.cli import main

    return CliRunner().invoke(main, ["scenario", *args], catch_exceptions=False)


def test_cli_runs_all_and_one(tmp_path, monkeypatch):
    monkeypatch.setenv("VHT_INSTANCE_DIR", str(tmp_path))
    result = _vht()
    assert result.exit_code == 0, result.output
    assert f"{len(SCENARIOS)} van {len(SCENARIOS)} scenario's goed" in result.output
    one = _vht("P7 het VHT sluit de casus af", "--pad")
    assert one.exit_code == 0, one.output
    assert "pad: StartEvent_TerugNaarVht → Task_VervolgBepalen → Gateway_Vervolg → Eind_casus_afgesloten_door_vht" \
        in one.output
    assert "1 van 1 scenario's goed" in one.output
    assert _vht("bestaat niet").exit_code == 1


def test_cli_fails_with_exit_1_and_names_the_step(tmp_path, monkeypatch):
    monkeypatch.setenv("VHT_INSTANCE_DIR", str(tmp_path))
    folder = tmp_path / "processes"
    folder.mkdir()
    for path in PROCESSES.glob("*.bpmn"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "parameters.json").write_bytes((PROCESSES / "parameters.json").read_bytes())
    (folder / "scenarios").mkdir()
    data = raw("P1 eerstelijnszorg zonder verwijzing")
    data["verwacht"]["eind"] = "Eind_zorg_geweigerd"
    (folder / "scenarios" / "p1.json").write_text(json.dumps([data]), encoding="utf-8")
    result = _vht("--processen", str(folder), "--formulieren", str(ROOT / "forms"))
    assert result.exit_code == 1
    assert "FOUT  P1 eerstelijnszorg zonder verwijzing" in result.output
    assert "verwacht eind: Eind_zorg_geweigerd, maar de procedure eindigde in Eind_zorg_ingezet" in result.output
    assert "0 van 1 scenario's goed" in result.output


def test_readme_example_is_a_passing_scenario(bundle):
    import re

    text = (PROCESSES / "scenarios" / "README.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    result = run(bundle, parse_scenario(example, "README.md"))
    assert result.ok, result.problems
