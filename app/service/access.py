"""Who may see what. The rules, in one place, as queries:

- a professional sees a case when involved in it: its inbrenger, a member (added, assigned,
  reassigned), or holding a role that has (had) a task in it, or having worked one of its tasks;
- a professional sees the tasks for their roles that nobody has taken, and their own;
- auditors read every case and change nothing; process owners and administrators see no cases
  unless they are involved like anyone else.
A case someone may not see does not exist for them (NotFound, not a hint that it is there).
"""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from persistence.models import Case, CaseMember, HumanTask, User

from .errors import NotFound, PermissionDenied

AUDITOR = "auditor"
PROCESS_OWNER = "procesbeheerder"
ADMIN = "beheerder"
NON_CASE_ROLES = {AUDITOR, PROCESS_OWNER, ADMIN}


def is_auditor(user: User) -> bool:
    return AUDITOR in (user.rollen or [])


def case_roles(user: User) -> list[str]:
    return [r for r in (user.rollen or []) if r not in NON_CASE_ROLES]


def visible_case_clause(user: User):
    """A WHERE clause on Case for the cases `user` may see."""
    if is_auditor(user):
        return Case.id.is_not(None)
    roles = case_roles(user)
    task_involvement = exists().where(
        HumanTask.case_id == Case.id,
        or_(HumanTask.assignee == user.username, HumanTask.completed_by == user.username,
            # A role is involved through a task offered to it (nobody took it yet); a task the
            # diagram gave to one person (e.g. the inbrenger's own) involves that person only,
            # else every inbrenger of every gemeente would see every case.
            (HumanTask.assignee.is_(None) & HumanTask.role.in_(roles)) if roles else False),
    )
    member = exists().where(CaseMember.case_id == Case.id, CaseMember.username == user.username)
    return or_(Case.inbrenger == user.username, member, task_involvement)


def require_case(session: Session, user: User, case_id: int) -> Case:
    case = session.scalars(select(Case).where(Case.id == case_id, visible_case_clause(user))).first()
    if case is None:
        raise NotFound(f"Casus {case_id} bestaat niet of u bent er niet bij betrokken.")
    return case


def visible_task_clause(user: User):
    """Open tasks for the user's roles that nobody took, and everything assigned to or done by them;
    for an auditor every task."""
    if is_auditor(user):
        return HumanTask.id.is_not(None)
    roles = case_roles(user)
    return or_(
        HumanTask.assignee == user.username,
        HumanTask.completed_by == user.username,
        (HumanTask.assignee.is_(None) & HumanTask.role.in_(roles)) if roles else False,
    )


def require_task(session: Session, user: User, task_id: int) -> HumanTask:
    task = session.scalars(select(HumanTask).where(HumanTask.id == task_id, visible_task_clause(user))).first()
    if task is None:
        raise NotFound(f"Taak {task_id} bestaat niet of is niet voor u.")
    return task


def require_may_act(user: User) -> None:
    if is_auditor(user) and not case_roles(user):
        raise PermissionDenied("Een auditor kan meekijken maar niets wijzigen.")
