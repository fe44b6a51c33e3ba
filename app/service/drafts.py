"""A process owner's concepts: changed files over the deployed bundle, checked on every save,
deployed as a whole. A concept touches no case until it is deployed.

Each changed file remembers the deployed text it was edited from (`base`). When someone else
deploys that file in the meantime, the concept is not laid over their change unnoticed: check
and deploy report the file until the owner takes the new text in (opens it again).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.checks import Problem
from persistence.models import ProcessDraft

from . import bundle, deploy
from .bundle import SourceTree
from .errors import DeployRefused, InvalidInput, NotFound

MAX_TITLE = 200
MAX_DRAFTS_PER_OWNER = 50


@dataclass
class DraftCheck:
    """The outcome of checking a concept: problems (per element where known) and the plan."""
    problems: list[Problem] = field(default_factory=list)
    plan: list[deploy.PlanItem] = field(default_factory=list)
    revision: int | None = None  # the concept's revision after a save

    @property
    def ok(self) -> bool:
        return not self.problems


def create(session: Session, owner: str, titel: str, now) -> ProcessDraft:
    titel = (titel or "").strip()
    if not titel or len(titel) > MAX_TITLE:
        raise InvalidInput("Het concept is niet aangemaakt.", {"titel": [f"Geef een titel (hoogstens {MAX_TITLE} tekens)."]})
    count = len(session.scalars(select(ProcessDraft.id).where(ProcessDraft.owner == owner)).all())
    if count >= MAX_DRAFTS_PER_OWNER:
        raise InvalidInput("Het concept is niet aangemaakt.",
                           {"titel": [f"U heeft al {count} concepten; verwijder er eerst een."]})
    draft = ProcessDraft(owner=owner, titel=titel, files={}, created_at=now, updated_at=now)
    session.add(draft)
    session.flush()
    return draft


def for_owner(session: Session, owner: str) -> list[ProcessDraft]:
    return session.scalars(select(ProcessDraft).where(ProcessDraft.owner == owner)
                           .order_by(ProcessDraft.updated_at.desc())).all()


def get(session: Session, owner: str, draft_id: int) -> ProcessDraft:
    draft = session.get(ProcessDraft, draft_id)
    if draft is None or draft.owner != owner:  # another owner's concept is not there for you
        raise NotFound(f"Concept {draft_id} bestaat niet.")
    return draft


def save_file(session: Session, draft: ProcessDraft, path: str, content: str, now) -> None:
    """Keep `content` for `path` in the concept; the same text as deployed drops the change."""
    problem = bundle.path_problem(path)
    if problem:
        raise InvalidInput("Het bestand is niet opgeslagen.", {"pad": [problem]})
    if not isinstance(content, str) or len(content) > bundle.MAX_FILE_CHARS:
        raise InvalidInput("Het bestand is niet opgeslagen.",
                           {"inhoud": [f"Tekst van hoogstens {bundle.MAX_FILE_CHARS:,} tekens."]})
    deployed = bundle.deployed_tree(session).files.get(path)
    files = dict(draft.files or {})
    if content == deployed:
        files.pop(path, None)
    else:
        previous = files.get(path)
        # The base stays what the owner first edited from, so a deploy in between is noticed.
        base = previous["base"] if previous else (bundle.sha(deployed) if deployed is not None else None)
        files[path] = {"content": content, "base": base}
    draft.files = files
    draft.updated_at = now


def discard_file(session: Session, draft: ProcessDraft, path: str, now) -> None:
    files = dict(draft.files or {})
    files.pop(path, None)
    draft.files = files
    draft.updated_at = now


def tree(session: Session, draft: ProcessDraft) -> tuple[SourceTree, list[Problem]]:
    """The deployed bundle with the concept laid over it, and the files deployed by someone else
    since the owner started editing them."""
    deployed = bundle.deployed_tree(session)
    stale = []
    for path, change in (draft.files or {}).items():
        current = deployed.files.get(path)
        if (bundle.sha(current) if current is not None else None) != change.get("base"):
            stale.append(Problem(path, None, "dit bestand is sinds u het opende opnieuw in gebruik genomen door een "
                                             "ander; open de nieuwe versie en breng uw wijziging daarin aan"))
    return deployed.overlay({path: change["content"] for path, change in (draft.files or {}).items()}), stale


def check(session: Session, draft: ProcessDraft, extra_checks=None) -> DraftCheck:
    """Every check a deploy runs, and the plan, without writing anything."""
    source, stale = tree(session, draft)
    try:
        bundles = deploy.parse_tree(source)
        problems = list(stale) + list((extra_checks(source, bundles) if extra_checks else None) or [])
        return DraftCheck(problems, deploy.plan(session, source, bundles))
    except DeployRefused as refused:
        return DraftCheck(list(stale) + [p if isinstance(p, Problem) else Problem("", None, str(p))
                                         for p in refused.items])


def deploy_draft(session: Session, draft: ProcessDraft, actor: str, reden: str, now, *,
                 terugzetten: bool = False, extra_checks=None) -> list[deploy.Deployed]:
    source, stale = tree(session, draft)
    if stale:
        raise DeployRefused(stale, "Er is niets in gebruik genomen:")
    result = deploy.deploy_tree(session, source, actor, reden, now, terugzetten=terugzetten, checks=extra_checks)
    session.delete(draft)  # its changes are the deployed bundle now
    return result
