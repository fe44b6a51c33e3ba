"""All forms of a `forms/` folder, loaded once and checked."""
from __future__ import annotations

import json
from pathlib import Path

from .case_rules import FormContext
from .definition import FormDefinition, FormDefinitionError, parse_definition
from .validation import validate


class FormRegistry:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._forms: dict[str, FormDefinition] = {}
        for path in sorted(self.folder.glob("*.json")):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise FormDefinitionError(f"{path.name}: geen geldige JSON ({exc})") from exc
            self._forms[path.stem] = parse_definition(path.stem, raw)

    def __contains__(self, key: str) -> bool:
        return key in self._forms

    def keys(self) -> list[str]:
        return sorted(self._forms)

    def get(self, key: str) -> FormDefinition:
        try:
            return self._forms[key]
        except KeyError:
            raise FormDefinitionError(f"Formulier '{key}' bestaat niet in {self.folder}") from None

    def validate(self, key: str, data, context: FormContext | None = None) -> dict:
        """The cleaned data, or FormValidationError with a Dutch message per field; with a context
        also the rules that read the case (dates, settings: case_rules.py)."""
        return validate(self.get(key), data, context)
