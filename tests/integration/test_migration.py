"""Migrating running cases of 'Terug naar het VeiligheidsTeam' (p7_vht_vervolg, its own process
instance that runs P0 and its interventions inside it) to a newer version: dry run, migration,
the inbox, refusals, and the auditor's replay."""
from __future__ import annotations

import json
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.service import versions
from app.service.cases import start_instance
from app.service.preview import preview_process
from app.service.errors import InvalidInput, PermissionDenied
from app.service.events import SYSTEM
from persistence.models import Case, Event, HumanTask, ProcessInstance
from tests.conftest import PROCESSES
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import ORGANISEREN_TEGELIJK, cab

P7 = "p7_vht_vervolg"
OLD_LABEL = 'name="Vervolg bepalen (casus terug naar het VeiligheidsTeam)"'
NEW_LABEL = "Vervolg bepalen met het VeiligheidsTeam"
CAB_LABEL = 'name="Consultatie- en adviesbespreking houden"'
NEW_TASK = ('<bpmn:userTask id="Task_AfsluitingVastleggen" name="Afsluiting vastleggen" camunda:formKey="p7_vervolg_bepalen" '
            'camunda:candidateGroups="veiligheidsteam"><bpmn:incoming>Flow_Vervolg_Afsluiten</bpmn:incoming>'
            '<bpmn:outgoing>Flow_Afsluiting_Eind</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:sequenceFlow id="Flow_Afsluiting_Eind" sourceRef="Task_AfsluitingVastleggen" '
            'targetRef="Eind_casus_afgesloten_door_vht" />')
VERVOLG = {"vht_vervolg_toelichting": "Besproken in het VHT."}


def _replace(path: Path, *pairs: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def changed_folder(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    """processes/ with P7's decision renamed, a step added on its 'afsluiten' path (its scenario
    updated) and P0's first task renamed (P0 runs inside P7)."""
    folder = tmp_path / "processes_v2"
    shutil.copytree(PROCESSES, folder)
    _replace(folder / f"{P7}.bpmn", (OLD_LABEL, f'name="{NEW_LABEL}"'),
             ('<bpmn:flowNodeRef>Eind_casus_afgesloten_door_vht</bpmn:flowNodeRef>',
              '<bpmn:flowNodeRef>Task_AfsluitingVastleggen</bpmn:flowNodeRef>'
              '<bpmn:flowNodeRef>Eind_casus_afgesloten_door_vht</bpmn:flowNodeRef>'),
             ('<bpmn:incoming>Flow_Vervolg_Afsluiten</bpmn:incoming>\n    </bpmn:endEvent>',
              '<bpmn:incoming>Flow_Afsluiting_Eind</bpmn:incoming>\n    </bpmn:endEvent>'),
             ('sourceRef="Gateway_Vervolg" targetRef="Eind_casus_afgesloten_door_vht" />',
              f'sourceRef="Gateway_Vervolg" targetRef="Task_AfsluitingVastleggen" />{NEW_TASK}'),
             *extra)
    _replace(folder / "p0_consultatie_advies.bpmn", (CAB_LABEL, 'name="CAB houden"'))
    scenarios_path = folder / "scenarios" / f"{P7}.json"
    scenarios = json.loads(scenarios_path.read_text(encoding="utf-8"))
    for scenario in scenarios:
        pad = scenario["verwacht"].get("pad", [])
        if "Eind_casus_afgesloten_door_vht" in pad:
            pad.insert(pad.index("Eind_casus_afgesloten_door_vht"), "Task_AfsluitingVastleggen")
            step = dict(scenario["stappen"][-1], taak="Task_AfsluitingVastleggen")
            scenario["stappen"].append(step)
    text = json.dumps(scenarios, ensure_ascii=False, indent=2)
    if '<bpmn:userTask id="Task_VervolgBepalenVht"' in (folder / f"{P7}.bpmn").read_text(encoding="utf-8"):
        text = text.replace('"Task_VervolgBepalen"', '"Task_VervolgBepalenVht"')
    scenarios_path.write_text(text, encoding="utf-8")
    return folder


def deploy_v2(service, tmp_path, *extra) -> tuple[int, int]:
    service.upsert_user("pieter", "Pieter Procesbeheer", ["procesbeheerder"])
    old = service.process_version(P7).version
    service.deploy(changed_folder(tmp_path, *extra), actor="pieter", reden="Stap toegevoegd bij afsluiten")
    new = service.process_version(P7).version
    assert new == old + 1
    return old, new


class P7Case:
    """A case whose P0 went 'terug naar het VeiligheidsTeam': its P7 instance, driven by instance."""

    def __init__(self, service, clock):
        self.service = service
        self.case_id = CaseDriver.start(service, clock, "p0_consultatie_advies", casus()).case_id
        with service.ctx.transaction() as session:
            case = session.get(Case, self.case_id)
            version = versions.version_for_start(session, P7)
            values = {**case.gegevens, "terug_naar_vht_vanuit": {
                "procedure": "p3_interventiegesprek", "eind": "Eind_terug_naar_vht_gesprek_niet_doorgegaan",
                "omschrijving": "Gesprek niet doorgegaan"}}
            self.instance_id = start_instance(service.ctx, session, case, version, values, SYSTEM).id

    def tasks(self, state="open") -> list[HumanTask]:
        with self.service.ctx.reading() as session:
            return session.scalars(select(HumanTask).where(HumanTask.instance_id == self.instance_id,
                                                           HumanTask.state == state).order_by(HumanTask.id)).all()

    def open_ids(self) -> list[str]:
        return sorted(t.bpmn_id for t in self.tasks())

    def complete(self, bpmn_id: str, data: dict, actor: str):
        task = next(t for t in self.tasks() if t.bpmn_id == bpmn_id)
        self.service.complete_task(task.id, data, actor)

    def instance(self) -> ProcessInstance:
        with self.service.ctx.reading() as session:
            instance = session.get(ProcessInstance, self.instance_id)
            _ = instance.process_version
            return instance

    def to_cab(self):
        """'Nieuwe consultatie- en adviesbespreking': now inside P0, the sub-process."""
        self.complete("Task_VervolgBepalen", {"vht_vervolg": "nieuwe_cab", **VERVOLG}, "vera")
        assert self.open_ids() == ["Task_CabHouden"]

    def to_timer(self):
        """Inside P0 → P3 → organising the conversation, with P3's target-date timer waiting."""
        self.to_cab()
        self.complete("Task_CabHouden", cab("interventiegesprek"), "vera")
        self.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
        assert self.open_ids() == ORGANISEREN_TEGELIJK  # side by side
        assert self.instance().next_timer_at is not None


def history(service, case_id: int) -> list[Event]:
    return [e for e in service.case_history(case_id) if e.type == "gemigreerd"]


def test_one_case_migrates_its_tasks_follow_and_it_replays(service, clock, tmp_path):
    case = P7Case(service, clock)
    task_before = case.tasks()[0]
    service.claim(task_before.id, "vera")
    old, new = deploy_v2(service, tmp_path)

    report = service.migration_dry_run("pieter", P7, old, new)
    assert [c.case_id for c in report.cases] == [case.case_id] and report.refused == []
    plan = report.cases[0]
    assert plan.blijven == [{"bpmn_id": "Task_VervolgBepalen", "naam": NEW_LABEL, "procedure": P7}]
    assert plan.vervallen == plan.nieuw == []
    assert case.instance().process_version.version == old  # a dry run writes nothing
    assert history(service, case.case_id) == []

    clock.advance(timedelta(hours=1))
    done = service.migrate_cases("pieter", P7, old, new, "Afsluiten krijgt een eigen stap")
    assert [c.case_id for c in done.movable] == [case.case_id]
    assert case.instance().process_version.version == new
    (task,) = case.tasks()
    # The same inbox row, still claimed by vera, now under the new name.
    assert (task.id, task.assignee, task.name) == (task_before.id, "vera", NEW_LABEL)
    (event,) = history(service, case.case_id)
    assert (event.actor, event.data["reden"], event.data["van"], event.data["naar"]) == (
        "pieter", "Afsluiten krijgt een eigen stap", old, new)
    assert event.data["blijven"] == plan.blijven
    assert service.replay_case(case.case_id).identical

    # The case goes on on the new version: 'afsluiten' now passes the added step.
    case.complete("Task_VervolgBepalen", {"vht_vervolg": "afsluiten", **VERVOLG}, "vera")
    assert case.open_ids() == ["Task_AfsluitingVastleggen"]
    case.complete("Task_AfsluitingVastleggen", {"vht_vervolg": "afsluiten", **VERVOLG}, "vera")
    assert case.instance().status == "completed"
    report = service.replay_case(case.case_id)
    assert report.identical, report.reason
    # The deploy preview replays the case's acts on a draft and passes over the migration.
    spec, subs = service.ctx.specs.get(case.instance().process_version)
    with service.ctx.reading() as session:
        preview = preview_process(service.ctx, session, P7, spec, subs)
    assert preview.cases == 1 and preview.rows == [], [r.detail for r in preview.rows]


def test_a_renamed_element_ends_the_old_task_and_opens_the_new_one(service, clock, tmp_path):
    """The decision's id changed in the new version (same place in the flow): the engine aligns
    it by structure, but for the inbox it is another step."""
    case = P7Case(service, clock)
    (before,) = case.tasks()
    old, new = deploy_v2(service, tmp_path, *_rename_decision())
    plan = service.migration_dry_run("pieter", P7, old, new).cases[0]
    assert plan.geweigerd is None
    assert [t["bpmn_id"] for t in plan.vervallen] == ["Task_VervolgBepalen"]
    assert [t["bpmn_id"] for t in plan.nieuw] == ["Task_VervolgBepalenVht"]
    service.migrate_cases("pieter", P7, old, new, "Nieuwe id")
    assert [t.id for t in case.tasks("cancelled")] == [before.id]
    (after,) = case.tasks()
    assert after.bpmn_id == "Task_VervolgBepalenVht" and after.id != before.id
    assert service.replay_case(case.case_id).identical
    case.complete("Task_VervolgBepalenVht", {"vht_vervolg": "afsluiten", **VERVOLG}, "vera")
    assert case.open_ids() == ["Task_AfsluitingVastleggen"]
    # The new id kept the task in its place among its children: the case data survived the saves.
    from app.service.instances import load_run

    run = load_run(service.ctx, case.instance())
    (following,) = run.ready_user_tasks()
    assert run.task_data(following.spiff_id).get("casus_referentie")
    assert service.replay_case(case.case_id).identical


def _rename_decision() -> list[tuple[str, str]]:
    return [('<bpmn:flowNodeRef>Task_VervolgBepalen</bpmn:flowNodeRef>',
             '<bpmn:flowNodeRef>Task_VervolgBepalenVht</bpmn:flowNodeRef>'),
            ('<bpmn:userTask id="Task_VervolgBepalen"', '<bpmn:userTask id="Task_VervolgBepalenVht"'),
            ('targetRef="Task_VervolgBepalen"', 'targetRef="Task_VervolgBepalenVht"'),
            ('sourceRef="Task_VervolgBepalen"', 'sourceRef="Task_VervolgBepalenVht"'),
            ('bpmnElement="Task_VervolgBepalen"', 'bpmnElement="Task_VervolgBepalenVht"')]


def _block(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin:text.index(end, begin) + len(end)]


def deploy_without_advice_step(service, tmp_path) -> tuple[int, int]:
    """A version whose P0 (inside P7) no longer has 'Advies verwerken in de Veiligheidskaart':
    the CAB goes straight to the interventions."""
    folder = changed_folder(tmp_path)
    path = folder / "p0_consultatie_advies.bpmn"
    text = path.read_text(encoding="utf-8")
    gone = [_block(text, '<bpmn:callActivity id="CallActivity_AdviesVerwerken"', "</bpmn:callActivity>"),
            _block(text, '<bpmn:sequenceFlow id="Flow_AdviesVerwerken_InterventiesStarten"', "/>"),
            _block(text, '<bpmndi:BPMNShape id="CallActivity_AdviesVerwerken_di"', "</bpmndi:BPMNShape>"),
            _block(text, '<bpmndi:BPMNEdge id="Flow_AdviesVerwerken_InterventiesStarten_di"', "</bpmndi:BPMNEdge>"),
            "<bpmn:flowNodeRef>CallActivity_AdviesVerwerken</bpmn:flowNodeRef>"]
    _replace(path, *[(block, "") for block in gone],
             ('targetRef="CallActivity_AdviesVerwerken"', 'targetRef="Gateway_InterventiesStarten"'),
             ("<bpmn:incoming>Flow_AdviesVerwerken_InterventiesStarten</bpmn:incoming>",
              "<bpmn:incoming>Flow_CabHouden_AdviesVerwerken</bpmn:incoming>"))
    for scenario_file in (folder / "scenarios").glob("*.json"):  # the scenarios walk the step no more
        scenarios = json.loads(scenario_file.read_text(encoding="utf-8"))
        for scenario in scenarios:
            if scenario["procedure"] not in ("p0_consultatie_advies", P7):  # P4 calls the step itself
                continue
            scenario["stappen"] = [step for step in scenario["stappen"] if step.get("taak") != "Task_AdviesVerwerken"]
            for key in ("pad", "pad_bevat"):
                if key in scenario["verwacht"]:
                    scenario["verwacht"][key] = [e for e in scenario["verwacht"][key]
                                                 if e not in ("CallActivity_AdviesVerwerken", "Task_AdviesVerwerken")]
        scenario_file.write_text(json.dumps(scenarios, ensure_ascii=False, indent=2), encoding="utf-8")
    service.upsert_user("pieter", "Pieter Procesbeheer", ["procesbeheerder"])
    old = service.process_version(P7).version
    service.deploy(folder, actor="pieter", reden="Advies verwerken vervalt")
    return old, service.process_version(P7).version


def test_a_case_at_a_removed_step_is_refused_and_stays(service, clock, tmp_path):
    waiting = P7Case(service, clock)
    inside = P7Case(service, clock)
    inside.to_cab()
    at_removed = P7Case(service, clock)
    at_removed.to_cab()
    at_removed.complete("Task_CabHouden", cab("interventiegesprek"), "vera")
    assert at_removed.open_ids() == ["Task_AdviesVerwerken"]
    old, new = deploy_without_advice_step(service, tmp_path)
    report = service.migration_dry_run("pieter", P7, old, new)
    plans = {c.case_id: c for c in report.cases}
    refused = plans[at_removed.case_id].geweigerd
    assert refused and "Advies verwerken in de Veiligheidskaart" in refused, refused
    assert "bestaat niet in de nieuwe versie" in refused
    assert plans[waiting.case_id].geweigerd is None and plans[inside.case_id].geweigerd is None
    assert plans[inside.case_id].blijven == [{"bpmn_id": "Task_CabHouden", "naam": "CAB houden",
                                              "procedure": "p0_consultatie_advies"}]

    done = service.migrate_cases("pieter", P7, old, new, "Advies verwerken vervalt")
    assert [c.case_id for c in done.refused] == [at_removed.case_id]
    assert at_removed.instance().process_version.version == old
    assert inside.instance().process_version.version == new
    assert history(service, at_removed.case_id) == [] and len(history(service, inside.case_id)) == 1
    assert at_removed.open_ids() == ["Task_AdviesVerwerken"]
    for case in (waiting, inside, at_removed):
        assert service.replay_case(case.case_id).identical
    # On the new version the CAB goes straight on to the intervention.
    inside.complete("Task_CabHouden", cab("interventiegesprek"), "vera")
    assert inside.open_ids() == ORGANISEREN_TEGELIJK
    assert service.replay_case(inside.case_id).identical


def test_a_migration_needs_a_process_owner_a_reason_and_another_version(service, clock, tmp_path):
    P7Case(service, clock)
    old, new = deploy_v2(service, tmp_path)
    with pytest.raises(PermissionDenied):
        service.migrate_cases("vera", P7, old, new, "Zomaar")
    with pytest.raises(InvalidInput, match="reden"):
        service.migrate_cases("pieter", P7, old, new, "  ")
    with pytest.raises(InvalidInput):
        service.migration_dry_run("pieter", P7, new, new)


BULK = 200


def test_bulk_migration_of_200_running_cases_with_a_dry_run(service, clock, tmp_path, capsys):
    """200 running cases: a third at the VHT's decision, a third inside P0 (the called sub-process),
    a third deeper inside P3 with its target-date timer waiting."""
    cases = []
    for n in range(BULK):
        case = P7Case(service, clock)
        if n % 3 == 1:
            case.to_cab()
        elif n % 3 == 2:
            case.to_timer()
        cases.append(case)
    timers_before = {c.instance_id: c.instance().next_timer_at for c in cases}
    open_before = {c.instance_id: [(t.id, t.bpmn_id) for t in c.tasks()] for c in cases}
    old, new = deploy_v2(service, tmp_path)

    started = time.perf_counter()
    report = service.migration_dry_run("pieter", P7, old, new)
    dry_seconds = time.perf_counter() - started
    assert len(report.cases) == BULK and report.refused == []
    assert {tuple(sorted(t["bpmn_id"] for t in c.blijven)) for c in report.cases} == {
        ("Task_VervolgBepalen",), ("Task_CabHouden",), tuple(ORGANISEREN_TEGELIJK)}

    started = time.perf_counter()
    done = service.migrate_cases("pieter", P7, old, new, "Afsluiten krijgt een eigen stap")
    seconds = time.perf_counter() - started
    print(f"\nmigratie van {BULK} casussen ({service.engine.dialect.name}): dry run {dry_seconds:.2f} s, "
          f"migratie {seconds:.2f} s")
    assert len(done.movable) == BULK
    for case in cases:
        instance = case.instance()
        assert instance.process_version.version == new
        assert instance.next_timer_at == timers_before[case.instance_id]  # the timer keeps its due time
        assert [(t.id, t.bpmn_id) for t in case.tasks()] == open_before[case.instance_id]
    for case in cases[:6]:
        report = service.replay_case(case.case_id)
        assert report.identical, report.reason

    # After the migration the cases go on: the timer fires on the new version, the decision has its new step.
    timer_case = cases[2]
    clock.set(timers_before[timer_case.instance_id] + timedelta(minutes=1))
    service.fire_due_timers()
    assert timer_case.instance().next_timer_at != timers_before[timer_case.instance_id]
    assert service.replay_case(timer_case.case_id).identical
    cases[0].complete("Task_VervolgBepalen", {"vht_vervolg": "afsluiten", **VERVOLG}, "vera")
    assert cases[0].open_ids() == ["Task_AfsluitingVastleggen"]


def test_cli_migrate_dry_run_then_migrate(sqlite_service, clock, tmp_path):
    from click.testing import CliRunner

    from app.cli import main

    service = sqlite_service
    waiting, inside = P7Case(service, clock), P7Case(service, clock)
    inside.to_cab()
    old, new = deploy_v2(service, tmp_path)
    env = {"DATABASE_URL": str(service.engine.url), "VHT_INSTANCE_DIR": str(tmp_path)}

    def vht(*args):
        return CliRunner().invoke(main, ["migrate", P7, "--van", str(old), "--naar", str(new), *args], env=env,
                                  catch_exceptions=False)

    dry = vht("--dry-run", "--as", "pieter")
    assert dry.exit_code == 0, dry.output
    assert f"casus {inside.case_id} (" in dry.output and "blijven: CAB houden (Task_CabHouden)" in dry.output
    assert "2 te migreren, 0 geweigerd" in dry.output and "er is niets gewijzigd" in dry.output
    assert waiting.instance().process_version.version == old
    assert vht("--as", "pieter").exit_code != 0  # a migration needs a reason
    bad_target = vht("--dry-run", "--as", "pieter", "--doel", "Task_VervolgBepalen")
    assert bad_target.exit_code != 0 and "OUD=NIEUW" in bad_target.output
    refused = vht("--as", "vera", "--reden", "x")
    assert refused.exit_code != 0 and "procesbeheerder" in refused.output
    done = vht("--as", "pieter", "--reden", "Afsluiten krijgt een eigen stap", "--json")
    assert done.exit_code == 0, done.output
    assert [c["case_id"] for c in json.loads(done.output)["cases"]] == [waiting.case_id, inside.case_id]
    assert waiting.instance().process_version.version == inside.instance().process_version.version == new
    replay = CliRunner().invoke(main, ["replay", str(inside.case_id)], env=env, catch_exceptions=False)
    assert "identiek" in replay.output
