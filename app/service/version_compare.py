"""What differs between two versions of a procedure beyond the diagram: the forms (and in a form
which fields), the parameters (which settings) and the letter templates. The diagram itself is
compared in the browser (bpmn-js-differ)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from persistence.models import ProcessVersion

from . import bundle
from .deploy import bundle_changes


@dataclass
class FormChange:
    key: str
    status: str  # toegevoegd | verwijderd | gewijzigd
    title: str = ""
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    # True when only the form's own title/description/order changed, not a field
    other: bool = False


@dataclass
class ParameterChange:
    name: str
    old: object
    new: object
    status: str  # toegevoegd | verwijderd | gewijzigd


@dataclass
class LetterChange:
    name: str
    status: str


@dataclass
class BundleComparison:
    # False when one of the two was deployed before versions kept their own forms and parameters
    available: bool
    forms: list[FormChange] = field(default_factory=list)
    parameters: list[ParameterChange] = field(default_factory=list)
    parameters_changed: bool = False
    letters: list[LetterChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.forms or self.parameters_changed or self.letters)


def _status(old, new) -> str:
    return "toegevoegd" if old is None else "verwijderd" if new is None else "gewijzigd"


def _json(text: str | None):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:  # stored as deployed, so checked then; never fail the page on it
        return None


def _fields(definition) -> dict[str, dict]:
    fields = definition.get("fields") if isinstance(definition, dict) else None
    return {f["name"]: f for f in fields or [] if isinstance(f, dict) and isinstance(f.get("name"), str)}


def _form_change(key: str, old_text: str | None, new_text: str | None) -> FormChange:
    old, new = _json(old_text), _json(new_text)
    title = next((d.get("title") for d in (new, old) if isinstance(d, dict) and d.get("title")), "") or ""
    change = FormChange(key, _status(old_text, new_text), str(title))
    if change.status != "gewijzigd":
        return change
    before, after = _fields(old), _fields(new)
    change.added = [name for name in after if name not in before]
    change.removed = [name for name in before if name not in after]
    change.changed = [name for name in after if name in before and before[name] != after[name]]
    change.other = not (change.added or change.removed or change.changed)
    return change


def compare(session: Session, a: ProcessVersion, b: ProcessVersion) -> BundleComparison:
    """From version `a` to version `b`: which forms, parameters and letters differ."""
    if a.forms is None or b.forms is None:
        return BundleComparison(available=False)
    names = bundle_changes(a, b.forms, b.parameters_sha256, b.letters or {})
    a_letters, b_letters = a.letters or {}, b.letters or {}
    wanted = [a.forms.get(k) for k in names["formulieren"]] + [b.forms.get(k) for k in names["formulieren"]]
    if names["parameters"]:
        wanted += [a.parameters_sha256, b.parameters_sha256]
    texts = bundle.contents(session, [sha for sha in wanted if sha])
    result = BundleComparison(available=True, parameters_changed=names["parameters"])
    for key in names["formulieren"]:
        result.forms.append(_form_change(key, texts.get(a.forms.get(key)), texts.get(b.forms.get(key))))
    if names["parameters"]:
        old = _json(texts.get(a.parameters_sha256)) or {}
        new = _json(texts.get(b.parameters_sha256)) or {}
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name) or (name in old) != (name in new):
                status = "toegevoegd" if name not in old else "verwijderd" if name not in new else "gewijzigd"
                result.parameters.append(ParameterChange(name, old.get(name), new.get(name), status))
    for name in names["brieven"]:
        result.letters.append(LetterChange(name, _status(a_letters.get(name), b_letters.get(name))))
    return result
