"""What a deploy runs beyond the diagrams' own checks: the scenarios stored beside them, and
every letter template rendered for a demo family (app/service/letter_preview.py).

A failing scenario refuses the deploy like a broken diagram does, in the browser and the CLI.
"""
from __future__ import annotations

import json

from app.engine.checks import Problem

from .bundle import SourceTree
from .letter_preview import letter_problems
from .scenario_files import ScenarioError, parse_scenario
from .scenarios import run_scenario


def scenarios_of(tree: SourceTree) -> tuple[list, list[Problem]]:
    """The scenarios of a bundle, and a problem per file that cannot be read."""
    found, problems = [], []
    for name, text in sorted(tree.scenarios().items()):
        path = f"processes/scenarios/{name}"
        try:
            raw = json.loads(text)
            found.extend(parse_scenario(item, name) for item in (raw if isinstance(raw, list) else [raw]))
        except json.JSONDecodeError as exc:
            problems.append(Problem(path, None, f"geen geldige JSON ({exc})"))
        except ScenarioError as exc:
            problems.append(Problem(path, None, exc.message))
    return found, problems


def scenario_problems(tree: SourceTree, bundles) -> list[Problem]:
    scenarios, problems = scenarios_of(tree)
    specs = {b.process_id: (b.spec, b.subprocess_specs) for b in bundles}
    forms, parameters = tree.forms(), tree.parameters()
    for scenario in scenarios:
        if scenario.process_id not in specs:
            problems.append(Problem(f"processes/scenarios/{scenario.file}", f"scenario '{scenario.name}'",
                                    f"de procedure '{scenario.process_id}' bestaat niet in deze bundel; verwijder "
                                    "of hernoem het scenario"))
            continue
        result = run_scenario(scenario, specs, forms, parameters)
        if not result.ok:
            problems.append(Problem(f"processes/scenarios/{scenario.file}", f"scenario '{scenario.name}'",
                                    "het scenario slaagt niet meer: " + " ".join(result.problems)))
    # Letter templates too: one that does not render would stop the invite act of every case.
    return problems + letter_problems(tree, bundles)
