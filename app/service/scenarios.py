"""Running scenarios: a procedure walked in memory with given answers, checked against its expected path.

A scenario (scenario_files.py; format in processes/scenarios/README.md) starts a procedure at a
moment with start data, then completes tasks with answers, delivers messages and lets the clock
run, and finally compares the path the engine took and the end it reached with what the process
owner expects. It runs on the engine alone (no database), so deploy can run every scenario of the
bundle before it stores anything, and the modeler can show a scenario's path on the diagram.

What the service adds around the engine is mirrored here, because it changes the path:
- at the start (cases.start_instance): the start form validates the data, an empty people picker
  for the starter's own role means the starter, and the case gets `inbrenger`,
  `casus_referentie` and `instellingen` (the settings);
- at a completion (tasks.complete): the task's form validates the answers with the case as the
  task sees it (dates, settings, people), then task_rules.apply adds its data or refuses;
- messages: the form `bericht_<naam>` validates the payload (messages.deliver_message);
- timers: like the worker (timers.fire_instance), each due timer fires just after its own moment,
  one after the other, so a long wait fires them in the order they came due.
Side effects that only touch other records (the card, letters, mail, the p7 return) are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Mapping

from app.engine import clock as clock_mod
from app.engine.expressions import make_script_engine
from app.engine.runtime import EngineError, Run, Runtime
from app.engine.werkdagen import WerkdagKalender
from app.formdefs import FormContext, FormRegistry, FormValidationError
from app.formdefs import people as people_fields

from . import task_rules
from .cases import START_DEFAULTS
from .deploy import parse_folder
from .scenario_files import Scenario, ScenarioError, Step, load_scenarios, parse_scenario

__all__ = ["Scenario", "ScenarioError", "ScenarioResult", "load_scenarios", "parse_scenario", "run_scenario",
           "run_all", "specs_from_folder", "DEFAULT_USERS"]

# Who a people picker may offer in a scenario (no database): the demo users' roles (app/demo.py).
# A scenario adds its own with "gebruikers": {"naam": ["rol"]}.
DEFAULT_USERS = {
    "anna": ["inbrenger"], "bram": ["inbrenger"], "gina": ["gi", "inbrenger"], "rik": ["rvdk"],
    "tom": ["toegang"], "nina": ["netwerkpartner"], "vera": ["veiligheidsteam"], "victor": ["voorzitter"],
    "zoe": ["zorgaanbieder"],
}
CASE_REFERENCE = "VHT-SCENARIO"
# Just after a timer's moment: the engine fires a timer only once its moment has passed.
TICK = timedelta(seconds=1)
MAX_TIMER_ROUNDS = 1000


@dataclass
class ScenarioResult:
    name: str
    process_id: str
    ok: bool
    path: list[str]  # BPMN ids of the elements completed, in order (tasks, gateways, events)
    end_state: str | None  # e.g. "Eind_zorg_ingezet"
    problems: list[str] = field(default_factory=list)  # Dutch, each names the step


class _Stop(Exception):
    """A step could not be done; the scenario ends there with this message."""


def specs_from_folder(processes_dir: Path, forms: FormRegistry) -> dict[str, tuple]:
    """process id -> (spec, subprocess_specs) of every diagram in the folder, parsed as deploy does."""
    return {b.process_id: (b.spec, b.subprocess_specs) for b in parse_folder(Path(processes_dir), forms)}


def _lookup(users: Mapping[str, list[str]]):
    def offer(role: str, scope: str) -> list[tuple[str, str]]:
        return [(name, name) for name, roles in users.items() if role in roles]
    return offer


def _fields(errors, prefix: str = "") -> list[str]:
    """FormValidationError.errors as 'veld: bericht' lines (rows of a list as veld[1].sub)."""
    lines = []
    for key, value in errors.items():
        name = f"{prefix}[{key + 1}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
        if isinstance(value, dict):
            lines.extend(_fields(value, name))
        else:
            lines.append(f"{name}: {' '.join(str(v) for v in value) if isinstance(value, list) else value}")
    return lines


def _refused(where: str, form: str, exc: FormValidationError) -> _Stop:
    return _Stop(f"{where}: het formulier '{form}' weigert de antwoorden — " + "; ".join(_fields(exc.errors)))


class _Walk:
    """One scenario on the engine: the clock, the run, the path so far."""

    def __init__(self, scenario: Scenario, specs: Mapping, forms: FormRegistry, parameters: dict):
        self.scenario = scenario
        self.specs = specs
        self.forms = forms
        self.settings = {**parameters, **scenario.instellingen}
        self.users = {**DEFAULT_USERS, **scenario.gebruikers}
        self.clock = clock_mod.FixedClock(scenario.start_moment)
        kalender = WerkdagKalender([date.fromisoformat(str(d)) for d in self.settings.get("extra_sluitingsdagen") or []])
        self.runtime = Runtime(make_script_engine(kalender))
        self.run: Run | None = None
        self.ready: list = []  # the open user tasks after the last act (their deadlines computed)
        self.path: list[str] = []

    def _record(self, log) -> None:
        self.path.extend(step["bpmn_id"] for step in log.steps if step["bpmn_id"])

    def _engine(self, where: str, action):
        with clock_mod.active(self.clock):
            try:
                self._record(action())
                # As the service projects the inbox after every act: a deadline or assignee that
                # cannot be computed stops the act there.
                self.ready = self.run.ready_user_tasks()
            except EngineError as exc:
                raise _Stop(f"{where}: het proces loopt vast — {exc}") from None

    # --- the start ----------------------------------------------------------------------

    def start(self) -> None:
        scenario = self.scenario
        where = f"start van '{scenario.process_id}'"
        if scenario.process_id not in self.specs:
            raise _Stop(f"{where}: deze procedure staat niet in processes/ (bekend: {', '.join(sorted(self.specs))})")
        spec, subs = self.specs[scenario.process_id]
        values = dict(scenario.start_data)
        start_form = _start_form(spec)
        if start_form:  # a procedure a person starts: its start form checks the data (cases.start_case)
            context = FormContext(now=self.clock.now(), data={}, settings=self.settings, people=_lookup(self.users))
            try:
                values = self.forms.validate(start_form, values, context)
            except FormValidationError as exc:
                raise _refused(where, start_form, exc) from None
            starter = SimpleNamespace(username=scenario.inbrenger, rollen=self.users.get(scenario.inbrenger, []))
            values = _start_defaults(self.forms.get(start_form),
                                     {**START_DEFAULTS.get(scenario.process_id, {}), **values}, starter)
        # else: started by another procedure or by the product; the data is what that passes on.
        data = {**values, "inbrenger": scenario.inbrenger, "casus_referentie": CASE_REFERENCE,
                "instellingen": dict(self.settings)}
        with clock_mod.active(self.clock):
            try:
                self.run, log = self.runtime.start(spec, subs, data)
                self._record(log)
                self.ready = self.run.ready_user_tasks()
            except EngineError as exc:
                raise _Stop(f"{where}: het proces loopt vast — {exc}") from None

    # --- time ---------------------------------------------------------------------------

    def move_to(self, moment: datetime | None, where: str) -> None:
        """Let the clock run to `moment`, firing every timer just after its own moment, in order."""
        if moment is None:
            return
        if moment < self.clock.now():
            raise _Stop(f"{where}: het moment {_local(moment)} ligt vóór het vorige moment {_local(self.clock.now())}")
        for _ in range(MAX_TIMER_ROUNDS):
            due = self.run.next_timer_at()
            if due is None or due >= moment:
                break
            self.clock.set(max(due + TICK, self.clock.now()) if due + TICK <= moment else moment)
            self._engine(f"{where}: timer van {_local(due)}", self.run.advance)
            if self.run.next_timer_at() == due:  # the engine did not take it: don't spin
                break
        self.clock.set(moment)

    # --- steps --------------------------------------------------------------------------

    def step(self, step: Step) -> None:
        where = step.label
        self.move_to(step.moment, where)
        if self.run.completed and step.kind != "wacht":
            raise _Stop(f"{where}: de procedure is al geëindigd ({self.end_state() or 'zonder eindstatus'})")
        if step.kind == "taak":
            self._task(step, where)
        elif step.kind == "bericht":
            self._message(step, where)

    def _task(self, step: Step, where: str) -> None:
        ready = self.ready
        matches = [t for t in ready if t.bpmn_id == step.taak and (step.proces is None or t.process_id == step.proces)]
        if not matches:
            open_now = ", ".join(sorted(t.bpmn_id for t in ready)) or "geen"
            raise _Stop(f"{where}: de taak staat niet open op {_local(self.clock.now())} (open: {open_now})")
        if len(matches) > 1:
            raise _Stop(f"{where}: {len(matches)} taken met dit id staan open (in "
                        f"{', '.join(t.process_id for t in matches)}); zet \"proces\" in de stap")
        task = matches[0]
        where = f"stap {step.number} ({task.bpmn_id} '{task.name}')"
        data = self.run.task_data(task.spiff_id)
        settings = data.get("instellingen") if isinstance(data.get("instellingen"), Mapping) else self.settings
        context = FormContext(now=self.clock.now(), data=data, settings=settings, people=_lookup(self.users))
        try:  # as tasks.complete: the form, then the task's own rules (which may add data)
            values = self.forms.validate(task.form_key, step.antwoorden, context)
            values = task_rules.apply(task.form_key, values, data, self.clock.now())
        except FormValidationError as exc:
            raise _refused(where, task.form_key, exc) from None
        self.path.append(task.bpmn_id)
        self._engine(where, lambda: self.run.complete(task.spiff_id, values))

    def _message(self, step: Step, where: str) -> None:
        form = f"bericht_{step.bericht}"
        if form not in self.forms:
            raise _Stop(f"{where}: dit bericht bestaat niet (geen formulier forms/{form}.json)")
        if step.bericht not in self.run.waiting_messages():
            waiting = ", ".join(self.run.waiting_messages()) or "geen"
            raise _Stop(f"{where}: het proces wacht niet op dit bericht op {_local(self.clock.now())} "
                        f"(wacht op: {waiting})")
        try:
            values = self.forms.validate(form, step.gegevens)
        except FormValidationError as exc:
            raise _refused(where, form, exc) from None
        received = values.get("ontvangen_op")
        if received and date.fromisoformat(str(received)) > self.clock.now().astimezone(clock_mod.TZ).date():
            raise _Stop(f"{where}: het formulier '{form}' weigert de gegevens — ontvangen_op: "
                        "De datum van ontvangst kan niet in de toekomst liggen.")
        self._engine(where, lambda: self.run.deliver(step.bericht, values))

    # --- the outcome --------------------------------------------------------------------

    def end_state(self) -> str | None:
        state = self.run.end_state() if self.run is not None else None
        return f"Eind_{state}" if state else None

    def open_tasks(self) -> list[str]:
        return sorted(t.bpmn_id for t in self.ready)


def _start_form(spec) -> str | None:
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

    return next(((ts.extensions or {}).get("formKey") for ts in spec.task_specs.values()
                 if isinstance(ts, StartEvent) and (ts.extensions or {}).get("formKey")), None)


def _start_defaults(definition, values: dict, starter) -> dict:
    """people.start_defaults without the database: the starter's own-role picker left empty is the starter."""
    for spec in definition.fields:
        if spec.type == people_fields.USER and spec.name not in values and spec.role in starter.rollen:
            values[spec.name] = [starter.username] if spec.multiple else starter.username
    return values


def _local(moment: datetime) -> str:
    return moment.astimezone(clock_mod.TZ).strftime("%Y-%m-%d %H:%M")


def _subsequence_missing(expected: list[str], path: list[str]) -> str | None:
    """The first expected id not found in `path` after the previous one, or None when all are there in order."""
    position = 0
    for bpmn_id in expected:
        try:
            position = path.index(bpmn_id, position) + 1
        except ValueError:
            return bpmn_id
    return None


def _check(scenario: Scenario, path: list[str], end_state: str | None, open_tasks: list[str],
           ended: bool) -> list[str]:
    expected = scenario.expected
    problems = []
    if expected.pad is not None and path != expected.pad:
        first = next((i for i, (a, b) in enumerate(zip(path, expected.pad)) if a != b), min(len(path), len(expected.pad)))
        got = path[first] if first < len(path) else "(einde van het pad)"
        want = expected.pad[first] if first < len(expected.pad) else "(einde van het pad)"
        problems.append(f"verwacht pad: element {first + 1} is {got}, verwacht {want}")
    missing = _subsequence_missing(expected.pad_bevat, path)
    if missing is not None:
        where = "komt niet voor in het pad" if missing not in path else "komt in het pad niet na het vorige verwachte element"
        problems.append(f"verwacht pad: {missing} {where}")
    for bpmn_id in expected.pad_bevat_niet:
        if bpmn_id in path:
            problems.append(f"verwacht pad: {bpmn_id} hoort niet in het pad (stap {path.index(bpmn_id) + 1} van het pad)")
    if expected.ended is True and end_state != expected.eind:
        got = end_state or ("geen eindstatus" if ended else f"nog niet geëindigd, open: {', '.join(open_tasks) or 'geen'}")
        problems.append(f"verwacht eind: {expected.eind}, maar de procedure eindigde in {got}"
                        if ended else f"verwacht eind: {expected.eind}, maar de procedure is {got}")
    if expected.ended is False and ended:
        problems.append(f"verwacht eind: de procedure loopt nog, maar zij eindigde in {end_state}")
    if expected.open is not None and sorted(expected.open) != open_tasks:
        problems.append(f"verwacht open taken: {', '.join(sorted(expected.open)) or 'geen'}, "
                        f"maar open zijn: {', '.join(open_tasks) or 'geen'}")
    return problems


def run_scenario(scenario: Scenario, specs: Mapping[str, tuple], forms: FormRegistry,
                 parameters: dict) -> ScenarioResult:
    """Walk the scenario on the engine; the result lists every difference with what was expected."""
    walk = _Walk(scenario, specs, forms, parameters)
    problems: list[str] = []
    try:
        walk.start()
        for step in scenario.steps:
            walk.step(step)
    except _Stop as stop:
        problems.append(str(stop))
    if walk.run is not None and not problems:
        problems = _check(scenario, walk.path, walk.end_state(), walk.open_tasks(), walk.run.completed)
    return ScenarioResult(name=scenario.name, process_id=scenario.process_id, ok=not problems,
                          path=walk.path, end_state=walk.end_state(), problems=problems)


def run_all(scenarios: list[Scenario], specs: Mapping[str, tuple], forms: FormRegistry,
            parameters: dict) -> list[ScenarioResult]:
    return [run_scenario(s, specs, forms, parameters) for s in scenarios]
