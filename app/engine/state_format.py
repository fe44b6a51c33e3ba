"""Which format a stored workflow state or spec is in, and how an older one is brought up to date.

Two versions describe a stored state:

- OUR format (`vht_format` in the state JSON, `format` in a spec document):
  1: the reference-to-spec format as it was until format 2 existed: the instance JSON holds the
     task tree with the spec by name (`spec`, `subprocess_specs` as names); a spec document is
     `{"spec", "subprocess_specs"}`. No marker of ours anywhere; written only with SpiffWorkflow
     3.2.0, so its SpiffWorkflow serializer format is 1.5 (states also say so themselves).
  2: as 1, plus the markers: `vht_format: 2` in the state, `format: 2` and `serializer_version` in
     the spec document.
- SpiffWorkflow's serializer VERSION (`serializer_version`, as SpiffWorkflow itself writes it).

The `process_instance.serializer_version` column (String(10)) gets both compactly: "v2/1.5".

SpiffWorkflow's own migrations do not run on our format: its `migrate()` expects the spec embedded
in the state (`dct['spec']['task_specs']`), and in 3.2.0 the 1.3 and 1.4 steps also fail on any
workflow with a subprocess (NameError). So we run its step functions ourselves, once per workflow
(the top level and each subprocess) on a stock-shaped view that carries that workflow's spec dict.
"""
from __future__ import annotations

import json
from typing import Callable

from SpiffWorkflow.bpmn.serializer.migration import version_migration
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_VERSION

OUR_FORMAT = 2
FORMAT_KEY = "vht_format"  # in a state
SPEC_FORMAT_KEY = "format"  # in a spec document
SPIFF_KEY = "serializer_version"  # SpiffWorkflow's key, in states and (ours) in spec documents
# What format 1 was written with (SpiffWorkflow 3.2.0); a spec document of format 1 says nothing.
FORMAT_1_SPIFF_VERSION = "1.5"

# SpiffWorkflow's migration steps we apply, by the version they start from: (function in
# SpiffWorkflow.bpmn.serializer.migration.version_migration, the version it leads to).
# A SpiffWorkflow release with a new serializer VERSION adds a step there; add it here too
# (tests/unit/test_state_format.py fails until the chain reaches the installed VERSION).
# Versions before 1.3 restructure the whole tree (pre-3.0 states); this product never wrote them.
SPIFF_STEPS: dict[str, tuple[str, str]] = {
    "1.3": ("from_version_1_3", "1.4"),
    "1.4": ("from_version_1_4", "1.5"),
}

SpecDicts = tuple[dict, dict]  # (spec dict, {process id: spec dict}) as SpiffWorkflow's to_dict makes them


class StateFormatError(Exception):
    """A stored state or spec this engine cannot bring up to date (message in Dutch)."""


def _key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        raise StateFormatError(f"onbekende SpiffWorkflow-formaatversie {version!r}") from None


def column_value() -> str:
    """What the serializer_version column says of a state written now: "v2/1.5"."""
    return f"v{OUR_FORMAT}/{SPIFF_VERSION}"


def state_versions(dct: dict) -> tuple[int, str]:
    """(our format, SpiffWorkflow's serializer version) of a state dict."""
    spiff = dct.get(SPIFF_KEY)
    if spiff is None:
        raise StateFormatError("de opgeslagen toestand vermeldt geen SpiffWorkflow-formaatversie")
    return int(dct.get(FORMAT_KEY, 1)), str(spiff)


def spec_versions(doc: dict) -> tuple[int, str]:
    """(our format, SpiffWorkflow's serializer version) of a spec document."""
    fmt = int(doc.get(SPEC_FORMAT_KEY, 1))
    return fmt, str(doc.get(SPIFF_KEY, FORMAT_1_SPIFF_VERSION))


def is_current(versions: tuple[int, str]) -> bool:
    return versions == (OUR_FORMAT, SPIFF_VERSION)


def _check_not_newer(fmt: int, spiff: str, what: str) -> None:
    if fmt > OUR_FORMAT:
        raise StateFormatError(f"{what} is opgeslagen in formaat {fmt} van een nieuwere versie van dit product "
                               f"(deze versie kent tot en met {OUR_FORMAT})")
    if _key(spiff) > _key(SPIFF_VERSION):
        raise StateFormatError(f"{what} is opgeslagen met SpiffWorkflow-formaat {spiff}, nieuwer dan het "
                               f"geïnstalleerde ({SPIFF_VERSION}): terug naar de nieuwere SpiffWorkflow")


def _spiff_steps(spiff: str, what: str) -> list[Callable]:
    """The stock step functions from `spiff` up to the installed VERSION, in order."""
    steps = []
    while _key(spiff) < _key(SPIFF_VERSION):
        step = SPIFF_STEPS.get(spiff)
        if step is None:
            raise StateFormatError(f"{what} is opgeslagen met SpiffWorkflow-formaat {spiff}; daarvoor heeft dit "
                                   f"product geen migratie naar {SPIFF_VERSION}")
        name, spiff = step
        function = getattr(version_migration, name, None)
        if function is None:
            raise StateFormatError(f"de geïnstalleerde SpiffWorkflow heeft de migratie {name} niet meer")
        steps.append(function)
    return steps


def _run_per_workflow(step: Callable, views: list[dict]) -> None:
    for view in views:
        step(view)


def upgrade_state(dct: dict, spec_dicts: Callable[[], SpecDicts]) -> bool:
    """Bring a state dict (as json.loads gave it) to the current format, in place.

    `spec_dicts` gives the spec dicts of the version the instance runs on (only called when a
    SpiffWorkflow step needs them; steps may change them, so give copies). True if it changed.
    """
    fmt, spiff = state_versions(dct)
    if is_current((fmt, spiff)):
        return False
    _check_not_newer(fmt, spiff, "de toestand")
    # Our format 1 -> 2: the shape is the same, only the marker is new (set below).
    steps = _spiff_steps(spiff, "de toestand")
    if steps:
        top, subs = spec_dicts()
        views = [{"tasks": dct["tasks"], "spec": top, "subprocesses": {}}]
        for sub in dct.get("subprocesses", {}).values():
            spec = subs.get(sub["spec"])
            if spec is None:
                raise StateFormatError(f"de toestand verwijst naar deelproces {sub['spec']!r}, dat niet in de "
                                       f"procesversie staat")
            views.append({"tasks": sub["tasks"], "spec": spec, "subprocesses": {}})
        for step in steps:
            _run_per_workflow(step, views)
            for view in views:
                view.pop("VERSION", None)  # the stock steps leave their own marker
    dct[FORMAT_KEY] = OUR_FORMAT
    dct[SPIFF_KEY] = SPIFF_VERSION
    return True


def upgrade_spec_doc(doc: dict) -> bool:
    """Bring a spec document ({"spec", "subprocess_specs"}) to the current format, in place."""
    fmt, spiff = spec_versions(doc)
    if is_current((fmt, spiff)):
        return False
    _check_not_newer(fmt, spiff, "de procesdefinitie")
    steps = _spiff_steps(spiff, "de procesdefinitie")
    views = [{"tasks": {}, "spec": spec, "subprocesses": {}}
             for spec in (doc["spec"], *doc["subprocess_specs"].values())]
    for step in steps:
        _run_per_workflow(step, views)
    doc[SPEC_FORMAT_KEY] = OUR_FORMAT
    doc[SPIFF_KEY] = SPIFF_VERSION
    return True


def spec_document(spec: dict, subprocess_specs: dict) -> dict:
    """A spec document in the current format."""
    return {SPEC_FORMAT_KEY: OUR_FORMAT, SPIFF_KEY: SPIFF_VERSION, "spec": spec, "subprocess_specs": subprocess_specs}


def state_text_versions(text: str) -> tuple[int, str]:
    return state_versions(json.loads(text))


def spec_text_versions(text: str) -> tuple[int, str]:
    return spec_versions(json.loads(text))


def missing_steps() -> list[str]:
    """Installed SpiffWorkflow migrations from 1.3 on that our table does not cover (should be none)."""
    return sorted(version for version in version_migration.MIGRATIONS
                  if _key(version) >= (1, 3) and version not in SPIFF_STEPS)
