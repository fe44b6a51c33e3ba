"""Reading scenario files (`processes/scenarios/*.json`, format in processes/scenarios/README.md).

A scenario is what a process owner expects a procedure to do with given answers: the start data,
the steps (a task with its answers, a message, or just waiting for the clock), and the path and
end it should take. This module only reads and checks the files; scenarios.py runs them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app.engine.clock import TZ

from .errors import ServiceError


class ScenarioError(ServiceError):
    """A scenario file that cannot be read: names the file and what is wrong, in Dutch."""

    code = "scenario_ongeldig"


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, as a process owner counts the steps in the file
    kind: str  # "taak", "bericht" or "wacht"
    moment: datetime | None  # aware; None: at the moment of the previous step
    taak: str | None = None
    proces: str | None = None  # only to tell apart two open tasks with the same id
    antwoorden: dict = field(default_factory=dict)
    bericht: str | None = None
    gegevens: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        what = self.taak or (f"bericht '{self.bericht}'" if self.bericht else "wachten")
        return f"stap {self.number} ({what})"


@dataclass(frozen=True)
class Expected:
    pad: list[str] | None = None  # the exact path
    pad_bevat: list[str] = field(default_factory=list)  # in this order, other elements between allowed
    pad_bevat_niet: list[str] = field(default_factory=list)
    eind: str | None = None  # the Eind_... id; "open" / None: see `ended`
    ended: bool | None = None  # True: must have ended (eind given); False: must still run ("eind": null)
    open: list[str] | None = None  # user tasks open at the end


@dataclass(frozen=True)
class Scenario:
    name: str
    process_id: str
    file: str
    start_moment: datetime
    start_data: dict
    steps: list[Step]
    expected: Expected
    inbrenger: str = "anna"
    instellingen: dict = field(default_factory=dict)  # overrides of parameters.json for this scenario
    gebruikers: dict = field(default_factory=dict)  # extra users: {username: [roles]}


TOP_KEYS = {"naam", "procedure", "omschrijving", "start", "stappen", "verwacht", "instellingen", "gebruikers"}
STEP_KEYS = {"taak", "proces", "antwoorden", "moment", "bericht", "gegevens", "wacht_tot"}
EXPECT_KEYS = {"pad", "pad_bevat", "pad_bevat_niet", "eind", "open"}


def _moment(value, where: str) -> datetime:
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: een moment is tekst als \"2026-03-02T09:00\" (Nederlandse tijd)")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"{where}: '{value}' is geen moment; schrijf \"2026-03-02T09:00\"") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _ids(value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ScenarioError(f"{where}: verwacht een lijst van BPMN-ids, bijvoorbeeld [\"Task_CabHouden\"]")
    return list(value)


def _object(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: verwacht een JSON-object {{\"veld\": waarde}}")
    return value


def _unknown(raw: dict, allowed: set, where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ScenarioError(f"{where}: onbekende sleutel(s) {', '.join(extra)}; toegestaan: {', '.join(sorted(allowed))}")


def _step(raw, number: int, where: str) -> Step:
    where = f"{where}, stap {number}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: een stap is een JSON-object")
    _unknown(raw, STEP_KEYS, where)
    kinds = [k for k in ("taak", "bericht", "wacht_tot") if k in raw]
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: een stap heeft precies één van \"taak\", \"bericht\" of \"wacht_tot\"")
    kind = kinds[0]
    if kind == "wacht_tot":
        if set(raw) - {"wacht_tot"}:
            raise ScenarioError(f"{where}: een stap \"wacht_tot\" heeft verder niets")
        return Step(number, "wacht", _moment(raw["wacht_tot"], where))
    moment = _moment(raw["moment"], where) if "moment" in raw else None
    if kind == "taak":
        if not isinstance(raw["taak"], str) or not raw["taak"]:
            raise ScenarioError(f"{where}: \"taak\" is het BPMN-id van een gebruikerstaak")
        if "bericht" in raw or "gegevens" in raw:
            raise ScenarioError(f"{where}: een taakstap heeft \"antwoorden\", geen \"gegevens\"")
        proces = raw.get("proces")
        if proces is not None and not isinstance(proces, str):
            raise ScenarioError(f"{where}: \"proces\" is een proces-id")
        return Step(number, "taak", moment, taak=raw["taak"], proces=proces,
                    antwoorden=_object(raw.get("antwoorden"), where))
    if not isinstance(raw["bericht"], str) or not raw["bericht"]:
        raise ScenarioError(f"{where}: \"bericht\" is de naam van een bericht, bijvoorbeeld reactie_ouders_ontvangen")
    if "antwoorden" in raw or "proces" in raw:
        raise ScenarioError(f"{where}: een berichtstap heeft \"gegevens\", geen \"antwoorden\"")
    return Step(number, "bericht", moment, bericht=raw["bericht"], gegevens=_object(raw.get("gegevens"), where))


def _expected(raw, where: str) -> Expected:
    where = f"{where}, verwacht"
    if not isinstance(raw, dict) or not raw:
        raise ScenarioError(f"{where}: \"verwacht\" is een object met \"pad\" of \"pad_bevat\" en \"eind\"")
    _unknown(raw, EXPECT_KEYS, where)
    if "pad" in raw and "pad_bevat" in raw:
        raise ScenarioError(f"{where}: kies \"pad\" (precies) of \"pad_bevat\" (ten minste), niet allebei")
    eind = raw.get("eind")
    if "eind" in raw and eind is not None and (not isinstance(eind, str) or not eind.startswith("Eind_")):
        raise ScenarioError(f"{where}: \"eind\" is het id van een eindgebeurtenis (Eind_...) of null (loopt nog)")
    return Expected(
        pad=_ids(raw["pad"], f"{where}.pad") if "pad" in raw else None,
        pad_bevat=_ids(raw.get("pad_bevat", []), f"{where}.pad_bevat"),
        pad_bevat_niet=_ids(raw.get("pad_bevat_niet", []), f"{where}.pad_bevat_niet"),
        eind=eind, ended=(eind is not None) if "eind" in raw else None,
        open=_ids(raw["open"], f"{where}.open") if "open" in raw else None,
    )


def _users(raw, where: str) -> dict:
    users = _object(raw, f"{where}, gebruikers")
    for name, roles in users.items():
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ScenarioError(f"{where}, gebruikers: {name} krijgt een lijst van rollen, bijvoorbeeld [\"toegang\"]")
    return users


def parse_scenario(raw, file: str) -> Scenario:
    """One scenario from its JSON value; ScenarioError names the file and the place."""
    where = file
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: een scenario is een JSON-object")
    _unknown(raw, TOP_KEYS, where)
    for key in ("naam", "procedure", "start", "stappen", "verwacht"):
        if key not in raw:
            raise ScenarioError(f"{where}: \"{key}\" ontbreekt")
    if not isinstance(raw["naam"], str) or not raw["naam"].strip():
        raise ScenarioError(f"{where}: \"naam\" is een tekst")
    where = f"{file} '{raw['naam']}'"
    if not isinstance(raw["procedure"], str):
        raise ScenarioError(f"{where}: \"procedure\" is een proces-id, bijvoorbeeld p1_zorg")
    start = raw["start"]
    if not isinstance(start, dict) or "moment" not in start:
        raise ScenarioError(f"{where}: \"start\" heeft een \"moment\" en \"gegevens\"")
    _unknown(start, {"moment", "gegevens", "door"}, f"{where}, start")
    door = start.get("door", "anna")
    if not isinstance(door, str) or not door:
        raise ScenarioError(f"{where}, start: \"door\" is de gebruikersnaam van wie start")
    if not isinstance(raw["stappen"], list):
        raise ScenarioError(f"{where}: \"stappen\" is een lijst")
    return Scenario(
        name=raw["naam"].strip(), process_id=raw["procedure"], file=file,
        start_moment=_moment(start["moment"], f"{where}, start"),
        start_data=_object(start.get("gegevens"), f"{where}, start.gegevens"),
        steps=[_step(s, i, where) for i, s in enumerate(raw["stappen"], start=1)],
        expected=_expected(raw["verwacht"], where), inbrenger=door,
        instellingen=_object(raw.get("instellingen"), f"{where}, instellingen"),
        gebruikers=_users(raw.get("gebruikers"), where),
    )


def load_scenarios(folder: Path) -> list[Scenario]:
    """Every scenario in `folder` (a file holds one scenario or a list of them), in file order.

    Names must be unique across the folder: `vht scenario NAAM` and the modeler pick one by name."""
    scenarios: list[Scenario] = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path.name}: geen geldige JSON ({exc.msg}, regel {exc.lineno})") from None
        for item in raw if isinstance(raw, list) else [raw]:
            scenarios.append(parse_scenario(item, path.name))
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            raise ScenarioError(f"{scenario.file}: de naam '{scenario.name}' staat ook in {seen[scenario.name]}; "
                                "geef ieder scenario een eigen naam")
        seen[scenario.name] = scenario.file
    return scenarios
