"""Deploying a bundle: check everything, store a new version only where the content changed.

A bundle is a source tree (bundle.py): the diagrams, the forms, the parameters and the letter
templates. All diagrams are parsed together (call activities refer across files). A version of a
process is identified by the canonical content of its own diagram and every diagram it calls
(the semantic XML, not the layout or the bytes), the forms they use, the parameters and the
letters: so a change in a shared sub-process or a form gives the callers a new version too,
an open-and-save with no change gives none, and running cases stay on the version they started
on, with that version's forms, parameters and letters.

Deploying content equal to an older version is never a silent rollback: it is refused unless the
deploy says "terugzetten" (restore), with a reason like any deploy.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.engine.canonical import diagram_identity, json_identity, text_identity
from app.engine.checks import Problem, check_diagram
from app.engine.engine_messages import dutch
from app.engine.flowcheck import check_bundle
from app.engine.diagram import starter_roles
from app.engine.parser import ValidationException, VhtParser
from app.engine.serializer import serializer
from app.formdefs import FormDefinitionError, FormRegistry
from persistence.models import Deployment, ProcessDefault, ProcessVersion

from . import bundle as bundle_mod
from . import checkpoints
from .bundle import SourceTree
from .errors import DeployRefused
from .users import CASE_ROLES

MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: int
    file_name: str
    new: bool
    status: str = ""  # nieuw | gewijzigd | geen_wijziging | teruggezet
    teruggezet_van: int | None = None


@dataclass(frozen=True)
class PlanItem:
    """What deploying a tree would do to one process."""
    process_id: str
    file_name: str
    name: str | None
    status: str  # nieuw | gewijzigd | geen_wijziging | gelijk_aan_oudere
    current_version: int | None
    equal_to: int | None  # gelijk_aan_oudere: the older version with this content
    changes: dict = field(default_factory=dict)  # forms/parameters/letters changed against current

    @property
    def label(self) -> str:
        return {"nieuw": "nieuwe procedure", "gewijzigd": f"nieuwe versie (nu v{self.current_version})",
                "geen_wijziging": "geen wijziging",
                "gelijk_aan_oudere": f"gelijk aan oudere versie {self.equal_to}: alleen met terugzetten"}[self.status]


@dataclass
class ParsedBundle:
    process_id: str
    file_name: str
    name: str | None
    xml: str
    sha256: str
    bundle_sha256: str
    spec: object
    subprocess_specs: dict
    start_form: str | None
    start_roles: list[str]
    called: list[str]
    identity: str = ""
    forms_used: list[str] = field(default_factory=list)


def _sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def _form_problems(bundle: ParsedBundle, forms: FormRegistry) -> list[Problem]:
    problems = []
    for task_spec in bundle.spec.task_specs.values():
        where = f"{task_spec.bpmn_id} '{task_spec.bpmn_name}'" if task_spec.bpmn_id else None
        ext = getattr(task_spec, "extensions", None) or {}
        if isinstance(task_spec, UserTaskMixin):
            key = ext.get("formKey")
            if not key:
                problems.append(Problem(bundle.file_name, where, "gebruikerstaak zonder camunda:formKey", task_spec.bpmn_id))
            elif key not in forms:
                problems.append(Problem(bundle.file_name, where, f"formulier '{key}' bestaat niet in forms/", task_spec.bpmn_id))
            if not ext.get("candidateGroups") and not ext.get("assignee"):
                problems.append(Problem(bundle.file_name, where, "gebruikerstaak zonder camunda:candidateGroups (rol)", task_spec.bpmn_id))
        if isinstance(task_spec, StartEvent) and ext.get("formKey") and ext["formKey"] not in forms:
            problems.append(Problem(bundle.file_name, where, f"startformulier '{ext['formKey']}' bestaat niet", task_spec.bpmn_id))
        definition = getattr(task_spec, "event_definition", None)
        if (isinstance(task_spec, CatchingEvent) and isinstance(definition, MessageEventDefinition)
                and not isinstance(task_spec, StartEvent)):
            key = f"bericht_{definition.name}"
            if key not in forms:
                problems.append(Problem(bundle.file_name, where, f"bericht '{definition.name}' heeft geen formulier forms/{key}.json", task_spec.bpmn_id))
    return problems


def used_forms(spec, subprocess_specs) -> list[str]:
    """The form keys a process and the processes it calls use: task and start forms, and the
    forms of the messages they wait for."""
    keys = set()
    for one in [spec, *subprocess_specs.values()]:
        for task_spec in one.task_specs.values():
            ext = getattr(task_spec, "extensions", None) or {}
            if isinstance(task_spec, (UserTaskMixin, StartEvent)) and ext.get("formKey"):
                keys.add(ext["formKey"])
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(task_spec, CatchingEvent) and isinstance(definition, MessageEventDefinition):
                keys.add(f"bericht_{definition.name}")
    return sorted(keys)


def _parameter_problems(tree: SourceTree) -> list[Problem]:
    try:
        parameters = tree.parameters()
        if not isinstance(parameters, dict):
            raise ValueError("verwacht een object met instellingen")
        for day in parameters.get("extra_sluitingsdagen", []):
            date.fromisoformat(day)
    except (ValueError, TypeError) as exc:
        return [Problem(bundle_mod.PARAMETERS, None, f"ongeldig: {exc} (extra_sluitingsdagen is een lijst van "
                                                     "datums JJJJ-MM-DD)")]
    return []


def parse_folder(folder: Path, forms: FormRegistry) -> list[ParsedBundle]:
    """Every process in `folder`, parsed and checked with `forms`; DeployRefused lists all problems."""
    contents = {path.name: path.read_bytes() for path in sorted(Path(folder).glob("*.bpmn"))}
    if not contents:
        raise DeployRefused([Problem(str(folder), None, "geen .bpmn-bestanden gevonden")])
    return parse_contents(contents, forms)


def parse_tree(tree: SourceTree) -> list[ParsedBundle]:
    """Every process of a bundle, parsed and checked, with its identity; DeployRefused lists all
    problems of the diagrams, forms and parameters at once."""
    problems = _parameter_problems(tree)
    try:
        forms = tree.forms()
    except FormDefinitionError as exc:
        problems.append(Problem("forms/", None, str(exc)))
        forms = None
    contents = tree.diagrams()
    if not contents:
        problems.append(Problem("processes/", None, "geen .bpmn-bestanden gevonden"))
    if problems:
        raise DeployRefused(problems)
    bundles = parse_contents(contents, forms, tree.parameters())
    form_sources = tree.form_sources()
    parameters = json_identity(tree.files.get(bundle_mod.PARAMETERS) or "{}")
    letters = {name: text_identity(text) for name, text in tree.letters().items()}
    diagram_ids = {name: diagram_identity(xml) for name, xml in contents.items()}
    files = {b.process_id: b.file_name for b in bundles}
    for item in bundles:
        item.identity = hashlib.sha256(json.dumps({
            "diagrams": {p: diagram_ids[files[p]] for p in [item.process_id, *item.called]},
            "forms": {k: json_identity(form_sources[k]) for k in item.forms_used},
            "parameters": parameters, "letters": letters,
        }, sort_keys=True).encode()).hexdigest()
    return bundles


def parse_contents(contents: dict[str, bytes], forms: FormRegistry, parameters: dict | None = None) -> list[ParsedBundle]:
    """With `parameters` (a whole bundle) also the checks that prevent stuck cases: roles, data
    flow, gateways that can leave no way out, deadlines that disagree (flowcheck.py)."""
    problems: list[Problem] = []
    for name, xml in contents.items():
        problems.extend(check_diagram(xml, name))
    if problems:
        raise DeployRefused(problems)
    if parameters is not None and forms is not None:
        # Reported together with the engine's and the forms' problems below: all at once.
        problems.extend(check_bundle(contents, forms, parameters, CASE_ROLES))

    parser = VhtParser(validator=BpmnValidator())
    owner: dict[str, str] = {}
    unparsed = False
    for name, xml in contents.items():
        try:
            before = set(parser.get_process_ids())
            parser.add_bpmn_str(xml, filename=name)
            for pid in set(parser.get_process_ids()) - before:
                owner[pid] = name
        except ValidationException as exc:
            unparsed = True
            problems.append(Problem(name, getattr(exc, "id", None), dutch(exc), getattr(exc, "id", None)))
    if unparsed:
        raise DeployRefused(problems)

    bundles = []
    for pid in sorted(owner):
        name = owner[pid]
        try:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
        except ValidationException as exc:
            problems.append(Problem(name, getattr(exc, "id", None), dutch(exc), getattr(exc, "id", None)))
            continue
        # Embedded sub-processes are in the same file; only other files' processes are "called".
        called = sorted(p for p in subs if p in owner)
        bundle_hash = _sha("|".join(f"{p}:{_sha(contents[owner[p]])}" for p in [pid, *called]).encode())
        start_form = next(
            ((ts.extensions or {}).get("formKey") for ts in spec.task_specs.values() if isinstance(ts, StartEvent)),
            None,
        )
        bundle = ParsedBundle(
            process_id=pid, file_name=name, name=spec.description if spec.description != pid else None,
            xml=contents[name].decode("utf-8"), sha256=_sha(contents[name]), bundle_sha256=bundle_hash,
            spec=spec, subprocess_specs=subs, start_form=start_form,
            start_roles=starter_roles(contents[name], pid), called=called,
            forms_used=used_forms(spec, subs),
        )
        if start_form and not bundle.start_roles:
            problems.append(Problem(name, pid, "een procedure met een startformulier heeft "
                                               "camunda:candidateStarterGroups nodig (wie mag haar starten)", pid))
        if forms is not None:
            problems.extend(_form_problems(bundle, forms))
        bundles.append(bundle)
    if problems:
        raise DeployRefused(problems)
    return bundles


def _versions(session: Session, process_id: str) -> list[ProcessVersion]:
    return session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                           .order_by(ProcessVersion.version)).all()


def bundle_changes(before: ProcessVersion | None, forms: dict, parameters_sha: str | None, letters: dict) -> dict:
    """Which forms, parameters and letters differ between a version and a (planned) bundle."""
    if before is None or before.forms is None:
        return {}
    old_forms, old_letters = before.forms or {}, before.letters or {}
    return {
        "formulieren": sorted(k for k in set(old_forms) | set(forms) if old_forms.get(k) != forms.get(k)),
        "parameters": before.parameters_sha256 != parameters_sha,
        "brieven": sorted(k for k in set(old_letters) | set(letters) if old_letters.get(k) != letters.get(k)),
    }


def _bundle_shas(tree: SourceTree, parsed: ParsedBundle) -> tuple[dict, str | None, dict]:
    forms = {k: bundle_mod.sha(tree.files[f"forms/{k}.json"]) for k in parsed.forms_used}
    parameters = tree.files.get(bundle_mod.PARAMETERS)
    letters = {name: bundle_mod.sha(text) for name, text in tree.letters().items()}
    return forms, bundle_mod.sha(parameters) if parameters is not None else None, letters


def plan(session: Session, tree: SourceTree, bundles: list[ParsedBundle] | None = None) -> list[PlanItem]:
    """What deploying `tree` would do, per process, without writing anything."""
    items = []
    bundles = bundles if bundles is not None else parse_tree(tree)
    files = {b.process_id: b.file_name for b in bundles}
    for parsed in bundles:
        versions = _versions(session, parsed.process_id)
        latest = versions[-1] if versions else None
        if latest is None:
            status, equal = "nieuw", None
        elif latest.identity_sha256 == parsed.identity:
            status, equal = "geen_wijziging", None
        else:
            older = next((v for v in reversed(versions) if v.identity_sha256 == parsed.identity), None)
            status, equal = ("gelijk_aan_oudere", older.version) if older else ("gewijzigd", None)
        forms, parameters, letters = _bundle_shas(tree, parsed)
        changes = {}
        if status != "geen_wijziging" and latest is not None:
            changes = {**bundle_changes(latest, forms, parameters, letters),
                       "diagrammen": _changed_diagrams(session, latest, parsed, tree, files)}
        items.append(PlanItem(parsed.process_id, parsed.file_name, parsed.name, status,
                              latest.version if latest else None, equal, changes))
    return items


def _changed_diagrams(session: Session, latest: ProcessVersion, parsed: ParsedBundle, tree: SourceTree,
                      files: dict[str, str]) -> list[str]:
    """The processes (this one or one it calls) whose diagram means something else than in `latest`."""
    diagrams = tree.diagrams()
    before = {parsed.process_id: latest.xml}
    for called, digest in (latest.called_sha256 or {}).items():
        row = session.scalars(select(ProcessVersion.xml).where(ProcessVersion.process_id == called,
                                                               ProcessVersion.sha256 == digest).limit(1)).first()
        before[called] = row
    changed = []
    for pid in [parsed.process_id, *parsed.called]:
        old, name = before.get(pid), files.get(pid)
        if old is None or name is None or diagram_identity(old) != diagram_identity(diagrams[name]):
            changed.append(pid)
    return changed


def check_reason(reden: str | None) -> str:
    reden = (reden or "").strip()
    if not reden:
        raise DeployRefused([Problem("deploy", None, "geef een reden op: waarom deze versie? (bijvoorbeeld "
                                                     "\"termijn uitnodiging naar 10 werkdagen, besluit regio-overleg 3-12\")")],
                            "Er is niets in gebruik genomen:")
    if len(reden) > MAX_REASON_CHARS:
        raise DeployRefused([Problem("deploy", None, f"de reden is te lang (meer dan {MAX_REASON_CHARS} tekens)")],
                            "Er is niets in gebruik genomen:")
    return reden


def deploy_tree(session: Session, tree: SourceTree, actor: str, reden: str | None, now, *,
                terugzetten: bool = False, checks=None) -> list[Deployed]:
    """Check `tree`, then store a new version of every process whose content changed, all in the
    caller's transaction. `checks(tree, bundles)` may add problems (scenarios) that refuse it."""
    bundles = parse_tree(tree)
    if checks is not None:
        extra = checks(tree, bundles)
        if extra:
            raise DeployRefused(extra)
    items = {item.process_id: item for item in plan(session, tree, bundles)}
    older = [item for item in items.values() if item.status == "gelijk_aan_oudere"]
    if older and not terugzetten:
        raise DeployRefused([Problem(item.file_name, item.process_id,
                                     f"de inhoud is gelijk aan versie {item.equal_to}, ouder dan de huidige versie "
                                     f"{item.current_version}. Dit zou stil terugzetten: kies uitdrukkelijk "
                                     f"'terugzetten naar versie {item.equal_to}' (vht deploy --terugzetten) met een reden, "
                                     "of werk eerst bij vanaf de huidige versie.", item.process_id)
                             for item in older], "Er is niets in gebruik genomen:")
    changed = [b for b in bundles if items[b.process_id].status != "geen_wijziging"]
    result = [Deployed(b.process_id, items[b.process_id].current_version, b.file_name, new=False, status="geen_wijziging")
              for b in bundles if items[b.process_id].status == "geen_wijziging"]
    if not changed:
        return result
    reden = check_reason(reden)
    shas = bundle_mod.store(session, tree.files)
    deployment = Deployment(deployed_at=now, deployed_by=actor, reden=reden, files=shas, samenvatting=[])
    session.add(deployment)
    session.flush()
    all_shas = {b.process_id: b.sha256 for b in bundles}
    summary = []
    for parsed in changed:
        item = items[parsed.process_id]
        number = (item.current_version or 0) + 1
        forms, parameters, letters = _bundle_shas(tree, parsed)
        restored = item.equal_to if item.status == "gelijk_aan_oudere" else None
        session.add(ProcessVersion(
            process_id=parsed.process_id, version=number, file_name=parsed.file_name, name=parsed.name,
            xml=parsed.xml, sha256=parsed.sha256, bundle_sha256=parsed.bundle_sha256,
            spec_json=serializer().dump_specs(parsed.spec, parsed.subprocess_specs),
            start_form=parsed.start_form, start_role=",".join(parsed.start_roles) or None,
            called_processes=parsed.called, called_sha256={p: all_shas[p] for p in parsed.called},
            deployed_at=now, deployed_by=actor, identity_sha256=parsed.identity, deployment_id=deployment.id,
            reden=reden, teruggezet_van=restored, forms=forms, parameters_sha256=parameters, letters=letters,
        ))
        # The new version is what new cases start on; an earlier explicit choice no longer holds.
        default = session.get(ProcessDefault, parsed.process_id)
        if default is not None:
            session.delete(default)
        status = "teruggezet" if restored else ("nieuw" if item.status == "nieuw" else "gewijzigd")
        summary.append({"process_id": parsed.process_id, "version": number, "status": status,
                        "teruggezet_van": restored})
        result.append(Deployed(parsed.process_id, number, parsed.file_name, new=True, status=status,
                               teruggezet_van=restored))
    deployment.samenvatting = summary
    session.flush()
    # Every deployment anchors the chain heads outside the database (after the commit: the new seal).
    session.info.setdefault("after_commit", []).append(
        lambda ctx: checkpoints.write_now(ctx, f"deployment {deployment.id} door {actor}"))
    return sorted(result, key=lambda d: d.process_id)
