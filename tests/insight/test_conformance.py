"""Conformance of the exported logs with the diagrams, checked with pm4py (AGPL: a test
dependency only; the product never imports it): the procedure's BPMN flattened into a Petri net
(tests/insight/petri.py), the exported XES read by pm4py, token-based replay.

Fitness 1.0 for the scenario cases of every procedure (walked on the engine as `vht scenario`
does, recorded as the service records acts, read by the export's builder) and for cases run
through the service; below 1.0 when a step is left out. A case still running is checked as a
prefix: no step fired that the net did not enable (its missing end is no deviation)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

pm4py = pytest.importorskip("pm4py")

from app.formdefs import FormRegistry  # noqa: E402
from app.service.context import load_parameters  # noqa: E402
from app.service.insight import eventlog, xes  # noqa: E402
from app.service.scenarios import load_scenarios, specs_from_folder  # noqa: E402
from tests.conftest import FORMS, PROCESSES  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.engine.clock import TZ  # noqa: E402
from tests.procedures.gesprek_steps import (at, gesprek_voeren, organiseren, reactie_ontvangen,  # noqa: E402
                                            reactie_vragen, start_through_p0, vk_na_gesprek, vk_versturen,
                                            voorbespreking, zonder_reactie)

from tests.web.helpers import CAB, build_web  # noqa: E402

from .petri import flattened_net  # noqa: E402
from .scenario_log import scenario_traces  # noqa: E402


@pytest.fixture(scope="module")
def scenario_logs() -> dict[str, list[eventlog.Trace]]:
    forms = FormRegistry(Path(FORMS))
    specs = specs_from_folder(Path(PROCESSES), forms)
    parameters = load_parameters(Path(PROCESSES))
    logs: dict[str, list] = {}
    for number, scenario in enumerate(load_scenarios(Path(PROCESSES) / "scenarios"), 1):
        logs.setdefault(scenario.process_id, []).extend(scenario_traces(scenario, specs, forms, parameters, number))
    return logs


def _replay(tmp_path, process_id: str, traces) -> list[dict]:
    path = tmp_path / f"{process_id}.xes"
    path.write_text("".join(xes.write(eventlog.Query(process_id), traces)), encoding="utf-8")
    log = pm4py.read_xes(str(path))
    net, initial, final = flattened_net(Path(PROCESSES), process_id)
    return pm4py.conformance_diagnostics_token_based_replay(log, net, initial, final)


def _check(tmp_path, process_id: str, traces) -> None:
    traces = [t for t in traces if t.events]  # a case just started has no step yet (pm4py drops it)
    if not traces:
        return
    results = _replay(tmp_path, process_id, traces)
    assert len(results) == len(traces)
    for trace, result in zip(traces, results):
        if trace.ended:
            assert result["trace_fitness"] == 1.0, (process_id, trace.id, result)
        else:
            assert result["transitions_with_problems"] == [], (process_id, trace.id, result)


def test_every_procedure_has_scenarios(scenario_logs):
    diagrams = {p.stem for p in Path(PROCESSES).glob("*.bpmn")}
    assert set(scenario_logs) == diagrams
    assert sum(t.ended for traces in scenario_logs.values() for t in traces) >= 25


def test_scenario_logs_fit_their_flattened_diagrams(scenario_logs, tmp_path):
    for process_id, traces in sorted(scenario_logs.items()):
        _check(tmp_path, process_id, traces)


def test_a_skipped_step_lowers_fitness(scenario_logs, tmp_path):
    trace = next(t for t in scenario_logs["p3_interventiegesprek"] if t.ended)
    skipped = next(i for i, e in enumerate(trace.events) if e.element == "Task_LocatieKiezen")
    broken = eventlog.Trace(**{**trace.__dict__, "events": trace.events[:skipped] + trace.events[skipped + 1:]})
    result = _replay(tmp_path, "p3_interventiegesprek", [broken])[0]
    assert result["trace_fitness"] < 1.0
    assert [t.label for t in result["transitions_with_problems"]] == [
        "Gesprek organiseren / Ouders en jeugdige uitnodigen"]
    whole = pm4py.fitness_token_based_replay(
        pm4py.read_xes(str(_write(tmp_path, "p3_interventiegesprek", scenario_logs["p3_interventiegesprek"] + [broken]))),
        *flattened_net(Path(PROCESSES), "p3_interventiegesprek"))
    assert whole["log_fitness"] < 1.0 and whole["perc_fit_traces"] < 100


def _write(tmp_path, process_id, traces) -> Path:
    path = tmp_path / f"{process_id}-all.xes"
    path.write_text("".join(xes.write(eventlog.Query(process_id), traces)), encoding="utf-8")
    return path


def test_cases_run_through_the_service_fit(sqlite_service, clock, tmp_path):
    """The demo cases and a P3 case run through the service (planned again after the parents did
    not come, then back to the VHT, the two-week target passed meanwhile), exported from the
    database: every procedure's traces conform."""
    service = sqlite_service
    load_demo(service)
    # tests/procedures/test_p3_interventiegesprek.py's replanning case, on the same clock
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}])
    organiseren(case, "2026-03-11T10:00", jeugdige="te_jong")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 6, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 11, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")
    organiseren(case, "2026-05-18T10:00", jeugdige="te_jong")
    reactie_vragen(case)
    case.move_clock(at(2026, 5, 11, 9, 0))
    zonder_reactie(case, at(2026, 5, 12))
    vk_versturen(case)
    voorbespreking(case, at(2026, 5, 18, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")

    ended = {}
    with service.ctx.reading() as session:
        for process_id in eventlog.procedures(session):
            traces = list(eventlog.traces(service.ctx, session, eventlog.Query(process_id)))
            ended[process_id] = sum(t.ended for t in traces)
            _check(tmp_path, process_id, traces)
    assert ended["p0_consultatie_advies"] == 1 and ended["p3_interventiegesprek"] == 1
    # organised and prepared twice, each a run of its own
    assert ended["sp_gesprek_organiseren"] == 2 and ended["sp_vk_voorbereiden"] == 2


# --- the product's own check, on the case page (replay; no pm4py) ---------------------------


def _paths(page: str) -> list[str]:
    import re
    from html import unescape

    return [unescape(" ".join(cell.split())) for cell in re.findall(r'<td class="pad">(.*?)</td>', page, re.S)]


def test_case_page_says_the_path_follows_its_version(sqlite_service, clock):
    web = build_web(sqlite_service, clock)
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", {**CAB, "interventies": ["zorg"]}, "vera")
    page = web.browser("anna").get(f"/casussen/{case_id}").get_data(as_text=True)
    assert _paths(page) == ["Pad volgt versie 1"]


def test_a_repair_is_a_deviation_named_as_such(sqlite_service, clock):
    web = build_web(sqlite_service, clock)
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", {**CAB, "interventies": ["zorg"]}, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    instance_id = web.open_task(case_id, "Task_ContactZorgLeggen").instance_id
    clock.set(datetime(2026, 3, 3, 14, 30, tzinfo=TZ))
    web.service.move_case(case_id, instance_id, "Task_ContactZorgLeggen", "Task_VerwijzingRegelen", "beheer",
                          "Zorg was al geregeld")
    page = web.browser("anna").get(f"/casussen/{case_id}").get_data(as_text=True)
    assert _paths(page) == ["Pad wijkt af: verplaatst: naar Verwijzing regelen "
                            "(reparatie door Beheerder op 03-03-2026 14:30)"]

    clock.set(datetime(2026, 3, 3, 15, 0, tzinfo=TZ))
    web.service.correct_data(case_id, instance_id, "advies_tekst", "Gecorrigeerd advies.", "beheer", "Typfout")
    (path,) = _paths(web.browser("anna").get(f"/casussen/{case_id}").get_data(as_text=True))
    assert path.endswith("; gegevens gecorrigeerd: advies_tekst (reparatie door Beheerder op 03-03-2026 15:00)")
