"""Who may act: users with roles. (Passwords and sessions belong to the web layer's issue.)"""
from __future__ import annotations

from sqlalchemy.orm import Session

from persistence.models import HumanTask, User

from .errors import NotFound, PermissionDenied
from .events import SYSTEM


def require_user(session: Session, username: str) -> User:
    user = session.get(User, username) if username else None
    if user is None or not user.actief:
        raise NotFound(f"Gebruiker '{username}' bestaat niet of is niet actief.")
    return user


def check_may_work(user: User, task: HumanTask) -> None:
    if task.assignee and task.assignee != user.username:
        raise PermissionDenied(f"Deze taak is toegewezen aan {task.assignee}.")
    if not task.assignee and task.role not in (user.rollen or []):
        raise PermissionDenied(f"Deze taak is voor de rol '{task.role}'; {user.username} heeft die rol niet.")


def upsert(session: Session, username: str, naam: str, rollen: list[str], **fields) -> User:
    if username == SYSTEM:
        raise ValueError(f"'{SYSTEM}' is reserved for the system actor")
    user = session.get(User, username)
    if user is None:
        user = User(username=username)
        session.add(user)
    user.naam = naam
    user.rollen = rollen
    user.actief = True
    for key, value in fields.items():
        setattr(user, key, value)
    return user
