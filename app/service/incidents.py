"""Incidents: an engine failure while acting or firing a timer, kept for the beheerder.

The act that failed is rolled back as always; `recorded()` then writes the incident in a short
transaction of its own (so it survives that rollback), mails the beheerders about a new one, and
tells the person who acted, in Dutch, that the case has a problem and the beheerder knows.

At most one incident is open per (instance, element, kind): a recurrence counts up. The timer
worker skips an instance with an open timer incident (timers.due_instance_ids) until a beheerder
retries it here (`retry`): a timer is fired again; an act or message is the professional's to
submit again, so its retry checks that the case loads and can go on and then marks it solved.
Every retry is an event 'reparatie' in the case history; replay skips it as a note (a timer
retry's own firing is a normal timer_fired event that replay re-runs).
"""
from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.engine.runtime import EngineError
from persistence.models import Case, Incident, OutboxMessage, ProcessInstance, ProcessVersion, User

from . import events
from .access import ADMIN, PROCESS_OWNER, visible_case_clause
from .context import Context
from .errors import CaseProblem, InvalidInput, NotFound, PermissionDenied, ProcessFailed
from .users import require_user

log = logging.getLogger("vht.incidents")

KINDS = {"act": "taak afronden", "timer": "termijn", "bericht": "bericht", "start": "casus starten"}
STATUSES = {"open": "open", "opgelost": "opgelost"}
WORKER = "worker"
REPAIR_EVENT = "reparatie"
MAX_DATA_CHARS = 20_000  # data_seen: enough to see what an expression read, never a whole dossier
MAX_VALUE_CHARS = 2_000


@dataclass
class Failure:
    """What the place that failed knows; attached to the ProcessFailed it raises."""

    message: str
    case_id: int | None = None
    instance_id: int | None = None
    process_id: str | None = None
    version: int | None = None
    element_id: str | None = None
    element_name: str | None = None
    data: dict | None = None


def failed(exc: EngineError, instance: ProcessInstance | None = None, *, case_id: int | None = None,
           process_id: str | None = None, version: int | None = None) -> ProcessFailed:
    """The ProcessFailed to raise for an engine failure in `instance` (or a start of `process_id`)."""
    error = ProcessFailed(str(exc))
    error.incident = Failure(
        message=str(exc), case_id=instance.case_id if instance is not None else case_id,
        instance_id=instance.id if instance is not None else None,
        process_id=instance.process_id if instance is not None else process_id,
        version=instance.process_version.version if instance is not None and instance.process_version else version,
        element_id=getattr(exc, "element_id", None), element_name=getattr(exc, "element_name", None),
        data=getattr(exc, "data", None))
    return error


def hook_failed(exc: Exception, hook, instance: ProcessInstance, event) -> ProcessFailed:
    """An AFTER_ACT hook (a letter, the card, a follow-up procedure) failed: the act it followed is the element."""
    error = exc if isinstance(exc, ProcessFailed) else ProcessFailed(
        f"Document of e-mail ({getattr(hook, '__module__', 'hook').rsplit('.', 1)[-1]}): {exc}")
    if getattr(error, "incident", None) is None:
        data = event.data or {}
        steps = data.get("steps") or []
        error.incident = Failure(
            message=error.message, case_id=instance.case_id, instance_id=instance.id, process_id=instance.process_id,
            version=instance.process_version.version if instance.process_version else None,
            element_id=event.task_bpmn_id or (steps[-1]["bpmn_id"] if steps else None),
            element_name=data.get("task") or (steps[-1]["name"] if steps else None),
            data=data.get("data") if isinstance(data.get("data"), dict) else None)
    return error


def bounded(data) -> dict:
    """The data as JSON-safe values, each value and the whole bounded in size."""
    if not isinstance(data, dict):
        return {}
    result, total = {}, 0
    for key in sorted(data, key=str):
        try:
            value = json.loads(json.dumps(data[key], default=str))
            text = json.dumps(value)
        except (TypeError, ValueError):
            value, text = repr(data[key]), repr(data[key])
        if len(text) > MAX_VALUE_CHARS:
            value = f"(te groot om te bewaren: {len(text)} tekens)"
            text = value
        if total + len(text) > MAX_DATA_CHARS:
            result["…"] = "(meer velden weggelaten)"
            break
        result[str(key)] = value
        total += len(text)
    return result


def problem_message(failure: Failure) -> str:
    step = failure.element_name or failure.element_id or failure.process_id or "deze stap"
    return f"Deze casus heeft een probleem bij '{step}'; de beheerder is ingelicht. Er is niets opgeslagen."


@contextlib.contextmanager
def recorded(ctx: Context, kind: str, actor: str):
    """Around an act's transaction: an engine failure in it becomes an incident and a CaseProblem."""
    try:
        yield
    except CaseProblem:
        raise
    except ProcessFailed as exc:
        failure = getattr(exc, "incident", None)
        if failure is None:
            raise
        try:
            incident_id = record(ctx, kind, actor, failure)
        except SQLAlchemyError:  # the incident could not be written: the person still hears nothing was saved
            log.exception("incident for %s could not be recorded", failure)
            raise exc from None
        raise CaseProblem(problem_message(failure), incident_id) from exc


def record(ctx: Context, kind: str, actor: str, failure: Failure) -> int:
    """Write (or count up) the open incident for `failure`; its id. Own transaction."""
    for attempt in (1, 2):
        try:
            # Apart from a request's unit of work: the incident stays when the request fails (5xx).
            with ctx.apart(), ctx.transaction() as session:
                return _upsert(ctx, session, kind, actor, failure)
        except IntegrityError:
            if attempt == 2:  # two workers raced on a new incident: the second counts up
                raise
    raise AssertionError("unreachable")


def _open_match(session: Session, kind: str, instance_id, element_id: str, process_id) -> Incident | None:
    query = select(Incident).where(Incident.status == "open", Incident.kind == kind, Incident.element_id == element_id)
    if instance_id is not None:
        query = query.where(Incident.instance_id == instance_id)
    else:
        query = query.where(Incident.instance_id.is_(None), Incident.process_id == process_id)
    return session.scalars(query.order_by(Incident.id).limit(1)).first()


def _upsert(ctx: Context, session: Session, kind: str, actor: str, failure: Failure) -> int:
    now = ctx.now()
    # The failed act may have been the start of this case or instance: then it is gone with the rollback.
    case_id = failure.case_id if failure.case_id and session.get(Case, failure.case_id) else None
    instance_id = failure.instance_id if failure.instance_id and session.get(ProcessInstance, failure.instance_id) \
        else None
    element_id = (failure.element_id or failure.process_id or "onbekend")[:120]
    existing = _open_match(session, kind, instance_id, element_id, failure.process_id)
    if existing is not None:
        existing.count += 1
        existing.last_at = now
        existing.message = failure.message
        existing.data_seen = bounded(failure.data)
        return existing.id
    incident = Incident(
        case_id=case_id, instance_id=instance_id, process_id=failure.process_id, version=failure.version,
        element_id=element_id, element_name=(failure.element_name or None) and failure.element_name[:255],
        kind=kind, message=failure.message, data_seen=bounded(failure.data), first_at=now, last_at=now, count=1,
        actor=actor, status="open")
    session.add(incident)
    session.flush()
    _mail_beheerders(ctx, session, incident)
    return incident.id


def _procedure(session: Session, process_id: str | None, version: int | None) -> str:
    name = session.scalar(select(ProcessVersion.name).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.version.desc()).limit(1)) if process_id else None
    label = name or process_id or "onbekende procedure"
    return f"{label} (versie {version})" if version else label


def _mail_beheerders(ctx: Context, session: Session, incident: Incident) -> None:
    """One mail per new incident to every active beheerder: where, what, a link; no family data."""
    admins = sorted({u.email for u in session.scalars(select(User).where(User.actief.is_(True)))
                     if ADMIN in (u.rollen or []) and u.email})
    if not admins:
        return
    case = session.get(Case, incident.case_id) if incident.case_id else None
    reference = case.referentie if case is not None else "(nieuwe casus, niet opgeslagen)"
    step = incident.element_name or incident.element_id
    body = (f"Er is een probleem in de procedure van casus {reference}. Wat er gebeurde is teruggedraaid; "
            "de casus wacht tot het probleem is opgelost.\n\n"
            f"Casus: {reference}\n"
            f"Procedure: {_procedure(session, incident.process_id, incident.version)}\n"
            f"Stap: {step} ({incident.element_id})\n"
            f"Soort: {KINDS.get(incident.kind, incident.kind)}\n"
            f"Melding: {incident.message}\n\n"
            f"Bekijk het incident en probeer het opnieuw: {ctx.base_url}/beheer/incidenten/{incident.id}\n\n"
            "Dit bericht is verstuurd door de werkwijze-applicatie van het VeiligheidsTeam.")
    session.add(OutboxMessage(
        case_id=incident.case_id, dedup_key=f"incident:{incident.id}", reason="incident", recipients=admins,
        subject=f"Probleem in casus {reference} bij '{step}'"[:300], body=body, status="pending", attempts=0,
        next_attempt_at=ctx.now(), created_at=ctx.now()))


# --- reading --------------------------------------------------------------------------------

@dataclass
class IncidentRow:
    incident: Incident
    case_reference: str | None
    may_see_case: bool
    procedure: str


def require_incident_reader(session: Session, username: str) -> User:
    user = require_user(session, username)
    if not {ADMIN, PROCESS_OWNER} & set(user.rollen or []):
        raise PermissionDenied("Alleen een beheerder of procesbeheerder ziet de incidenten.")
    return user


def open_instance_clause():
    """Instances with an open timer incident: the worker leaves them until a retry."""
    return exists().where(Incident.instance_id == ProcessInstance.id, Incident.status == "open",
                          Incident.kind == "timer")


def open_case_ids(session: Session, case_ids) -> set[int]:
    ids = {i for i in case_ids if i is not None}
    if not ids:
        return set()
    return set(session.scalars(select(Incident.case_id).where(Incident.case_id.in_(ids), Incident.status == "open")))


def open_count(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Incident)
                          .where(Incident.case_id == case_id, Incident.status == "open")) or 0


def rows(session: Session, user: User | None, *, status: str | None = "open", process_id: str | None = None,
         kind: str | None = None, limit: int = 500) -> list[IncidentRow]:
    query = select(Incident)
    if status:
        query = query.where(Incident.status == status)
    if process_id:
        query = query.where(Incident.process_id == process_id)
    if kind:
        query = query.where(Incident.kind == kind)
    found = session.scalars(query.order_by(Incident.last_at.desc(), Incident.id.desc()).limit(limit)).all()
    case_ids = {i.case_id for i in found if i.case_id}
    references = dict(session.execute(select(Case.id, Case.referentie).where(Case.id.in_(case_ids))).all()) \
        if case_ids else {}
    visible = set(session.scalars(select(Case.id).where(Case.id.in_(case_ids), visible_case_clause(user)))) \
        if case_ids and user is not None else set()
    names: dict = {}
    for pid, name in session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                     .order_by(ProcessVersion.version)).all():
        names[pid] = name or pid
    return [IncidentRow(i, references.get(i.case_id), i.case_id in visible,
                        f"{names.get(i.process_id, i.process_id or '-')}" + (f" (versie {i.version})" if i.version else ""))
            for i in found]


def get_row(session: Session, user: User, incident_id: int) -> IncidentRow:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"Incident {incident_id} bestaat niet.")
    case = session.get(Case, incident.case_id) if incident.case_id else None
    visible = case is not None and session.scalar(
        select(Case.id).where(Case.id == case.id, visible_case_clause(user))) is not None
    return IncidentRow(incident, case.referentie if case else None, visible,
                       _procedure(session, incident.process_id, incident.version))


# --- repair: retry --------------------------------------------------------------------------

@dataclass
class RetryResult:
    incident_id: int
    resolved: bool
    how: str


def retry(ctx: Context, incident_id: int, actor: str, reason: str) -> RetryResult:
    """Try the failed act or timer again; a success resolves the incident, a failure counts up.

    Timer: fired again now, in one transaction with the repair event and the resolution. Act,
    message or start: those are the professional's to submit again (nothing of theirs was kept),
    so the retry checks that the instance loads and can go on as it stands (no save) and marks the
    incident solved, with a repair event that says so."""
    from . import timers  # timers imports this module
    from .instances import load_run

    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Geef een reden op voor het opnieuw proberen.", {"reden": ["Dit veld is verplicht."]})
    if len(reason) > 500:
        raise InvalidInput("De reden is te lang.", {"reden": ["Maximaal 500 tekens."]})
    with ctx.reading() as session:
        require_incident_reader(session, actor)
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"Incident {incident_id} bestaat niet.")
        if incident.status != "open":
            raise InvalidInput(f"Incident {incident_id} is al opgelost.", {})
        kind, instance_id = incident.kind, incident.instance_id
    with recorded(ctx, kind, actor):
        with ctx.transaction() as session:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.status != "open":
                raise InvalidInput(f"Incident {incident_id} is al opgelost.", {})
            instance = session.get(ProcessInstance, instance_id) if instance_id else None
            if kind == "timer" and instance is not None and instance.status == "running":
                result = timers.fire_in(ctx, session, instance, ctx.now())
                how = (f"termijn opnieuw uitgevoerd ({len(result.fired)} stap(pen))" if result is not None
                       else "termijn opnieuw geprobeerd: er was niets meer te doen")
            elif instance is not None and instance.status == "running":
                run = load_run(ctx, instance)
                try:
                    run.advance()  # what a next act would run first; not saved
                    run.ready_user_tasks()
                except EngineError as exc:
                    raise failed(exc, instance) from exc
                how = "de casus kan verder; de professional kan de stap opnieuw indienen"
            else:
                how = "afgehandeld: geen lopende procesinstantie (opnieuw starten of indienen kan)"
            incident.status = "opgelost"
            incident.resolved_at = ctx.now()
            incident.resolved_by = actor
            incident.resolved_how = f"{how}. Reden: {reason}"
            if incident.case_id:
                events.append(session, case_id=incident.case_id, instance_id=incident.instance_id, type=REPAIR_EVENT,
                              actor=actor, at=ctx.now(), task_bpmn_id=incident.element_id,
                              data={"soort": "opnieuw_proberen", "incident": incident.id, "reden": reason,
                                    "resultaat": how})
            return RetryResult(incident_id, True, how)


def as_dict(row: IncidentRow, with_data: bool) -> dict:
    i = row.incident
    return {
        "id": i.id, "casus": row.case_reference, "case_id": i.case_id, "instance_id": i.instance_id,
        "procedure": i.process_id, "versie": i.version, "element_id": i.element_id, "element": i.element_name,
        "soort": i.kind, "bericht": i.message, "eerste": i.first_at.isoformat(), "laatste": i.last_at.isoformat(),
        "aantal": i.count, "actor": i.actor, "status": i.status,
        "opgelost_op": i.resolved_at.isoformat() if i.resolved_at else None, "opgelost_door": i.resolved_by,
        "oplossing": i.resolved_how,
        **({"gegevens": i.data_seen} if with_data else {"gegevens_velden": sorted((i.data_seen or {}).keys())}),
    }


def instance_of(session: Session, incident_id: int, nothing_to_repair: str) -> tuple[int, int]:
    """(case id, instance id) of the instance an incident is about, for a repair of it."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"Incident {incident_id} bestaat niet.")
    if incident.instance_id is None:
        raise InvalidInput(nothing_to_repair, {})
    return incident.case_id, incident.instance_id


def running_instance_of_open(session: Session, incident_id: int) -> ProcessInstance | None:
    """The running instance of an open incident (None: nothing to repair on its page)."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.instance_id is None or incident.status != "open":
        return None
    instance = session.get(ProcessInstance, incident.instance_id)
    return instance if instance is not None and instance.status == "running" else None
