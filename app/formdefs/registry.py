"""All forms of a `forms/` folder, loaded once and checked."""
from __future__ import annotations

import json
from pathlib import Path

from .case_rules import FormContext
from .definition import FormDefinition, FormDefinitionError, parse_definition
from .validation import validate


class FormRegistry:
    def __init__(self, folder: Path | None = None, sources: dict[str, str] | None = None):
        """The forms of a folder, or of `sources` ({form key: JSON text}, e.g. a deployed bundle)."""
        self.folder = Path(folder) if folder is not None else Path("forms")
        if sources is None:
            sources = {path.stem: path.read_text(encoding="utf-8") for path in sorted(self.folder.glob("*.json"))}
        self._forms: dict[str, FormDefinition] = {}
        for key, text in sorted(sources.items()):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise FormDefinitionError(f"{key}.json: geen geldige JSON ({exc})") from exc
            self._forms[key] = parse_definition(key, raw)

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
