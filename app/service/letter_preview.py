"""A letter template tried on a fictional demo family: the preview a process owner sees while
editing, and the deploy check that refuses a template that does not render.

The demo context is built exactly like a real invitation's (`Invitation.from_case_data`), so a
template that renders here renders for a case; no real case data is ever used. Rendering goes
through the same SandboxedEnvironment as the real letters, loading only the bundle's own letter
texts (never files on disk): `{{ ''.__class__ }}` or `{% include '/etc/passwd' %}` is an error.
"""
from __future__ import annotations

from datetime import date
from typing import Mapping

from jinja2 import TemplateError, TemplateNotFound, UndefinedError
from jinja2.sandbox import SecurityError

from app.documents import letters
from app.engine.checks import Problem

from .bundle import SourceTree

DEMO_TODAY = date(2026, 3, 2)
DEMO_DATA = {
    "gesprek_datum": "2026-04-30T10:00",
    "locatie_type": "gemeentehuis", "ruimte": "Zaal 2",
    "deelnemers": [{"naam": "Voorbeeld Ouder", "rol": "ouder"},
                   {"naam": "Nadia Netwerk", "organisatie": "Voorbeeldorganisatie", "rol": "netwerkpartner"}],
    "ouders": [{"naam": "Voorbeeld Ouder", "contact": "ouder@example.org", "gezag": True},
               {"naam": "Tweede Ouder", "gezag": True}],
    "jeugdigen": [{"naam": "Kim Voorbeeld", "geboortedatum": "2015-06-01"}],
    "uitnodiging_doel": "Dit is een voorbeeldbrief voor een verzonnen gezin.",
    "voorzitter_type": "onafhankelijk", "voorzitter_naam": "Vera Voorzitter",
    "instellingen": {"leeftijdsgrens_jeugdige": 8},
}
DEMO_INBRENGER = {"naam": "Ingrid Inbrenger", "email": "inbrenger@example.org", "organisatie": "Voorbeeldteam"}


def demo_invitation(*, corrected: bool = False, rvdk: bool = False) -> letters.Invitation:
    return letters.Invitation.from_case_data(
        DEMO_DATA, referentie="VHT-VOORBEELD-0001", gemeente="roosendaal", inbrenger=DEMO_INBRENGER,
        today=DEMO_TODAY, rvdk_betrokken=rvdk, vorig_moment="2026-04-23T14:00" if corrected else None)


def _render(name: str, templates: Mapping[str, str], inv: letters.Invitation) -> str:
    # The parents' letter has no jeugdige; every other letter gets the demo child (as the child's
    # letter does), so a template using `jeugdige` renders.
    jeugdige = None if name == letters.TEMPLATE_OUDERS else inv.jeugdigen[0]
    context = inv.context(jeugdige, templates)
    try:
        return letters._environment(templates).get_template(name).render(**context)
    except SecurityError as exc:
        raise letters.LetterError(f"dit sjabloon probeert iets wat niet is toegestaan ({exc})") from None
    except TemplateError as exc:
        where = f" (regel {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise letters.LetterError(f"dit sjabloon bevat een fout{where}: {_dutch(exc)}") from None


def _dutch(exc: TemplateError) -> str:
    if isinstance(exc, TemplateNotFound):
        return (f"'{exc.name}' bestaat niet; alleen de andere brieven en stijlbladen van de bundel "
                "kunnen worden ingevoegd")
    if isinstance(exc, UndefinedError):
        return f"een onbekende variabele of eigenschap ({exc.message}); zie letters/README.md"
    return str(exc.message or exc)


def render(name: str, templates: Mapping[str, str]) -> str:
    """The HTML of letter `name` for the demo family, from the given letter texts only."""
    if not templates or name not in templates:
        raise letters.LetterError(f"de brief '{name}' bestaat niet in deze bundel")
    return _render(name, dict(templates), demo_invitation())


def preview_name(name: str) -> str:
    """The letter a file is shown in: a stylesheet in the parents' letter."""
    return letters.TEMPLATE_OUDERS if not name.endswith(".html.j2") else name


def letter_problems(tree: SourceTree, bundles=None) -> list[Problem]:
    """A problem per letter template that does not render for the demo family, in both variants
    (a first invitation, and a corrected one in P4) so a mistake in either branch is caught."""
    templates = tree.letters()
    problems = []
    for name in sorted(n for n in templates if n.endswith(".html.j2")):
        for inv in (demo_invitation(), demo_invitation(corrected=True, rvdk=True)):
            try:
                _render(name, templates, inv)
            except letters.LetterError as exc:
                problems.append(Problem(f"letters/{name}", None, str(exc)))
                break
    return problems
