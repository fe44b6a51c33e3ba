"""Who may act: users with roles; creating and deactivating accounts."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from persistence.models import Case, HumanTask, User

from . import web_sessions
from .access import ADMIN, AUDITOR, PROCESS_OWNER, check_offered
from .errors import InvalidInput, NotFound, PermissionDenied
from .events import SYSTEM

# The roles the diagrams give tasks to (lanes, camunda:candidateGroups), and the three that work
# on the product rather than in cases.
CASE_ROLES = ("inbrenger", "veiligheidsteam", "netwerkpartner", "voorzitter", "rvdk", "gi", "toegang",
              "zorgaanbieder")
ROLES = CASE_ROLES + (PROCESS_OWNER, AUDITOR, ADMIN)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")


def require_user(session: Session, username: str) -> User:
    user = session.get(User, username) if username else None
    if user is None or not user.actief:
        raise NotFound(f"Gebruiker '{username}' bestaat niet of is niet actief.")
    return user


def check_may_work(user: User, task: HumanTask) -> None:
    if task.assignee and task.assignee != user.username:
        raise PermissionDenied(f"Deze taak is toegewezen aan {task.assignee}.")
    if not task.assignee:
        check_offered(user, task)  # the role, and the task's case within the user's gemeente/organisation


def upsert(session: Session, now: datetime, username: str, naam: str, rollen: list[str], **fields) -> User:
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
    if not user.actief:
        web_sessions.revoke_all(session, now, username)
    return user


def check_new_account(username: str, naam: str, rollen: list[str], email: str | None) -> dict:
    """The problems of a new account's fields, per field (empty when there are none)."""
    problems: dict[str, list[str]] = {}
    if username == SYSTEM:
        problems["gebruikersnaam"] = [f"'{SYSTEM}' is gereserveerd voor wat de applicatie zelf doet."]
    elif not USERNAME.fullmatch(username or ""):
        problems["gebruikersnaam"] = ["Gebruik 2 tot 80 kleine letters, cijfers, punt, liggend streepje of "
                                      "koppelteken, beginnend met een letter of cijfer."]
    if not (naam or "").strip():
        problems["naam"] = ["Vul de naam in."]
    unknown = [r for r in rollen if r not in ROLES]
    if not rollen or unknown:
        problems["rollen"] = [(f"Onbekende rol: {', '.join(unknown)}. " if unknown else "Geef minstens één rol. ")
                              + f"Bekende rollen: {', '.join(ROLES)}."]
    if email:
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems["email"] = ["Dit is geen geldig e-mailadres."]
    return problems


def create(session: Session, username: str, naam: str, rollen: list[str], password_hash: str, **fields) -> User:
    """A new, active account; refused when the name is taken (also by a deactivated account)."""
    problems = check_new_account(username, naam, rollen, fields.get("email"))
    if problems:
        raise InvalidInput("Het account is niet aangemaakt.", problems)
    if session.get(User, username) is not None:
        raise InvalidInput("Het account is niet aangemaakt.",
                           {"gebruikersnaam": [f"De gebruikersnaam '{username}' bestaat al."]})
    user = User(username=username, naam=naam.strip(), rollen=list(rollen), actief=True,
                password_hash=password_hash, **fields)
    session.add(user)
    return user


def deactivate(session: Session, now: datetime, username: str) -> int:
    """The account can no longer log in or use its token; its open sessions end. How many ended."""
    require_user(session, username).actief = False
    return web_sessions.revoke_all(session, now, username)


def is_empty(session: Session) -> bool:
    """No users and no cases: the only database demo data may go into."""
    return not session.scalar(select(exists().where(User.username.is_not(None)))) and \
        not session.scalar(select(exists().where(Case.id.is_not(None))))
