"""A bundle's source tree: every file a deployment consists of, by path.

The same tree comes from the folders on disk (`vht deploy`), from the last deployment in the
database, or from that deployment with a process owner's concept laid over it (the browser).
Deploy checks and stores a tree; it never cares where the tree came from.

Paths: `processes/<naam>.bpmn`, `processes/parameters.json`, `processes/parameters_uitleg.json`,
`processes/scenarios/<naam>.json`, `forms/<sleutel>.json`, `letters/<naam>.html.j2`,
`letters/<naam>.css`.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formdefs import FormRegistry
from persistence.models import BundleFile, Deployment

PATH = re.compile(
    r"processes/[A-Za-z0-9_\-]+\.bpmn|processes/parameters(?:_uitleg)?\.json|processes/scenarios/[A-Za-z0-9_\-]+\.json"
    r"|forms/[a-z0-9_]+\.json|letters/[a-z0-9_\-]+\.(?:html\.j2|css)"
)
MAX_FILE_CHARS = 2_000_000
PARAMETERS = "processes/parameters.json"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def path_problem(path: str) -> str | None:
    """Why `path` cannot be in a bundle (Dutch), or None."""
    if not isinstance(path, str) or not PATH.fullmatch(path):
        return (f"'{path}' is geen bestand van een procedure: toegestaan zijn processes/<naam>.bpmn, "
                "processes/parameters.json, processes/scenarios/<naam>.json, forms/<sleutel>.json "
                "(kleine letters, cijfers, _) en letters/<naam>.html.j2 of .css")
    return None


@dataclass(frozen=True)
class SourceTree:
    files: dict[str, str] = field(default_factory=dict)

    def overlay(self, changes: dict[str, str | None]) -> "SourceTree":
        """This tree with `changes` applied (None removes the file)."""
        files = dict(self.files)
        for path, content in changes.items():
            if content is None:
                files.pop(path, None)
            else:
                files[path] = content
        return SourceTree(files)

    def diagrams(self) -> dict[str, bytes]:
        """{file name: XML} of every diagram, in name order."""
        return {path.split("/", 1)[1]: text.encode("utf-8") for path, text in sorted(self.files.items())
                if path.startswith("processes/") and path.endswith(".bpmn")}

    def form_sources(self) -> dict[str, str]:
        return {path[len("forms/"):-len(".json")]: text for path, text in self.files.items()
                if path.startswith("forms/")}

    def forms(self) -> FormRegistry:
        return FormRegistry(sources=self.form_sources())

    def parameters(self) -> dict:
        text = self.files.get(PARAMETERS)
        return json.loads(text) if text else {}

    def letters(self) -> dict[str, str]:
        return {path[len("letters/"):]: text for path, text in self.files.items() if path.startswith("letters/")}

    def scenarios(self) -> dict[str, str]:
        return {path[len("processes/scenarios/"):]: text for path, text in self.files.items()
                if path.startswith("processes/scenarios/")}


def from_folders(processes_dir: Path, forms_dir: Path, letters_dir: Path | None) -> SourceTree:
    """The files on disk that make a bundle (README files and anything else are not part of it)."""
    files: dict[str, str] = {}
    folders = [("processes", Path(processes_dir)), ("forms", Path(forms_dir))]
    if letters_dir is not None:
        folders.append(("letters", Path(letters_dir)))
    for prefix, folder in folders:
        for path in sorted(folder.rglob("*")):
            relative = f"{prefix}/{path.relative_to(folder).as_posix()}"
            if path.is_file() and PATH.fullmatch(relative):
                files[relative] = path.read_text(encoding="utf-8")
    return SourceTree(files)


def store(session: Session, files: dict[str, str]) -> dict[str, str]:
    """Store every file's text once (by content); {path: sha256}."""
    shas = {path: sha(text) for path, text in files.items()}
    known = set(session.scalars(select(BundleFile.sha256).where(BundleFile.sha256.in_(set(shas.values())))))
    for path, digest in shas.items():
        if digest not in known:
            session.add(BundleFile(sha256=digest, content=files[path]))
            known.add(digest)
    session.flush()
    return shas


def contents(session: Session, shas) -> dict[str, str]:
    """{sha256: text} for the given digests."""
    wanted = set(shas)
    if not wanted:
        return {}
    return dict(session.execute(select(BundleFile.sha256, BundleFile.content).where(BundleFile.sha256.in_(wanted))).all())


def latest_deployment(session: Session) -> Deployment | None:
    return session.scalars(select(Deployment).order_by(Deployment.id.desc()).limit(1)).first()


def deployed_tree(session: Session, deployment: Deployment | None = None) -> SourceTree:
    """The tree of `deployment` (default: the last one); empty before the first deploy."""
    deployment = deployment or latest_deployment(session)
    if deployment is None:
        return SourceTree({})
    texts = contents(session, deployment.files.values())
    return SourceTree({path: texts[digest] for path, digest in deployment.files.items()})
