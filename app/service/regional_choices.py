"""The regional choices: every setting of processes/parameters.json with its Dutch explanation
(processes/parameters_uitleg.json) and whether the werkwijze fixes it or the region chose it, for
the page "Regionale keuzes" and the task pages that depend on one."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCES = {"werkwijze": "Vastgelegd in de werkwijze", "regio": "Keuze van de regio"}


@dataclass(frozen=True)
class Choice:
    naam: str
    waarde: Any
    uitleg: str
    bron: str  # "werkwijze" or "regio"
    toelichting: str

    @property
    def bron_tekst(self) -> str:
        return SOURCES.get(self.bron, "Nog niet beschreven")

    @property
    def waarde_tekst(self) -> str:
        if isinstance(self.waarde, bool):
            return "aan" if self.waarde else "uit"
        if isinstance(self.waarde, list):
            return ", ".join(map(str, self.waarde)) or "geen"
        return str(self.waarde)


def explanations(processes_dir: Path) -> dict:
    path = Path(processes_dir) / "parameters_uitleg.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def choices(parameters: dict, processes_dir: Path) -> list[Choice]:
    """In the order of parameters.json; a setting without an explanation still shows (and says so)."""
    uitleg = explanations(processes_dir)
    return [Choice(naam, waarde, (uitleg.get(naam) or {}).get("uitleg", "Nog geen uitleg: vraag de procesbeheerder."),
                   (uitleg.get(naam) or {}).get("bron", ""), (uitleg.get(naam) or {}).get("toelichting", ""))
            for naam, waarde in parameters.items()]


def used_by(parameters: dict, documentation: str | None, definition) -> list[str]:
    """The settings a task's behaviour depends on: named in its instructions or form, the setting
    that opens one of its fields, and the closing days when a field must be a working day."""
    texts = [documentation or ""]
    names: set[str] = set()
    for spec in (definition.fields if definition is not None else ()):
        texts += [spec.label or "", spec.help or ""]
        if spec.requires_setting:
            names.add(spec.requires_setting)
        if spec.working_day is not None:
            names.add("extra_sluitingsdagen")
    text = " ".join(texts)
    names |= {naam for naam in parameters if naam in text}
    return [naam for naam in parameters if naam in names]
