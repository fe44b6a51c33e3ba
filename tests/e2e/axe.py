"""axe-core (the npm devDependency) in the browser tests, under the app's own CSP.

The CSP allows scripts from the app's origin only, so a <script> tag that Playwright writes into
the page (add_script_tag) is refused. An init script is added by the browser itself before the
page's own scripts and is not subject to the page's CSP: axe is there on every page of the
context, and the policy the app sends stays as it is.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")


def add_axe(context) -> None:
    """Makes window.axe available on every page of this Playwright browser context."""
    if not AXE_JS.is_file():
        reason = f"{AXE_JS} is missing: run `make` (npm ci) for the accessibility tests"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs the accessibility tests: {reason}")
        pytest.skip(reason)
    context.add_init_script(path=str(AXE_JS))


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now (WCAG 2.1 A and AA plus axe's best practices),
    each {id, impact, help, targets}."""
    return page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
                resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )


def blocking(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in BLOCKING]


def describe(found: list[dict]) -> str:
    return "; ".join(f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'][:3])}" for v in found)
