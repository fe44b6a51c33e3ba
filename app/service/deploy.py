"""Deploying `processes/`: check every diagram, store a new version only where content changed.

All files are parsed together (call activities refer across files). A version of a process is
identified by the hash of its own file and of every process it calls, so a change in a shared
sub-process gives the callers a new version too, while running cases stay on theirs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.engine.checks import Problem, check_diagram
from app.engine.diagram import starter_roles
from app.engine.parser import ValidationException, VhtParser
from app.engine.serializer import serializer
from app.formdefs import FormRegistry
from persistence.models import ProcessVersion

from .errors import DeployRefused


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: int
    file_name: str
    new: bool


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
                problems.append(Problem(bundle.file_name, where, "gebruikerstaak zonder camunda:formKey"))
            elif key not in forms:
                problems.append(Problem(bundle.file_name, where, f"formulier '{key}' bestaat niet in forms/"))
            if not ext.get("candidateGroups") and not ext.get("assignee"):
                problems.append(Problem(bundle.file_name, where, "gebruikerstaak zonder camunda:candidateGroups (rol)"))
        if isinstance(task_spec, StartEvent) and ext.get("formKey") and ext["formKey"] not in forms:
            problems.append(Problem(bundle.file_name, where, f"startformulier '{ext['formKey']}' bestaat niet"))
        definition = getattr(task_spec, "event_definition", None)
        if (isinstance(task_spec, CatchingEvent) and isinstance(definition, MessageEventDefinition)
                and not isinstance(task_spec, StartEvent)):
            key = f"bericht_{definition.name}"
            if key not in forms:
                problems.append(Problem(bundle.file_name, where, f"bericht '{definition.name}' heeft geen formulier forms/{key}.json"))
    return problems


def parse_folder(folder: Path, forms: FormRegistry) -> list[ParsedBundle]:
    """Every process in `folder`, parsed and checked; DeployRefused lists all problems at once."""
    files = sorted(Path(folder).glob("*.bpmn"))
    if not files:
        raise DeployRefused([Problem(str(folder), None, "geen .bpmn-bestanden gevonden")])
    problems: list[Problem] = []
    contents = {}
    for path in files:
        xml = path.read_bytes()
        contents[path.name] = xml
        problems.extend(check_diagram(xml, path.name))
    if problems:
        raise DeployRefused(problems)

    parser = VhtParser(validator=BpmnValidator())
    owner: dict[str, str] = {}
    for name, xml in contents.items():
        try:
            before = set(parser.get_process_ids())
            parser.add_bpmn_str(xml, filename=name)
            for pid in set(parser.get_process_ids()) - before:
                owner[pid] = name
        except ValidationException as exc:
            problems.append(Problem(name, getattr(exc, "id", None), str(exc).splitlines()[0]))
    if problems:
        raise DeployRefused(problems)

    bundles = []
    for pid in sorted(owner):
        name = owner[pid]
        try:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
        except ValidationException as exc:
            problems.append(Problem(name, getattr(exc, "id", None), str(exc).splitlines()[0]))
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
        )
        if start_form and not bundle.start_roles:
            problems.append(Problem(name, pid, "een procedure met een startformulier heeft "
                                               "camunda:candidateStarterGroups nodig (wie mag haar starten)"))
        problems.extend(_form_problems(bundle, forms))
        bundles.append(bundle)
    if problems:
        raise DeployRefused(problems)
    return bundles


def deploy(session: Session, folder: Path, forms: FormRegistry, actor: str, now) -> list[Deployed]:
    result = []
    bundles = parse_folder(folder, forms)
    shas = {b.process_id: b.sha256 for b in bundles}
    for bundle in bundles:
        latest = session.scalars(
            select(ProcessVersion).where(ProcessVersion.process_id == bundle.process_id)
            .order_by(ProcessVersion.version.desc()).limit(1)
        ).first()
        if latest is not None and latest.bundle_sha256 == bundle.bundle_sha256:
            result.append(Deployed(bundle.process_id, latest.version, bundle.file_name, new=False))
            continue
        number = (session.scalar(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == bundle.process_id)
        ) or 0) + 1
        session.add(ProcessVersion(
            process_id=bundle.process_id, version=number, file_name=bundle.file_name, name=bundle.name,
            xml=bundle.xml, sha256=bundle.sha256, bundle_sha256=bundle.bundle_sha256,
            spec_json=serializer().dump_specs(bundle.spec, bundle.subprocess_specs),
            start_form=bundle.start_form, start_role=",".join(bundle.start_roles) or None,
            called_processes=bundle.called, called_sha256={p: shas[p] for p in bundle.called},
            deployed_at=now, deployed_by=actor,
        ))
        result.append(Deployed(bundle.process_id, number, bundle.file_name, new=True))
    return result
