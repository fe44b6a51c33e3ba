"""Who may see what. The rules, in one place, as queries:

- a professional sees a case when involved in it: its inbrenger, a member (chosen in a form,
  assigned, reassigned), someone who has or had one of its tasks, or a candidate of one of its
  tasks (a task offered to their role, within their scope);
- scoped roles: a `toegang` user works for one gemeente and sees only that gemeente's cases in
  which the toegang takes part; a `gi`, `zorgaanbieder` or `netwerkpartner` user works for one
  organisation and sees the cases in which that organisation takes part for that role
  (`casus_organisatie`: someone of it started the case, was chosen, or took a task). A task
  offered to an organisation role in a case without such an organisation yet is offered to the
  role in the whole region (someone has to pick it up); the first who takes it binds the case to
  their organisation. The VeiligheidsTeam, the RvdK and the voorzitters are regional;
- a professional sees the tasks for their roles (within scope) that nobody has taken, and their own;
- auditors read every case and change nothing; process owners and administrators see no cases
  unless they are involved like anyone else.
A case someone may not see does not exist for them (NotFound, not a hint that it is there).
"""
from __future__ import annotations

from sqlalchemy import bindparam, exists, false, or_, select
from sqlalchemy.orm import Session, object_session

from persistence.models import Case, CaseMember, CaseOrganisation, HumanTask, User

from .errors import NotFound, PermissionDenied

AUDITOR = "auditor"
PROCESS_OWNER = "procesbeheerder"
ADMIN = "beheerder"
NON_CASE_ROLES = {AUDITOR, PROCESS_OWNER, ADMIN}
# Roles whose users work for one gemeente, and those whose users work for one organisation.
GEMEENTE_ROLES = ("toegang",)
ORGANISATIE_ROLES = ("gi", "zorgaanbieder", "netwerkpartner")


def is_auditor(user: User) -> bool:
    return AUDITOR in (user.rollen or [])


def case_roles(user: User) -> list[str]:
    return [r for r in (user.rollen or []) if r not in NON_CASE_ROLES]


def _organisation_of_case(role: str, organisatie: str | None = None):
    """EXISTS: the case of the HumanTask / Case in the outer query has (this) organisation for role."""
    clause = exists().where(CaseOrganisation.case_id == Case.id, CaseOrganisation.rol == role)
    return clause.where(CaseOrganisation.organisatie == organisatie) if organisatie else clause


def offered_parts(user: User) -> list:
    """Per role of the user, a WHERE clause on HumanTask (joined to nothing): the task is for that
    role and its case is within the user's scope for it. Without `assignee IS NULL` (the caller
    adds it); one clause per role so the werkbak can walk one index per role (inbox.py)."""
    parts = []
    for role in case_roles(user):
        if role in GEMEENTE_ROLES:
            if user.gemeente:
                parts.append((HumanTask.role == role) & exists().where(
                    Case.id == HumanTask.case_id, Case.gemeente == user.gemeente))
        elif role in ORGANISATIE_ROLES:
            in_case = exists().where(CaseOrganisation.case_id == HumanTask.case_id, CaseOrganisation.rol == role)
            mine = in_case.where(CaseOrganisation.organisatie == user.organisatie) if user.organisatie else false()
            parts.append((HumanTask.role == role) & or_(mine, ~in_case))
        else:
            parts.append(HumanTask.role == role)
    return parts


def _offered_clause(user: User):
    """A WHERE clause on HumanTask (joined to nothing): offered to one of the user's roles, nobody
    took it, and the case is within the user's scope for that role."""
    parts = offered_parts(user)
    return (HumanTask.assignee.is_(None) & or_(*parts)) if parts else false()


def visible_case_clause(user: User):
    """A WHERE clause on Case for the cases `user` may see."""
    if is_auditor(user):
        return Case.id.is_not(None)
    return involvement_clause(user)


def involvement_clause(user: User):
    """A WHERE clause on Case for the cases `user` takes part in (an auditor's reading is not taking part)."""
    task_involvement = exists().where(
        HumanTask.case_id == Case.id,
        or_(HumanTask.assignee == user.username, HumanTask.completed_by == user.username, _offered_clause(user)),
    )
    member = exists().where(CaseMember.case_id == Case.id, CaseMember.username == user.username)
    scoped = []
    for role in case_roles(user):
        if role in GEMEENTE_ROLES and user.gemeente:
            # The gemeente's toegang takes part in the case: a task of it, now or before.
            scoped.append((Case.gemeente == user.gemeente)
                          & exists().where(HumanTask.case_id == Case.id, HumanTask.role == role))
        elif role in ORGANISATIE_ROLES and user.organisatie:
            scoped.append(_organisation_of_case(role, user.organisatie))
    return or_(Case.inbrenger == user.username, member, task_involvement, *scoped)


def require_case(session: Session, user: User, case_id: int) -> Case:
    case = session.scalars(select(Case).where(Case.id == case_id, visible_case_clause(user))).first()
    if case is None:
        raise NotFound(f"Casus {case_id} bestaat niet of u bent er niet bij betrokken.")
    return case


def visible_task_clause(user: User):
    """Open tasks for the user's roles (within scope) that nobody took, and everything assigned to
    or done by them; for an auditor every task."""
    if is_auditor(user):
        return HumanTask.id.is_not(None)
    return or_(HumanTask.assignee == user.username, HumanTask.completed_by == user.username, _offered_clause(user))


_VISIBLE_TASK_IDS: dict[tuple, object] = {}


def visible_task_id(user: User):
    """SELECT HumanTask.id WHERE id = :task_id and visible_task_clause(user): built once per
    user and scope (the API's check before every act), not per request."""
    key = (user.username, tuple(user.rollen or ()), user.gemeente, user.organisatie)
    statement = _VISIBLE_TASK_IDS.get(key)
    if statement is None:
        if len(_VISIBLE_TASK_IDS) >= 1000:
            _VISIBLE_TASK_IDS.clear()
        statement = _VISIBLE_TASK_IDS[key] = select(HumanTask.id).where(
            HumanTask.id == bindparam("task_id"), visible_task_clause(user))
    return statement


def require_task(session: Session, user: User, task_id: int) -> HumanTask:
    task = session.scalars(select(HumanTask).where(HumanTask.id == task_id, visible_task_clause(user))).first()
    if task is None:
        raise NotFound(f"Taak {task_id} bestaat niet of is niet voor u.")
    return task


def require_task_to_read(session: Session, user: User, task_id: int) -> HumanTask:
    """A task to look at: one the user may work on (require_task), or a completed task of a case
    the user may see (its values as submitted are part of the case)."""
    try:
        return require_task(session, user, task_id)
    except NotFound:
        task = session.get(HumanTask, task_id)
        visible = session.scalar(select(Case.id).where(Case.id == task.case_id, visible_case_clause(user))) \
            if task is not None and task.state == "completed" else None
        if visible is None:
            raise
        return task


def in_scope(session: Session, user: User, case: Case, role: str) -> bool:
    """May `user` work for `role` in `case` (the gemeente or organisation fits, or it is regional)?"""
    if role not in (user.rollen or []):
        return False
    if role in GEMEENTE_ROLES:
        return bool(user.gemeente) and user.gemeente == case.gemeente
    if role in ORGANISATIE_ROLES:
        organisations = set(session.scalars(select(CaseOrganisation.organisatie).where(
            CaseOrganisation.case_id == case.id, CaseOrganisation.rol == role)))
        return not organisations or user.organisatie in organisations
    return True


def check_offered(user: User, task: HumanTask) -> None:
    """PermissionDenied unless a task nobody took is offered to this user (role and scope)."""
    session = object_session(task)
    if task.role not in (user.rollen or []):
        raise PermissionDenied(f"Deze taak is voor de rol '{task.role}'; {user.username} heeft die rol niet.")
    if session is not None and not in_scope(session, user, task.case, task.role):
        raise PermissionDenied(f"Deze taak is voor de rol '{task.role}' van een andere gemeente of organisatie.")


def require_may_act(user: User) -> None:
    if is_auditor(user) and not case_roles(user):
        raise PermissionDenied("Een auditor kan meekijken maar niets wijzigen.")
