"""Checks over a whole bundle of diagrams that stop a deploy which would get cases stuck.

`check_diagram` (checks.py) looks at one file's expressions in isolation. These checks look at the
bundle as cases will run it: roles that exist, names that are there when an expression reads them
(dataflow.py), gateways that always have a way out, deadlines that agree with their timers,
called processes that exist, and JUEL words a Camunda user types out of habit. Each problem says
in Dutch what is wrong and how to fix it, at the element.
"""
from __future__ import annotations

import difflib
import re
from datetime import date, datetime, timedelta, timezone
from itertools import combinations
from typing import Iterable

from lxml import etree

from . import clock
from .checks import Problem, _element_label
from .dataflow import (
    Bundle, Data, ReadSite, analyse_process, camunda, form_data, local, q, reads_of,
)
from .expressions import ExpressieFout, evaluate, strip_placeholder
from .helpers import HELPER_NAMES, make_helpers
from .werkdagen import WerkdagKalender

# What the product puts into every case at a start (app/service/cases.py start_instance).
START_NAMES = frozenset({"inbrenger", "casus_referentie", "instellingen"})
# Defaults a start adds before the form's values (cases.py START_DEFAULTS).
START_DEFAULTS = {"p5_warme_overdracht": frozenset({"maatregel"})}
# Values the product adds when a form is completed (app/service/task_rules.py apply).
FORM_HOOKS = {"p0_cab_houden": frozenset({"cab_gehouden_op"})}
# Processes the product starts by itself, with the case's start data (case.gegevens) plus these
# names: vht_vervolg.py starts p7, achttien.py starts p6 (next to its own start form).
PRODUCT_STARTS = {
    "p7_vht_vervolg": frozenset({"terug_naar_vht_vanuit"}),
    "p6_achttien_min_plus": frozenset({"maatregel", "jeugdigen", "gi_gebruiker"}),
}

# JUEL (Camunda) words and what to write in this expression language instead.
JUEL_WORDS = {"true": "True", "false": "False", "null": "None", "eq": "==", "ne": "!=", "lt": "<",
              "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
JUEL_OPERATORS = {"&&": "and", "||": "or"}
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_WORD = re.compile(r"(?<![\w.'\"])([A-Za-z_]\w*)")

SAMPLE_DAYS = (date(2026, 3, 2), date(2026, 6, 17), date(2026, 12, 24))


def check_bundle(contents: dict[str, bytes], forms, parameters: dict, roles: Iterable[str]) -> list[Problem]:
    """All problems of the bundle `contents` (file name -> BPMN XML), given its forms, the
    parameters (processes/parameters.json as a dict) and the known case roles."""
    roles = sorted(set(roles))
    roots = {}
    for name, xml in contents.items():
        try:
            roots[name] = etree.fromstring(xml)
        except etree.XMLSyntaxError:
            continue  # check_diagram reports it
    problems: list[Problem] = []
    seen: set = set()

    def add(file, node, message):
        key = (file, node.get("id") if node is not None else None, message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(file, _element_label(node) if node is not None else None, message,
                                    node.get("id") if node is not None else None))

    processes = {}
    for file, root in roots.items():
        for process in root.iter(q("process")):
            processes[process.get("id")] = (file, process)

    _check_roles(roots, roles, add)
    _check_called(roots, processes, add)
    _check_juel(roots, add)

    bundle = _bundle(roots, processes, forms)
    _run_dataflow(bundle, roots, processes, forms, add)
    fields = _field_index(forms)
    _check_gateways(bundle, roots, fields, parameters, add)
    _check_deadlines(roots, fields, parameters, add)
    return problems


# --- 1. roles -----------------------------------------------------------------------------------

def _check_roles(roots, roles, add):
    for file, root in roots.items():
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            for attribute in ("candidateGroups", "candidateStarterGroups"):
                value = camunda(node, attribute)
                if value is None:
                    continue
                for group in (g.strip() for g in value.split(",")):
                    if not group or group in roles:
                        continue
                    close = difflib.get_close_matches(group, roles, n=1, cutoff=0.6)
                    hint = f"bedoelt u '{close[0]}'?" if close else f"kies een van: {', '.join(roles)}."
                    add(file, node, f"'{group}' is geen rol; {hint} Pas camunda:{attribute} aan.")


# --- 6. called processes --------------------------------------------------------------------------

def _check_called(roots, processes, add):
    for file, root in roots.items():
        for node in root.iter(q("callActivity")):
            called = node.get("calledElement")
            if not called:
                add(file, node, "aanroepactiviteit zonder calledElement; vul het id in van het "
                                "proces dat hier moet lopen")
            elif called not in processes:
                close = difflib.get_close_matches(called, list(processes), n=1, cutoff=0.6)
                hint = f"bedoelt u '{close[0]}'?" if close else "neem het diagram van dat proces op in de uitrol"
                add(file, node, f"roept proces '{called}' aan, maar dat zit niet in de uitrol; {hint}")
        # SpiffWorkflow accepts a flow from, or a boundary event on, an element that does not exist
        # and then silently never takes it.
        ids = {n.get("id") for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
        for flow in root.iter(q("sequenceFlow")):
            for attribute, role in (("sourceRef", "begint bij"), ("targetRef", "wijst naar")):
                if flow.get(attribute) and flow.get(attribute) not in ids:
                    add(file, flow, f"de pijl {role} '{flow.get(attribute)}', maar dat element bestaat niet; "
                                    f"verbind de pijl opnieuw in de modeler")
        for event in root.iter(q("boundaryEvent")):
            if event.get("attachedToRef") not in ids:
                add(file, event, f"de randgebeurtenis hangt aan '{event.get('attachedToRef')}', maar dat element "
                                 f"bestaat niet; zet haar op de rand van een taak of deelproces")


# --- 7. JUEL words --------------------------------------------------------------------------------

def expressions_of(root):
    """(element for the message, what, text) of every expression in a diagram."""
    for node in root.iter(q("conditionExpression")):
        yield node.getparent(), "voorwaarde", node.text or ""
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for node in root.iter(q(tag)):
            yield node.getparent().getparent(), "timer", node.text or ""
    for node in root.iter():
        if isinstance(node.tag, str):
            for attribute in ("dueDate", "assignee"):
                value = camunda(node, attribute)
                if value is not None:
                    yield node, f"camunda:{attribute}", value


def juel_words(text: str) -> list[tuple[str, str]]:
    """JUEL words in `text` (outside string literals) with the word to write instead."""
    bare = _STRING.sub("''", strip_placeholder(text))
    found = []
    for op, instead in JUEL_OPERATORS.items():
        if op in bare:
            found.append((op, instead))
    if re.search(r"!(?!=)", bare):
        found.append(("!", "not"))
    for m in _WORD.finditer(bare):
        word = m.group(1)
        if word == "empty":
            found.append((word, "x == None of x == [] of x == ''"))
        elif word in JUEL_WORDS:
            found.append((word, JUEL_WORDS[word]))
    return list(dict.fromkeys(found))


def _check_juel(roots, add):
    for file, root in roots.items():
        for node, what, text in expressions_of(root):
            for word, instead in juel_words(text):
                add(file, node, f"{what}: '{word}' is JUEL (Camunda) en bestaat niet in deze expressietaal; "
                                f"schrijf {instead} in plaats van {word}")


# --- 2/3. data flow --------------------------------------------------------------------------------

def _bundle(roots, processes, forms) -> Bundle:
    form_gen, message_gen = {}, {}
    for key in forms.keys():
        data = form_data(forms.get(key), FORM_HOOKS.get(key, frozenset()))
        if key.startswith("bericht_"):
            message_gen[key[len("bericht_"):]] = data
        form_gen[key] = data
    return Bundle(files=roots, processes=processes, form_gen=form_gen, message_gen=message_gen)


def _start_form(process) -> str | None:
    for start in process.iterchildren(q("startEvent")):
        if camunda(start, "formKey"):
            return camunda(start, "formKey")
    return None


def _run_dataflow(bundle: Bundle, roots, processes, forms, add):
    empty = Data(frozenset(), frozenset())
    form_starts = {}
    for pid, (_file, process) in processes.items():
        key = _start_form(process)
        if key and key in forms:
            form_starts[pid] = form_data(forms.get(key)) | Data(START_DEFAULTS.get(pid, frozenset()), frozenset())
    # What a case holds as its start data (case.gegevens), whichever procedure started it.
    gegevens = None
    for data in form_starts.values():
        gegevens = data if gegevens is None else gegevens.meet(data)
    gegevens = gegevens or empty
    base = Data(START_NAMES, frozenset())
    called = {node.get("calledElement") for root in roots.values() for node in root.iter(q("callActivity"))}

    for pid in sorted(processes):
        entries = []
        if pid in form_starts:
            entries.append(base | form_starts[pid])
        if pid in PRODUCT_STARTS:
            entries.append(base | gegevens | Data(PRODUCT_STARTS[pid], frozenset()))
        if not entries and pid not in called:
            entries.append(base)  # started some other way: only what every start adds is sure
        for entry in entries:
            analyse_process(bundle, pid, entry)

    for site in bundle.sites:
        _check_site(site, add)


def _check_site(site: ReadSite, add):
    reads = reads_of(site.text)
    if reads is None:
        return  # check_diagram reports expressions that do not parse
    there = site.data.must | site.data.may
    where = f" ({site.context})" if site.context else ""
    known = sorted(there - set(HELPER_NAMES))
    for name in sorted(reads.must | reads.guarded | reads.named):
        if name in HELPER_NAMES:
            add(site.file, site.node, f"{site.what}: '{name}' is een hulpfunctie; schrijf {name}(…)")
            continue
        if name in JUEL_WORDS:
            continue  # reported as JUEL
        quoted = name in reads.named and name not in reads.must | reads.guarded
        if name not in there:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
            hint = f" Bedoelt u '{close[0]}'?" if close else ""
            if quoted:
                add(site.file, site.node,
                    f"{site.what}: gekozen('{name}') leest een gegeven dat geen formulier vult, dus kiest "
                    f"nooit iemand{where}.{hint} Gebruik de naam van een personenkiezer-veld uit een eerder formulier.")
            else:
                add(site.file, site.node,
                    f"{site.what} leest '{name}', maar geen formulier, startgegeven of bericht vult dat "
                    f"gegeven vóór dit punt{where}; een zaak zou hier vastlopen met 'onbekend gegeven'.{hint} "
                    f"Gebruik de naam van een veld uit een eerder formulier of voeg dat veld toe.")
        elif name in reads.must and name not in site.data.must:
            add(site.file, site.node,
                f"{site.what} leest '{name}', maar dat gegeven is niet op elk pad hiernaartoe ingevuld{where} "
                f"(het veld is niet verplicht, staat onder show_if of wordt alleen op een ander pad "
                f"ingevuld). Maak het een verplicht veld van een formulier dat op elk pad hiervóór ligt, "
                f"of lees het pas na een controle met and/or die het andere geval afvangt.")


def _field_index(forms) -> dict[str, list]:
    index: dict[str, list] = {}
    for key in forms.keys():
        for spec in forms.get(key).fields:
            index.setdefault(spec.name, []).append(spec)
    return index


# --- 4. gateways ------------------------------------------------------------------------------------

def _domain(specs) -> list | None:
    """Every value a field can hold, if the check can list them (choice, yes/no, small multiple choice)."""
    values: list = []
    for spec in specs:
        if spec.type == "choice":
            values += [v for v, _label in spec.options]
        elif spec.type == "yes_no":
            values += [True, False]
        elif spec.type == "multiple_choice" and len(spec.options) <= 8:
            options = [v for v, _label in spec.options]
            values += [list(c) for r in range(len(options) + 1) for c in combinations(options, r)]
        else:
            return None
    return list({repr(v): v for v in values}.values())


def _describe(value) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list):
        return "[" + ", ".join(map(repr, value)) + "]"
    return repr(value)


def _check_gateways(bundle: Bundle, roots, fields, parameters, add):
    for file, root in roots.items():
        flows = {f.get("id"): f for f in root.iter(q("sequenceFlow"))}
        for kind in ("exclusiveGateway", "inclusiveGateway"):
            for gateway in root.iter(q(kind)):
                outgoing = [f for f in flows.values() if f.get("sourceRef") == gateway.get("id")]
                if len(outgoing) < 2 or gateway.get("default"):
                    continue
                conditions = [next(f.iterchildren(q("conditionExpression")), None) for f in outgoing]
                if any(c is None for c in conditions):
                    continue  # a flow without condition is always taken
                message = _coverage(gateway, [c.text or "" for c in conditions], fields, parameters)
                if message:
                    add(file, gateway, message)


def _coverage(gateway, texts, fields, parameters) -> str | None:
    label = gateway.get("name") or gateway.get("id")
    fix = "maak één uitgaande pijl het standaardpad (default) of voeg een voorwaarde toe"
    names = set()
    for text in texts:
        reads = reads_of(text)
        if reads is None:
            return None  # check_diagram reports it
        names |= reads.must | reads.guarded
    names -= {"instellingen"}
    if len(names) != 1:
        return (f"Gateway '{label}' heeft geen standaardpad en de check kan niet bewijzen dat de voorwaarden "
                f"elk geval dekken (ze lezen {', '.join(sorted(names)) or 'geen gegeven'}, niet precies één "
                f"keuzeveld); {fix}")
    name = names.pop()
    domain = _domain(fields.get(name, [])) if fields.get(name) else None
    if domain is None:
        return (f"Gateway '{label}' heeft geen standaardpad en '{name}' is geen keuze- of ja/nee-veld waarvan "
                f"de check alle antwoorden kent; {fix}")
    helpers = make_helpers(WerkdagKalender(), {"instellingen": parameters})
    missing = []
    for value in domain:
        context = {name: value, "instellingen": parameters}
        taken = False
        for text in texts:
            try:
                taken = bool(evaluate(text, context, helpers))
            except ExpressieFout:
                taken = False
            if taken:
                break
        if not taken:
            missing.append(value)
    if not missing:
        return None
    return (f"Gateway '{label}' heeft geen standaardpad en de voorwaarden dekken niet alle antwoorden van "
            f"'{name}' (ontbreekt: {', '.join(_describe(v) for v in missing[:5])}"
            f"{' …' if len(missing) > 5 else ''}); {fix}")


# --- 5. dueDate versus boundary timer -------------------------------------------------------------------

def _sample(spec, day: date):
    kind = spec.type
    if kind == "date":
        return day.isoformat()
    if kind == "datetime":
        return f"{day.isoformat()}T10:00"
    if kind == "number":
        return spec.min if spec.min is not None else 5
    if kind == "yes_no":
        return True
    if kind == "choice":
        return spec.options[0][0] if spec.options else ""
    if kind == "multiple_choice":
        return [v for v, _label in spec.options]
    if kind == "list":
        # A birth date about 17 years before the sample day: a minor turning 18 within the year.
        item_day = day.replace(year=day.year - 17) if not (day.month == 2 and day.day == 29) else day
        return [{s.name: _sample(s, item_day) for s in spec.item_fields}]
    if kind == "user":
        return ["gebruiker"] if getattr(spec, "multiple", False) else "gebruiker"
    return "tekst"


def _due_moment(value) -> datetime | None:
    from .runtime import _to_utc  # the engine's own reading of a dueDate
    return _to_utc(value)


def _timer_moment(tag: str, value, now: datetime) -> datetime | None:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    if tag == "timeDate":
        return TimerEventDefinition.parse_time_or_duration(value)
    if tag == "timeDuration":
        duration = TimerEventDefinition.parse_iso_duration(value)
        return now + TimerEventDefinition.get_timedelta_from_start(duration, now)
    return None  # a cycle repeats: it is no single deadline


def _check_deadlines(roots, fields, parameters, add):
    for file, root in roots.items():
        tasks = {t.get("id"): t for t in root.iter(q("userTask")) if camunda(t, "dueDate")}
        for boundary in root.iter(q("boundaryEvent")):
            task = tasks.get(boundary.get("attachedToRef"))
            timer = next(boundary.iterchildren(q("timerEventDefinition")), None)
            if task is None or timer is None:
                continue
            for node in timer:
                tag = local(node)
                if tag in ("timeDate", "timeDuration") and node.text:
                    message = _compare(task, boundary, tag, node.text, fields, parameters)
                    if message:
                        add(file, task, message)


def _compare(task, boundary, tag, timer_text, fields, parameters) -> str | None:
    due_text = camunda(task, "dueDate")
    names = set()
    for text in (due_text, timer_text):
        reads = reads_of(text)
        if reads is None:
            return None
        names |= reads.must | reads.guarded
    names -= {"instellingen"}
    if any(n not in fields for n in names):
        return None  # the data-flow check reports unknown names
    for day in SAMPLE_DAYS:
        context = {n: _sample(fields[n][0], day) for n in names}
        context["instellingen"] = parameters
        now = datetime(day.year, day.month, day.day, 9, 0, tzinfo=clock.TZ).astimezone(timezone.utc)
        try:
            with clock.active(clock.FixedClock(now)):
                helpers = make_helpers(WerkdagKalender(), context)
                due = _due_moment(evaluate(due_text, context, helpers))
                fires = _timer_moment(tag, evaluate(timer_text, context, helpers), now)
        except (ExpressieFout, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            return None  # cannot compare at this sample: the expression checks report real errors
        if due is None or fires is None:
            continue
        interrupting = boundary.get("cancelActivity") != "false"
        # A non-interrupting timer on a task with a dueDate is that deadline's alarm: it must be the
        # same moment. An interrupting timer withdraws the task: only firing before the deadline is wrong.
        if (fires < due - timedelta(seconds=1)) if interrupting else abs(due - fires) > timedelta(seconds=1):
            shown = ", ".join(f"{n} = {context[n]!r}" for n in sorted(names) if n != "instellingen")
            if interrupting:
                return (f"de timer '{boundary.get('name') or boundary.get('id')}' ({boundary.get('id')}, "
                        f"'{timer_text.strip()}') breekt de taak af op {_local(fires)}, vóór haar deadline "
                        f"(camunda:dueDate '{due_text}') op {_local(due)}" + (f" bij {shown}" if shown else "")
                        + "; zet de deadline op of vóór het moment van de timer, of maak de timer niet-onderbrekend")
            return (f"de deadline (camunda:dueDate '{due_text}') valt op {_local(due)}, maar de timer "
                    f"'{boundary.get('name') or boundary.get('id')}' ({boundary.get('id')}, '{timer_text.strip()}') "
                    f"gaat af op {_local(fires)}" + (f" bij {shown}" if shown else "")
                    + "; laat beide hetzelfde moment uitrekenen (zet dezelfde expressie in de dueDate en de timer)")
    return None


def _local(moment: datetime) -> str:
    return moment.astimezone(clock.TZ).strftime("%d-%m-%Y %H:%M")


__all__ = ["check_bundle", "juel_words", "START_NAMES", "FORM_HOOKS", "PRODUCT_STARTS", "START_DEFAULTS"]
