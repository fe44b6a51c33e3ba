"""The tables. One case has a few process instances; everything else hangs off a case.

Loading a case reads only its own rows: the instance state (one JSON text, pruned so it does not
grow with every step), its human tasks and its events.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    LargeBinary,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are stored in UTC and must carry their zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict: JSON, list: JSON}


class User(Base):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    naam: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    organisatie: Mapped[str | None] = mapped_column(String(200))
    gemeente: Mapped[str | None] = mapped_column(String(80))
    rollen: Mapped[list] = mapped_column(JSON, default=list)
    actief: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # sha256 of the API token: the token itself is shown once and never stored.
    api_token_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("api_token_hash", name="uq_app_user_api_token_hash"),)


class ProcessVersion(Base):
    """A deployed diagram. A new row only when the file, or a process it calls, changed."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    # sha256 over this file and every file it calls: decides whether a new version is needed.
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)
    start_form: Mapped[str | None] = mapped_column(String(120))
    # The role of the lane the start event is drawn in: who may start this procedure.
    start_role: Mapped[str | None] = mapped_column(String(40))
    called_processes: Mapped[list] = mapped_column(JSON, default=list)
    # {process_id: sha256} of the called diagrams as deployed with this version (to show them).
    called_sha256: Mapped[dict | None] = mapped_column(JSON)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(80))
    # sha256 of the canonical content of the bundle this version runs with: its diagram and the
    # ones it calls (semantic XML, no layout), the forms they use, the parameters, the letters.
    # An open-and-save with no change gives the same identity: no new version. NULL: deployed
    # before bundles existed (such a version uses the forms/parameters on disk).
    identity_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id"))
    reden: Mapped[str | None] = mapped_column(Text)
    teruggezet_van: Mapped[int | None] = mapped_column(Integer)  # "terugzetten naar versie N"
    # What this version's cases use: {form key: sha256}, the parameters and {letter: sha256},
    # all in bundle_file.
    forms: Mapped[dict | None] = mapped_column(JSON)
    parameters_sha256: Mapped[str | None] = mapped_column(String(64))
    letters: Mapped[dict | None] = mapped_column(JSON)
    # Retired: no new starts; running cases go on.
    ingetrokken_op: Mapped[datetime | None]
    ingetrokken_door: Mapped[str | None] = mapped_column(String(80))


class BundleFile(Base):
    """Content-addressed text of every deployed file (diagram, form, parameters, letter)."""

    __tablename__ = "bundle_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class Deployment(Base):
    """One deploy: who, when, why, and the whole source tree as it was ({path: sha256})."""

    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(80))
    reden: Mapped[str] = mapped_column(Text)
    files: Mapped[dict] = mapped_column(JSON)
    # [{process_id, version, status}] of what this deploy changed
    samenvatting: Mapped[list] = mapped_column(JSON, default=list)


class ProcessDefault(Base):
    """The version new cases of a procedure start on, when a process owner chose one explicitly."""

    __tablename__ = "process_default"

    process_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    gekozen_door: Mapped[str] = mapped_column(String(80))
    gekozen_op: Mapped[datetime]


class ProcessDraft(Base):
    """A process owner's concept: changed files over the deployed tree; touches no case."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("app_user.username"), index=True)
    titel: Mapped[str] = mapped_column(String(200))
    # {path: {"content": text, "base": sha256 of the deployed file it was edited from, or null}}
    files: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": revision}


class Case(Base):
    """A casus: the family situation the procedures run for."""

    __tablename__ = "casus"

    id: Mapped[int] = mapped_column(primary_key=True)
    referentie: Mapped[str] = mapped_column(String(40), unique=True)
    gemeente: Mapped[str | None] = mapped_column(String(80), index=True)
    inbrenger: Mapped[str | None] = mapped_column(String(80), index=True)
    jeugdige_initialen: Mapped[str | None] = mapped_column(String(80))
    maatregel: Mapped[str | None] = mapped_column(String(20))
    einde_maatregel: Mapped[date | None] = mapped_column(Date)
    cab_datum: Mapped[date | None] = mapped_column(Date)
    gegevens: Mapped[dict] = mapped_column(JSON, default=dict)
    # Soft deadlines that passed ({code, omschrijving, at}): shown in the werkbak and on the case.
    signalen: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="open")
    aangemaakt_op: Mapped[datetime]
    # When the last procedure ended (the retention term runs from here), and when and by whom the
    # personal data was destroyed (what remains is a tombstone: app/service/retention.py).
    afgesloten_op: Mapped[datetime | None]
    vernietigd_op: Mapped[datetime | None]
    vernietigd_door: Mapped[str | None] = mapped_column(String(80))

    instances: Mapped[list["ProcessInstance"]] = relationship(back_populates="case", order_by="ProcessInstance.id")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_instance_timer", "status", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    process_id: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(10))
    # Optimistic lock: an update whose version is stale fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), default="running")
    eindstatus: Mapped[str | None] = mapped_column(String(80))
    next_timer_at: Mapped[datetime | None]
    # A timer worker's claim on this instance's due timers (several workers fire disjoint batches).
    timer_claimed_by: Mapped[str | None] = mapped_column(String(80))
    timer_claimed_until: Mapped[datetime | None]
    waiting_messages: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="instances")
    process_version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """The inbox: one row per user task that is or was open."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_task_state_role", "state", "role"),
        Index("ix_task_state_assignee", "state", "assignee"),
        # The werkbak's tabs page by (due_at or created_at, id) per assignee and per role, the
        # auditor's by (due_at, id), Afgerond by (completed_at, id) per person (migration 0012; on
        # PostgreSQL also trigram indexes for the search, made there only).
        Index("ix_task_assignee_due", "assignee", "state", "due_at", "id"),
        Index("ix_task_role_due", "role", "state", "assignee", "due_at", "id"),
        Index("ix_task_assignee_created", "assignee", "state", "created_at", "id"),
        Index("ix_task_role_created", "role", "state", "assignee", "created_at", "id"),
        Index("ix_task_state_due_id", "state", "due_at", "id"),
        Index("ix_task_completed_by_at", "completed_by", "state", "completed_at", "id"),
        # The overview (app/service/insight, migration 0013): one step's deadlines, steps done in a period.
        Index("ix_task_bpmn_due", "bpmn_id", "due_at"),
        Index("ix_task_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255))
    process_id: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(80))
    form_key: Mapped[str | None] = mapped_column(String(120))
    documentation: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(80))

    instance: Mapped[ProcessInstance] = relationship()
    case: Mapped[Case] = relationship()


class Event(Base):
    """The append-only case history. Each row is hash-chained to the previous one of its case."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),
                      # The overview (migration 0013): a task's completion (its form data) and first claim.
                      Index("ix_event_type_task", "type", "human_task_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    type: Mapped[str] = mapped_column(String(40))
    task_bpmn_id: Mapped[str | None] = mapped_column(String(120))
    human_task_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(80))
    actor_type: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # sha256 of the engine state after this event (what replay compares), and the chain.
    state_fingerprint: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ElementPassage(Base):
    """Insight's projection of the event log: one row per diagram element a process instance
    passed (the engine's steps and the completed user task of each act), written with the event
    (app/service/insight/passages.py), so the overview and the heatmap count with an index instead
    of reading every event's JSON."""

    __tablename__ = "element_passage"
    __table_args__ = (
        # One element's passages (heatmap: instances per element, in order, so counting them
        # distinct needs no sort; a procedure's starts and ends; the end states), index only.
        Index("ix_passage_element", "process_id", "bpmn_id", "instance_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    process_id: Mapped[str] = mapped_column(String(120))  # the diagram the element is drawn in
    bpmn_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))  # the engine's spec type: UserTask, EndEvent, ...
    at: Mapped[datetime]


class TaskFeit(Base):
    """Insight's projection of each completed user task (app/service/insight/facts.py): its
    durations as seconds and the one form value a deadline target reads, written at completion, so
    the overview reads narrow rows instead of timestamps to parse and the events' JSON. Derived
    data without foreign keys (it goes with its case; the tasks it was read from stay the record)."""

    __tablename__ = "task_feit"
    __table_args__ = (
        # A step's completions in a period with their seconds, from the index alone (durations,
        # heatmap; also the CAB's and the conversations' rows, by SQLite's skip-scan). No index led
        # by bpmn_id: SQLite's planner then takes it for the heatmap and reads the table per row.
        Index("ix_task_feit_step", "process_id", "bpmn_id", "completed_at", "total_s", "wait_s", "work_s"),
    )

    human_task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(index=True)
    instance_id: Mapped[int]
    process_id: Mapped[str] = mapped_column(String(120))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime]
    total_s: Mapped[float]  # opened until completed
    wait_s: Mapped[float]  # opened until picked up (durations.py)
    work_s: Mapped[float]  # picked up until completed
    waarde: Mapped[str | None] = mapped_column(String(40))  # facts.VALUE_FIELDS: the CAB's date, the outcome


class CaseMember(Base):
    """Someone involved in a case beyond its inbrenger and its roles: added, assigned, reassigned."""

    __tablename__ = "case_member"

    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("app_user.username"), primary_key=True, index=True)
    reden: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime]


class CaseOrganisation(Base):
    """An organisation that takes part in a case for a role (gi, zorgaanbieder, netwerkpartner):
    its users with that role see the case (app/service/access.py). Written when someone of it
    starts the case, is chosen in a form, or takes or completes a task of the role."""

    __tablename__ = "casus_organisatie"

    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), primary_key=True)
    rol: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisatie: Mapped[str] = mapped_column(String(200), primary_key=True)


class AchttienStart(Base):
    """The 18-/18+ bespreking the worker started for one jeugdige of a case: at most one per
    jeugdige (the primary key), however many workers check at once."""

    __tablename__ = "achttien_start"

    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), primary_key=True)
    jeugdige: Mapped[str] = mapped_column(String(300), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    gestart_op: Mapped[datetime]


class TaskDraft(Base):
    """A form half filled in: the user's own, not yet case data."""

    __tablename__ = "task_draft"

    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime]


class LoginLimit(Base):
    """Failed logins per key (account and client, client, account) in a window, for the rate limit.

    One row per key, counted up in one statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING),
    so parallel tries each see their own number; kept in the database so every web process sees it.
    """

    __tablename__ = "login_limit"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(index=True)


class WebSession(Base):
    """A browser login. The cookie carries a random token, this table only its sha256, so a copy
    of the database gives no usable cookie. Checked on every page request; logout, a password
    change and deactivation revoke it."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("app_user.username"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # The address the login came from (behind TRUSTED_PROXIES: the real one).
    client: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    """A mail the product must send, written in the same transaction as the act that causes it.

    The worker delivers it over SMTP; a failure is retried with backoff, and after the last try it
    stays here as 'failed' for a beheerder to see. Never deleted: it is the record of what went out.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("casus.id"), index=True)
    # Same act, same message: written at most once.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(String(80))
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OutboxAttachment(Base):
    """A file that goes with an outgoing mail (the Veiligheidskaart as PDF, a letter, an invitation)."""

    __tablename__ = "outbox_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    # None until the PDF is made after the act's commit (app/service/pdfs.py) from `html`.
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    html: Mapped[str | None] = mapped_column(Text)
    render_from: Mapped[str | None] = mapped_column(String(20))  # 'letters' or 'veiligheidskaart'
    # The send-log row of the Veiligheidskaart that keeps the same bytes.
    vk_verzending_id: Mapped[int | None] = mapped_column(ForeignKey("vk_verzending.id"))


class VkVersie(Base):
    """One saved version of a case's Veiligheidskaart: every change by a task is a new row."""

    __tablename__ = "vk_versie"
    __table_args__ = (UniqueConstraint("case_id", "versie"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    versie: Mapped[int] = mapped_column(Integer)
    # {advies_tekst, afspraken[{wie, wat, wanneer, monitoring}], reactie_ouders, samenvatting,
    #  veiligheidsafspraken, weergave_gesprek, uitkomst}
    secties: Mapped[dict] = mapped_column(JSON, default=dict)
    gewijzigd: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(40))
    door: Mapped[str] = mapped_column(String(80))
    op: Mapped[datetime]
    taak: Mapped[str | None] = mapped_column(String(255))
    human_task_id: Mapped[int | None] = mapped_column(Integer)
    event_seq: Mapped[int | None] = mapped_column(Integer)


class VkVerzending(Base):
    """The send log of the Veiligheidskaart, with the PDF exactly as it was sent."""

    __tablename__ = "vk_verzending"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    versie: Mapped[int | None] = mapped_column(Integer)
    reden: Mapped[str] = mapped_column(String(80))
    aan: Mapped[list] = mapped_column(JSON, default=list)
    # 'verzonden', or 'niet_gedeeld' (no consent: nothing left the building).
    status: Mapped[str] = mapped_column(String(20))
    toelichting: Mapped[str | None] = mapped_column(String(300))
    op: Mapped[datetime]
    bestandsnaam: Mapped[str | None] = mapped_column(String(200))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Set with `pdf`: the seal covers this digest, `vht verify` checks the bytes against it.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class VkToestemming(Base):
    """A recorded consent (or refusal) about the Veiligheidskaart, e.g. sharing it with the toegang."""

    __tablename__ = "vk_toestemming"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("casus.id"), index=True)
    wie: Mapped[str] = mapped_column(String(200))
    waarvoor: Mapped[str] = mapped_column(String(200))
    gegeven: Mapped[bool]
    op: Mapped[datetime]
    vastgelegd_door: Mapped[str] = mapped_column(String(80))
    event_seq: Mapped[int | None] = mapped_column(Integer)


class Incident(Base):
    """An engine failure a beheerder must look at: the act was rolled back, the case waits.

    At most one open incident per (instance, element, kind); a recurrence counts up. Written in its
    own transaction after the failed act's rollback (app/service/incidents.py)."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_status", "status", "last_at"),
        Index("ix_incident_instance", "instance_id", "status"),
        Index("ix_incident_open_once", "instance_id", "element_id", "kind", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None when the act that failed was the case's own start (rolled back with it).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("casus.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    process_id: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str] = mapped_column(String(120))
    element_name: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))  # act | timer | bericht | start
    message: Mapped[str] = mapped_column(Text)
    data_seen: Mapped[dict] = mapped_column(JSON, default=dict)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)
    actor: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | opgelost
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolved_how: Mapped[str | None] = mapped_column(Text)


class AuditSeal(Base):
    """A keyed seal (HMAC with the audit key, which is not in the database) over the audited state
    of one case ('casus:<id>') or of the deployed process versions ('procesversies') at a commit.

    Each seal's mac covers the previous one's, so the chain can be neither rewritten nor shortened
    without the key; the heads go into the checkpoint file (app/service/seals.py, checkpoints.py)."""

    __tablename__ = "audit_seal"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_seal_chain_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))
    # The digest of each part ({"casus": ..., "taken": ...}): a finding names what changed.
    parts: Mapped[dict] = mapped_column(JSON, default=dict)
    mac: Mapped[str] = mapped_column(String(64))


class ToegangLog(Base):
    """NEN 7513: who read personal data of which case, when, from where, and why. Append-only,
    apart from the event log; each row carries a keyed mac (app/service/access_log.py)."""

    __tablename__ = "toegang_log"
    __table_args__ = (
        Index("ix_toegang_case_at", "case_id", "at"),
        Index("ix_toegang_user_at", "username", "at"),
        Index("ix_toegang_at", "at"),
        Index("ix_toegang_sessie_case", "sessie", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(80))
    rollen: Mapped[str] = mapped_column(String(200))
    # None for an access that lists no single case (a search with no result).
    case_id: Mapped[int | None] = mapped_column(Integer)
    wat: Mapped[str] = mapped_column(String(200))  # the page or route, e.g. "casuspagina", "GET /api/cases/7"
    client: Mapped[str | None] = mapped_column(String(64))
    sessie: Mapped[str | None] = mapped_column(String(64))  # web_session.id (a digest), None for the API
    betrokken: Mapped[bool] = mapped_column(Boolean)  # the user takes part in the case
    doel: Mapped[str | None] = mapped_column(String(40))  # reden van inzage (code), where given
    toelichting: Mapped[str | None] = mapped_column(String(500))
    mac: Mapped[str] = mapped_column(String(64))


class VernietigingLopend(Base):
    """A case being destroyed in the current transaction: the event log's append-only trigger lets
    its events be deleted (the retention term ended), nothing else (app/service/retention.py)."""

    __tablename__ = "vernietiging_lopend"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
