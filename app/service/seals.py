"""Seals: keyed proof of what a case (and the set of deployed process versions) looked like.

At the commit of every transaction that changed a case, the case's audited rows are read back
(the case row, its procedures' status and engine state, its tasks, the head of its event chain,
its Veiligheidskaart versions, consents and send log with the digest of each PDF sent, who takes
part in it) and digested per part; a new seal on the case's chain holds those digests and an
HMAC, with the audit key, over them and the previous seal's HMAC. The key is not in the
database, so whoever changes a row afterwards cannot make a seal that matches: `vht verify`
(app/service/verify.py) recomputes the parts and compares them with the last seal.

Which cases changed is known from the ORM flushes and from `touch` (an event appended, a Core
UPDATE or DELETE): every writer goes through `ctx.transaction()`, which hands the session the key.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, event as sa_event, exists, func, or_, select, text
from sqlalchemy.orm import Session

from app.engine import clock as clock_mod
from persistence.models import (
    AuditSeal,
    BundleFile,
    Case,
    CaseMember,
    CaseOrganisation,
    Deployment,
    Event,
    HumanTask,
    ProcessDefault,
    ProcessInstance,
    ProcessVersion,
    VkToestemming,
    VkVersie,
    VkVerzending,
)

from .audit_key import AuditKey, canonical, digest

VERSIONS_CHAIN = "procesversies"
_CASE_ROWS = (HumanTask, ProcessInstance, VkVersie, VkVerzending, VkToestemming, CaseMember, CaseOrganisation)
_VERSION_ROWS = (ProcessVersion, BundleFile, Deployment, ProcessDefault)
PART_NAMES = {
    "casus": "de casusgegevens", "procedures": "de procedures (status of procestoestand)", "taken": "de taken",
    "taken_open": "de open taken", "taken_afgerond": "de afgeronde taken", "taken_index": "de taken (welke er zijn)",
    "gebeurtenissen": "de geschiedenis (gebeurtenissen)", "vk_versies": "de versies van de Veiligheidskaart",
    "vk_verzendingen": "het verzendlog van de Veiligheidskaart", "vk_toestemmingen": "de toestemmingen",
    "betrokkenen": "de betrokkenen en organisaties", "versies": "de procesversies", "bestanden": "de bestanden van de versies",
    "deployments": "de deployments", "standaardversies": "de gekozen standaardversies",
}


def case_chain(case_id: int) -> str:
    return f"casus:{case_id}"


def touch(session: Session, case_id: int) -> None:
    """This transaction changed the case in a way the ORM does not see (Core statements): seal it."""
    session.info.setdefault("seal_cases", set()).add(case_id)


def touch_versions(session: Session) -> None:
    session.info["seal_versions"] = True


def bind(session: Session, key: AuditKey) -> None:
    """The session may seal (ctx.transaction() calls this)."""
    session.info["audit_key"] = key


# --- what is sealed ------------------------------------------------------------------------

def _rows(session: Session, columns, where, order) -> list[dict]:
    return [dict(row._mapping) for row in session.execute(select(*columns).where(where).order_by(*order))]


def _columns(model, leave_out=()):
    return [c for c in model.__table__.columns if c.name not in leave_out]


# Built once: constructing a statement costs more than running it, and this runs at every commit.
_CASE = bindparam("case_id")
_PART_QUERIES = {
    "casus": select(*_columns(Case)).where(Case.id == _CASE),
    # Left out: what the engine state itself decides (replay checks it) and the optimistic lock.
    "procedures": select(*_columns(ProcessInstance, ("next_timer_at", "waiting_messages", "updated_at", "version")))
    .where(ProcessInstance.case_id == _CASE).order_by(ProcessInstance.id),
    "gebeurtenissen": select(Event.seq, Event.hash).where(Event.case_id == _CASE).order_by(Event.seq.desc()).limit(1),
    "vk_versies": select(*_columns(VkVersie)).where(VkVersie.case_id == _CASE).order_by(VkVersie.id),
    # The PDF by its digest: verify checks the bytes against it.
    "vk_verzendingen": select(*_columns(VkVerzending, ("pdf",))).where(VkVerzending.case_id == _CASE)
    .order_by(VkVerzending.id),
    "vk_toestemmingen": select(*_columns(VkToestemming)).where(VkToestemming.case_id == _CASE)
    .order_by(VkToestemming.id),
    "leden": select(*_columns(CaseMember)).where(CaseMember.case_id == _CASE).order_by(CaseMember.username),
    "organisaties": select(*_columns(CaseOrganisation)).where(CaseOrganisation.case_id == _CASE)
    .order_by(CaseOrganisation.rol, CaseOrganisation.organisatie),
}
# Most cases have few of these rows and most acts none: the case row comes with, per part, whether
# the case has any (and with the head of its event chain), so a part without rows costs no statement.
# The digests are those of the same rows as read by the part's own query.
_MAYBE_EMPTY = {"vk_versies": VkVersie, "vk_verzendingen": VkVerzending, "vk_toestemmingen": VkToestemming,
                "leden": CaseMember, "organisaties": CaseOrganisation}
_HEAD = select(Event.seq, Event.hash).where(Event.case_id == _CASE).order_by(Event.seq.desc()).limit(1).subquery()
_CASE_WITH_FLAGS = select(
    *_columns(Case), select(_HEAD.c.seq).scalar_subquery(), select(_HEAD.c.hash).scalar_subquery(),
    *(exists().where(model.case_id == _CASE) for model in _MAYBE_EMPTY.values()),
).where(Case.id == _CASE)
_CASE_WIDTH = len(_columns(Case))
_LAST = select(AuditSeal).where(AuditSeal.chain == bindparam("chain")).order_by(AuditSeal.seq.desc()).limit(1).subquery()
# When sealing: the same row with the chain's last seal (seq, mac, parts) after it, one statement.
_CASE_WITH_FLAGS_AND_SEAL = _CASE_WITH_FLAGS.add_columns(
    select(_LAST.c.seq).scalar_subquery(), select(_LAST.c.mac).scalar_subquery(),
    select(_LAST.c.parts).scalar_subquery())


# The tasks grow with the case (a loop adds one per pass). Digesting all of them at every act made
# an act slower the longer its case ran, so a seal holds the open tasks whole and the closed ones
# (which do not change) as their count and a keyed sum of their row macs (a multiset hash): a seal
# adds only the rows closed since the last one. The index part (highest task id, open task ids) is
# where the next seal starts. verify recomputes all three from the rows; a seal before this format
# holds one part "taken" and is checked as it was made.
_TASK_COLUMNS = _columns(HumanTask)
_OPEN = HumanTask.state == "open"
_TASKS_OPEN = select(*_TASK_COLUMNS).where(HumanTask.case_id == _CASE, _OPEN).order_by(HumanTask.id)
_TASKS_CLOSED = select(*_TASK_COLUMNS).where(HumanTask.case_id == _CASE, ~_OPEN).order_by(HumanTask.id)
_TASKS_CLOSED_COUNT = select(func.count()).select_from(HumanTask).where(HumanTask.case_id == _CASE, ~_OPEN)
# The open rows, the rows closed since the last seal and the count of all closed rows in one
# statement (each statement at a commit costs more than the rows it reads); split by state after.
_TASKS_OPEN_AND_SINCE = select(*_TASK_COLUMNS, _TASKS_CLOSED_COUNT.scalar_subquery()).where(
    HumanTask.case_id == _CASE,
    or_(_OPEN, HumanTask.id.in_(bindparam("open_ids", expanding=True)), HumanTask.id > bindparam("max_id"))
).order_by(HumanTask.id)
_STATE = [c.name for c in _TASK_COLUMNS].index("state")
_TASKS_ALL = select(*_TASK_COLUMNS).where(HumanTask.case_id == _CASE).order_by(HumanTask.id)
_MODULUS = 2 ** 256


def _task_sum(key: AuditKey, rows) -> int:
    return sum(int(key.mac("taak", canonical(tuple(row))), 16) for row in rows)


def _task_parts(connection, case_id: int, key: AuditKey, last: dict | None) -> dict[str, str]:
    params = {"case_id": case_id}
    index = (last or {}).get("taken_index")
    closed = open_rows = None
    if index and "taken_afgerond" in last:
        max_id, _, open_ids = index.partition(":")
        count, _, total = last["taken_afgerond"].partition(":")
        rows = connection.execute(_TASKS_OPEN_AND_SINCE, {**params, "max_id": int(max_id), "open_ids": [
            int(i) for i in open_ids.split(",") if i]}).all()
        open_rows = [tuple(row)[:-1] for row in rows if row[_STATE] == "open"]
        since = [tuple(row)[:-1] for row in rows if row[_STATE] != "open"]
        closed_now = rows[0][-1] if rows else connection.execute(_TASKS_CLOSED_COUNT, params).scalar_one()
        # A closed row that none of the two ways finds (one inserted below the highest id by a
        # transaction that committed later, or one deleted): count again from all rows.
        if int(count) + len(since) == closed_now:
            closed = (int(count) + len(since), (int(total, 16) + _task_sum(key, since)) % _MODULUS,
                      max([int(max_id), *(row[0] for row in since)]))
    if open_rows is None:
        open_rows = [tuple(row) for row in connection.execute(_TASKS_OPEN, params)]
    if closed is None:
        rows = connection.execute(_TASKS_CLOSED, params).all()
        closed = (len(rows), _task_sum(key, rows) % _MODULUS, max((row.id for row in rows), default=0))
    count, total, max_id = closed
    max_id = max([max_id, *(row[0] for row in open_rows)])
    return {"taken_open": digest(open_rows), "taken_afgerond": f"{count}:{total:064x}",
            "taken_index": f"{max_id}:{','.join(str(row[0]) for row in open_rows)}"}


def case_parts(session: Session, case_id: int, key: AuditKey, last: dict | None = None,
               legacy: bool = False, row=None) -> dict[str, str]:
    """The digest of each audited part of the case as it is in the database now; {} if it is gone.
    `last`: the parts of the case's last seal, when sealing (the tasks closed since are added to its
    sum); verify leaves it out, so everything is computed from the rows. `legacy`: the tasks as one
    part, as seals before the count-and-sum format held them. `row`: the case row with its flags,
    when the caller read it already (sealing reads it with the last seal)."""
    connection = session.connection()  # Core, not the ORM's execute: these run at every commit
    params = {"case_id": case_id}
    if row is None:
        row = connection.execute(_CASE_WITH_FLAGS, params).first()
    if row is None:
        return {}
    head_seq, head_hash, *flags = row[_CASE_WIDTH:_CASE_WIDTH + 2 + len(_MAYBE_EMPTY)]
    found = {"casus": [tuple(row[:_CASE_WIDTH])]}
    found["procedures"] = [tuple(r) for r in connection.execute(_PART_QUERIES["procedures"], params)]
    found["gebeurtenissen"] = [(head_seq, head_hash)] if head_seq is not None else []
    for (name, _model), present in zip(_MAYBE_EMPTY.items(), flags):
        found[name] = [tuple(r) for r in connection.execute(_PART_QUERIES[name], params)] if present else []
    state = _PART_QUERIES["procedures"].selected_columns.keys().index("state")
    found["procedures"] = [(*row[:state], hashlib.sha256((row[state] or "").encode("utf-8")).hexdigest(),
                            *row[state + 1:]) for row in found["procedures"]]
    found["betrokkenen"] = [found.pop("leden"), found.pop("organisaties")]
    parts = {name: digest(rows) for name, rows in found.items()}
    if legacy:
        parts["taken"] = digest([tuple(row) for row in connection.execute(_TASKS_ALL, {"case_id": case_id})])
    else:
        parts.update(_task_parts(connection, case_id, key, last))
    return parts


def versions_parts(session: Session) -> dict[str, str]:
    """The deployed process versions (diagram, spec, forms, parameters, letters by digest), the
    content-addressed files, the deployments and the chosen defaults."""
    return {
        "versies": digest(_rows(session, ProcessVersion.__table__.columns, text("1=1"), [ProcessVersion.id])),
        "bestanden": digest([(row.sha256, hashlib.sha256(row.content.encode("utf-8")).hexdigest())
                             for row in session.execute(select(BundleFile.sha256, BundleFile.content)
                                                        .order_by(BundleFile.sha256))]),
        "deployments": digest(_rows(session, Deployment.__table__.columns, text("1=1"), [Deployment.id])),
        "standaardversies": digest(_rows(session, ProcessDefault.__table__.columns, text("1=1"),
                                         [ProcessDefault.process_id])),
    }


def seal_mac(key: AuditKey, chain: str, seq: int, at: datetime, parts: dict, prev_mac: str) -> str:
    return key.mac(chain, str(seq), at.isoformat(), canonical(parts), prev_mac)


_LAST_SEAL = (select(AuditSeal.seq, AuditSeal.mac, AuditSeal.parts).where(AuditSeal.chain == bindparam("chain"))
              .order_by(AuditSeal.seq.desc()).limit(1))
_INSERT_SEAL = AuditSeal.__table__.insert()
_LOCK_CASES = select(Case.id).where(Case.id.in_(bindparam("ids", expanding=True))).order_by(Case.id).with_for_update()


def _append(session: Session, key: AuditKey, chain: str, case_id: int | None, parts: dict, last, now: datetime) -> None:
    """A seal of `parts` after `last` (the chain's last seal: seq, mac, parts; or None)."""
    if not parts:
        return  # the case is gone
    if last is not None and last.parts == parts:
        return  # nothing audited changed (a flush that set a value to what it was)
    seq, prev = (last.seq + 1, last.mac) if last else (1, "")
    session.connection().execute(_INSERT_SEAL, dict(
        chain=chain, case_id=case_id, seq=seq, at=now, parts=parts, digest=digest(parts),
        mac=seal_mac(key, chain, seq, now, parts, prev)))


def _seal_case(session: Session, key: AuditKey, case_id: int, now: datetime) -> None:
    chain = case_chain(case_id)
    row = session.connection().execute(_CASE_WITH_FLAGS_AND_SEAL, {"case_id": case_id, "chain": chain}).first()
    if row is None:
        return  # the case is gone
    seq, mac, parts = row[-3:]
    last = _Last(seq, mac, parts) if seq is not None else None
    _append(session, key, chain, case_id, case_parts(session, case_id, key, parts, row=row), last, now)


@dataclass(frozen=True)
class _Last:
    seq: int
    mac: str
    parts: dict


@sa_event.listens_for(Session, "before_commit")
def seal_pending(session: Session) -> None:
    """Seal every case (and the versions) this transaction changed, just before its commit."""
    session.flush()
    cases = sorted(session.info.pop("seal_cases", set()))
    versions = session.info.pop("seal_versions", False)
    if not cases and not versions:
        return
    key = session.info.get("audit_key")
    if key is None:  # a writer that bypassed ctx.transaction(): its change would read as tampering
        raise RuntimeError("een wijziging van een casus of procesversie buiten ctx.transaction(): "
                           "niet te verzegelen")
    now = (clock_mod.active_clock() or clock_mod.SystemClock()).now()
    if session.get_bind().dialect.name == "postgresql":
        # One sealer per case at a time: the seal must see what the other committed.
        if cases:
            session.connection().execute(_LOCK_CASES, {"ids": cases})
        if versions:
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext('vht:procesversies'))"))
    for case_id in cases:
        _seal_case(session, key, case_id, now)
    if versions:
        last = session.connection().execute(_LAST_SEAL, {"chain": VERSIONS_CHAIN}).first()
        _append(session, key, VERSIONS_CHAIN, None, versions_parts(session), last, now)


@sa_event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case):
            touch(session, obj.id)
        elif isinstance(obj, _CASE_ROWS):
            touch(session, obj.case_id)
        elif isinstance(obj, _VERSION_ROWS):
            touch_versions(session)


def seal_unsealed(session: Session) -> int:
    """Seal what has no seal yet: the cases (and versions) of a database from before the seals.
    What they held until now cannot be proven; from here on it can. How many cases were sealed."""
    sealed = set(session.scalars(select(AuditSeal.case_id).where(AuditSeal.case_id.is_not(None)).distinct()))
    todo = [case_id for case_id in session.scalars(select(Case.id)) if case_id not in sealed]
    for case_id in todo:
        touch(session, case_id)
    if session.scalar(select(AuditSeal.id).where(AuditSeal.chain == VERSIONS_CHAIN).limit(1)) is None:
        touch_versions(session)
    return len(todo)
