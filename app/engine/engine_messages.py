"""Dutch text for the engine's and the BPMN schema validator's English messages at deploy.

A process owner who uploads a diagram meets SpiffWorkflow's ValidationException (its parser) and
the XSD validator's messages (BpmnValidator, libxml2 wording) in English. `dutch(exc)` translates
the ones a process owner can trigger, found by experiment (a flow to a missing element, an
unknown calledElement, a duplicate or invalid id, a misplaced element, a missing attribute, ...),
and keeps the original in parentheses for anything it does not know, so nothing is lost.
"""
from __future__ import annotations

import re

from lxml import etree

from .expressions import ExpressieFout

ELEMENTS = {
    "userTask": "gebruikerstaak", "task": "taak", "manualTask": "handmatige taak", "scriptTask": "scripttaak",
    "serviceTask": "servicetaak", "sendTask": "verzendtaak", "receiveTask": "ontvangsttaak",
    "callActivity": "aanroepactiviteit", "subProcess": "deelproces", "process": "proces",
    "startEvent": "startgebeurtenis", "endEvent": "eindgebeurtenis", "boundaryEvent": "randgebeurtenis",
    "intermediateCatchEvent": "tussengebeurtenis (wachten)", "intermediateThrowEvent": "tussengebeurtenis (sturen)",
    "exclusiveGateway": "exclusieve gateway", "inclusiveGateway": "inclusieve gateway",
    "parallelGateway": "parallelle gateway", "eventBasedGateway": "gebeurtenisgateway",
    "sequenceFlow": "pijl (sequenceFlow)", "message": "bericht", "definitions": "definitions",
    "collaboration": "samenwerking", "participant": "deelnemer (pool)", "lane": "baan (lane)",
    "laneSet": "banen", "conditionExpression": "voorwaarde", "timerEventDefinition": "timer",
    "messageEventDefinition": "berichtdefinitie", "documentation": "documentatie",
    "extensionElements": "extensionElements", "incoming": "incoming", "outgoing": "outgoing",
}

_ELEMENT = r"Element '(?:\{[^}]*\})?(?P<tag>[\w.-]+)'"


def _element(tag: str) -> str:
    return f"{ELEMENTS[tag]} <{tag}>" if tag in ELEMENTS else f"<{tag}>"


def _names(listing: str) -> str:
    tags = re.findall(r"(?:\{[^}]*\})?([\w.-]+)", listing)
    return ", ".join(dict.fromkeys(tags))


def _type(xs: str) -> str:
    return {"xs:boolean": "true of false", "xs:integer": "een geheel getal", "xs:ID": "een uniek id dat met een "
            "letter of _ begint", "xs:IDREF": "het id van een bestaand element", "xs:QName": "een id",
            "xs:anyURI": "een adres (URI)"}.get(xs, xs)


# (pattern, Dutch template): the template is formatted with the match's named groups.
_RULES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"When looking for a task spec, we found two items, perhaps a form has the same ID\? \((?P<id>[^)]*)\)"),
     "er bestaat geen element met id '{id}' waar een pijl naartoe wijst (of twee elementen delen dat id); "
     "verbind de pijl met een bestaand element of herstel het id"),
    (re.compile(r"No start event found"),
     "het proces heeft geen startgebeurtenis; voeg een startgebeurtenis toe met een pijl naar de eerste stap"),
    (re.compile(r"The process '(?P<id>[^']*)' was not found\.(?: Did you mean one of the following: (?P<opts>.*?)\?)?"),
     lambda m: (f"het aangeroepen proces '{m['id']}' bestaat niet in de uitrol"
                + (f"; bedoelt u {', '.join(repr(o.strip()) for o in m['opts'].split(','))}?" if m["opts"] else "")
                + " Controleer calledElement van de aanroepactiviteit of voeg het diagram van dat proces toe")),
    (re.compile(r"Process (?P<id>\S+) is not executable"),
     "proces '{id}' is niet uitvoerbaar gemarkeerd; zet isExecutable=\"true\" (in de modeler: 'Executable' aanvinken)"),
    (re.compile(r"Non-default exclusive outgoing sequence flow without condition"),
     "een uitgaande pijl van een exclusieve gateway heeft geen voorwaarde en is niet het standaardpad; "
     "geef de pijl een voorwaarde of maak hem het standaardpad (default)"),
    (re.compile(r"Duplicate process ID: (?P<id>\S+)"),
     "het proces-id '{id}' komt in meer dan één diagram voor; geef elk proces een eigen id"),
    (re.compile(r"Exactly one start event is required in a SubWorkflow Task; found (?P<n>\d+)"),
     "een deelproces moet precies één startgebeurtenis hebben; er zijn er {n}"),
    (re.compile(r"A SubWorkflow Must contain an End event"),
     "een deelproces moet een eindgebeurtenis hebben; voeg er een toe"),
    (re.compile(r"Could not find messageRef from message event definition: (?P<id>\S+)"),
     "de berichtgebeurtenis '{id}' verwijst naar een bericht dat niet bestaat; kies een bericht (messageRef)"),
    (re.compile(r"(?P<what>Message|Signal|Error|Escalation|Correlation) identifier is missing from bpmn xml"),
     lambda m: f"een {dict(Message='bericht', Signal='signaal', Error='fout', Escalation='escalatie', Correlation='correlatie')[m['what']]}"
               "definitie mist haar id; kies in de modeler een bestaand item of geef het een id"),
    (re.compile(r"Invalid Script Task\.\s+No Script Provided"),
     "scripttaken zijn niet toegestaan; vervang de scripttaak door een gewone taak of een gebruikerstaak"),
    (re.compile(r"Time Specification Error|Unknown Time Specification"),
     "de timer heeft geen tijd; vul een datum (timeDate), duur (timeDuration) of herhaling (timeCycle) in"),
    (re.compile(r"Conditional event definition with missing condition"),
     "een voorwaardelijke gebeurtenis zonder voorwaarde; vul de voorwaarde in"),
    (re.compile(r"There is no support implemented for this task type"),
     "dit soort element wordt niet ondersteund; gebruik een gebruikerstaak, taak, gateway of gebeurtenis"),
    # XSD (BpmnValidator / libxml2)
    (re.compile(_ELEMENT + r", attribute 'id': '(?P<value>[^']*)' is not a valid value of the atomic type 'xs:ID'"),
     lambda m: (f"het id '{m['value']}' van {_element(m['tag'])} is ongeldig of komt twee keer voor; een id is uniek "
                f"in het bestand en begint met een letter of _ (geen spaties)")),
    (re.compile(_ELEMENT + r", attribute '(?P<attr>[^']*)': '(?P<value>[^']*)' is not a valid value of the "
                           r"(?:atomic|list) type '(?P<xs>[^']*)'"),
     lambda m: f"'{m['value']}' is geen geldige waarde voor {m['attr']} van {_element(m['tag'])}; verwacht: {_type(m['xs'])}"),
    (re.compile(_ELEMENT + r": The attribute '(?P<attr>[^']*)' is required but missing"),
     lambda m: f"{_element(m['tag'])} mist het verplichte attribuut '{m['attr']}'; vul het in"),
    (re.compile(_ELEMENT + r", attribute '(?P<attr>[^']*)': The attribute '[^']*' is not allowed"),
     lambda m: f"het attribuut '{m['attr']}' is niet toegestaan op {_element(m['tag'])}; verwijder het"),
    (re.compile(_ELEMENT + r": This element is not expected\.(?: Expected is(?: one of)? \( (?P<exp>.*?) \))?"),
     lambda m: (f"{_element(m['tag'])} staat hier niet op een toegestane plaats (of in de verkeerde volgorde)"
                + (f"; hier verwacht: {_names(m['exp'])}" if m["exp"] else "")
                + ". Verplaats of verwijder het element (een modeler schrijft de juiste volgorde)")),
    (re.compile(_ELEMENT + r": Missing child element\(s\)\.(?: Expected is(?: one of)? \( (?P<exp>.*?) \))?"),
     lambda m: f"in {_element(m['tag'])} ontbreekt een verplicht onderdeel" + (f": {_names(m['exp'])}" if m["exp"] else "")),
    (re.compile(_ELEMENT + r": \[facet '(?P<facet>[^']*)'\] The value '(?P<value>[^']*)'"),
     lambda m: f"de waarde '{m['value']}' in {_element(m['tag'])} is niet toegestaan"),
    (re.compile(r"No matching global declaration available for the validation root"),
     "dit is geen BPMN-bestand: het hoofdelement moet bpmn:definitions zijn (namespace "
     "http://www.omg.org/spec/BPMN/20100524/MODEL)"),
]


def _first_line(exc: Exception) -> str:
    text = str(exc.args[0]) if getattr(exc, "args", None) and isinstance(exc.args[0], str) else str(exc)
    return text.strip().splitlines()[0].strip() if text.strip() else type(exc).__name__


def dutch(exc: Exception) -> str:
    """One Dutch sentence for a deploy-time engine or schema error; unknown ones keep the original."""
    if isinstance(exc, ExpressieFout):
        return str(exc)  # already Dutch, for the process owner
    if isinstance(exc, etree.XMLSyntaxError):
        line = f" (regel {exc.lineno})" if getattr(exc, "lineno", None) else ""
        return f"geen geldige XML{line}; sla het bestand opnieuw op vanuit de modeler ({_first_line(exc)})"
    original = _first_line(exc).rstrip(". ")
    message = None
    for pattern, template in _RULES:
        m = pattern.search(original)
        if m:
            message = template(m) if callable(template) else template.format(**m.groupdict())
            break
    if message is None:
        message = f"de engine weigert het diagram; zie de oorspronkelijke melding ({original})"
    where = []
    if getattr(exc, "id", None):
        where.append(f"element '{exc.id}'")
    if getattr(exc, "line_number", None):
        where.append(f"regel {exc.line_number}")
    return message + (f" [{', '.join(where)}]" if where else "")


__all__ = ["dutch"]
