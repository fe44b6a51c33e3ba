"""For the process owner: concepts (changed files over the deployed bundle), the parameters and
the letter templates edited in a concept, each concept's check result and plan, and its deploy
with a reason. The modeler page saves diagrams and forms into the same concepts, so the concept
page is generic over paths.

A letter preview is a separate response with its own strict policy (no scripts, nothing
fetched, only inline styles), shown in an <iframe sandbox>: the rendered template is the process
owner's HTML and never runs in the app's origin.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for

from app.documents import letters as letters_doc
from app.mail import is_address
from app.service import letter_preview
from app.service.access import PROCESS_OWNER
from app.service.bundle import PARAMETERS, SourceTree
from app.service.errors import Conflict, InvalidInput

from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("bundle_pages", __name__)

EXPLANATIONS = "processes/parameters_uitleg.json"
LETTER_NAME = re.compile(r"^[a-z0-9_\-]+\.(?:html\.j2|css)$")
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
MAX_NUMBER = 100_000


def _owner() -> str:
    user = current_user()
    if PROCESS_OWNER not in (user.rollen or []):
        abort(403)
    return user.username


def _draft(draft_id: int):
    return service().draft(_owner(), draft_id)  # NotFound for someone else's concept


# --- the concepts ------------------------------------------------------------------------------

@bp.get("/beheer/concepten")
@login_required
def concepts():
    username = _owner()
    return render_template("beheer_concepten.html", nav="concepten", drafts=service().drafts(username),
                           draft=None, fouten={}, titel="")


@bp.post("/beheer/concepten")
@login_required
def create_concept():
    username = _owner()
    titel = request.form.get("titel", "")
    try:
        draft = service().create_draft(username, titel)
    except InvalidInput as exc:
        return render_template("beheer_concepten.html", nav="concepten", drafts=service().drafts(username),
                               draft=None, fouten=exc.errors, titel=titel), 422
    flash(f"Concept '{draft.titel}' is aangemaakt.", "succes")
    return redirect(url_for("bundle_pages.concept", draft_id=draft.id))


@bp.post("/beheer/concepten/<int:draft_id>/verwijderen")
@login_required
def delete_concept(draft_id: int):
    draft = _draft(draft_id)
    service().delete_draft(_owner(), draft_id)
    flash(f"Concept '{draft.titel}' is verwijderd; er is niets in gebruik genomen.", "succes")
    return redirect(url_for("bundle_pages.concepts"))


def _concept_page(draft_id: int):
    username = _owner()
    draft = service().draft(username, draft_id)
    check = service().check_draft(username, draft_id)
    tree = service().draft_tree(username, draft_id)
    return render_template("beheer_concepten.html", nav="concepten", drafts=None, draft=draft, check=check,
                           letters=_letter_files(tree), fouten={}, titel="")


@bp.get("/beheer/concepten/<int:draft_id>")
@login_required
def concept(draft_id: int):
    return _concept_page(draft_id)


@bp.post("/beheer/concepten/<int:draft_id>/ongedaan")
@login_required
def discard_file(draft_id: int):
    path = request.form.get("pad", "")
    service().discard_draft_file(_owner(), draft_id, path)
    flash(f"De wijziging van {path} is ongedaan gemaakt.", "succes")
    return redirect(url_for("bundle_pages.concept", draft_id=draft_id))


# --- parameters --------------------------------------------------------------------------------

@dataclass
class Setting:
    naam: str
    soort: str  # getal | kommagetal | janee | tekst | email | datums | lijst
    waarde: object
    invoer: str  # what the field shows (as typed, after a refused post)
    uitleg: str
    toelichting: str
    bron: str


def _kind(naam: str, value) -> str:
    if isinstance(value, bool):
        return "janee"
    if isinstance(value, int):
        return "getal"
    if isinstance(value, float):
        return "kommagetal"
    if isinstance(value, list):
        return "datums" if naam == "extra_sluitingsdagen" or "dagen" in naam and all(
            isinstance(v, str) and _iso_date(v) for v in value) else "lijst"
    if isinstance(value, str) and is_address(value):
        return "email"
    return "tekst"


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _shown(kind: str, value) -> str:
    if kind == "janee":
        return "ja" if value else "nee"
    if kind in ("datums", "lijst"):
        return "\n".join(str(v) for v in value)
    return str(value)


def _parse(kind: str, text: str):
    """(value, None) or (None, Dutch message)."""
    text = (text or "").strip()
    if kind == "janee":
        return (text == "ja", None) if text in ("ja", "nee") else (None, "Kies ja of nee.")
    if kind == "getal":
        if not re.fullmatch(r"\d{1,6}", text) or int(text) > MAX_NUMBER:
            return None, f"Vul een heel getal in van 0 tot en met {MAX_NUMBER:,}".replace(",", ".") + "."
        return int(text), None
    if kind == "kommagetal":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return None, "Vul een getal in (bijvoorbeeld 1,5)."
        return (number, None) if 0 <= number <= MAX_NUMBER else (None, "Vul een getal van 0 of meer in.")
    if kind in ("datums", "lijst"):
        items = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
        if kind == "lijst":
            return items, None
        days, wrong = [], []
        for item in items:
            day = _iso_date(item) or _dutch_date(item)
            (days.append(day.isoformat()) if day else wrong.append(item))
        if wrong:
            return None, (f"Geen geldige datum: {', '.join(wrong)}. Schrijf één datum per regel als "
                          "JJJJ-MM-DD (bijvoorbeeld 2026-12-24) of DD-MM-JJJJ.")
        return sorted(set(days)), None
    if not text:
        return None, "Vul een waarde in."
    if len(text) > 500:
        return None, "Hoogstens 500 tekens."
    if kind == "email" and not is_address(text):
        return None, "Vul een geldig e-mailadres in (bijvoorbeeld team@voorbeeld.nl)."
    return text, None


def _dutch_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{4})", text)
    if not match:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def _explanations(tree: SourceTree) -> dict:
    try:
        return json.loads(tree.files.get(EXPLANATIONS) or "{}")
    except json.JSONDecodeError:
        return {}


def _parameters_of(tree: SourceTree) -> dict:
    try:
        values = tree.parameters()
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict):  # e.g. a text edit elsewhere left it broken: not a form to fill in
        abort(409, description="processes/parameters.json is in dit concept geen geldig JSON-object. Maak die "
                               "wijziging ongedaan op de conceptpagina en begin opnieuw.")
    return values


def _settings(tree: SourceTree, typed: dict | None = None) -> list[Setting]:
    uitleg = _explanations(tree)
    result = []
    for naam, value in _parameters_of(tree).items():
        kind = _kind(naam, value)
        info = uitleg.get(naam) or {}
        shown = typed[naam] if typed is not None and naam in typed else _shown(kind, value)
        result.append(Setting(naam, kind, value, shown, info.get("uitleg") or "Nog geen uitleg.",
                              info.get("toelichting") or "", info.get("bron") or ""))
    return result


def _parameters_page(draft, tree, status=200, typed=None, fouten=None, check=None):
    return render_template("beheer_parameters.html", nav="concepten", draft=draft, settings=_settings(tree, typed),
                           fouten=fouten or {}, check=check, changed=PARAMETERS in (draft.files or {})), status


@bp.get("/beheer/concepten/<int:draft_id>/parameters")
@login_required
def parameters(draft_id: int):
    draft = _draft(draft_id)
    return _parameters_page(draft, service().draft_tree(_owner(), draft_id))


@bp.post("/beheer/concepten/<int:draft_id>/parameters")
@login_required
def save_parameters(draft_id: int):
    username = _owner()
    draft = service().draft(username, draft_id)
    tree = service().draft_tree(username, draft_id)
    current = _parameters_of(tree)
    typed, values, fouten = {}, {}, {}
    for naam, value in current.items():  # the keys of the file, in its order: nothing added or lost
        kind = _kind(naam, value)
        raw = ("ja" if request.form.get(naam) == "ja" else "nee") if kind == "janee" else request.form.get(naam, "")
        typed[naam] = raw
        parsed, problem = _parse(kind, raw)
        if problem:
            fouten[naam] = [problem]
        else:
            values[naam] = parsed
    if fouten:
        flash("De instellingen zijn niet opgeslagen: verbeter de velden met een melding.", "fout")
        return _parameters_page(draft, tree, 422, typed, fouten)
    text = json.dumps(values, indent=2, ensure_ascii=False) + "\n"
    if values == current and text != tree.files.get(PARAMETERS):
        text = tree.files[PARAMETERS]  # same values: keep the file as it was written (no spurious change)
    try:
        check = service().save_draft_file(username, draft_id, PARAMETERS, text,
                                          revision=request.form.get("revisie", type=int))
    except (Conflict, InvalidInput) as exc:
        flash(exc.message, "fout")
        return _parameters_page(draft, tree, 409 if isinstance(exc, Conflict) else 422, typed)
    draft = service().draft(username, draft_id)
    flash("De instellingen zijn in het concept opgeslagen. Ze gelden pas na in gebruik nemen.", "succes")
    return _parameters_page(draft, service().draft_tree(username, draft_id), check=check)


# --- letters -----------------------------------------------------------------------------------

def _letter_files(tree: SourceTree) -> list[str]:
    return sorted(tree.letters())


def _letter_name(name: str) -> str:
    if not LETTER_NAME.fullmatch(name or ""):
        abort(404)
    return name


def _letter_page(draft, tree, name, status=200, text=None, check=None, fout=None):
    templates = tree.letters()
    if name not in templates and text is None:
        abort(404, description=f"De brief '{name}' bestaat niet in dit concept.")
    if fout is None:
        try:
            letter_preview.render(letter_preview.preview_name(name), templates)
        except letters_doc.LetterError as exc:
            fout = str(exc)
    return render_template("beheer_brieven.html", nav="concepten", draft=draft, naam=name,
                           tekst=templates.get(name, "") if text is None else text, brieven=sorted(templates),
                           fout=fout, check=check, changed=f"letters/{name}" in (draft.files or {}),
                           voorbeeld=url_for("bundle_pages.letter_preview_page", draft_id=draft.id, name=name)), status


@bp.get("/beheer/concepten/<int:draft_id>/brieven/<name>")
@login_required
def letter(draft_id: int, name: str):
    name = _letter_name(name)
    draft = _draft(draft_id)
    return _letter_page(draft, service().draft_tree(_owner(), draft_id), name)


@bp.post("/beheer/concepten/<int:draft_id>/brieven/<name>")
@login_required
def save_letter(draft_id: int, name: str):
    name = _letter_name(name)
    username = _owner()
    draft = service().draft(username, draft_id)
    tree = service().draft_tree(username, draft_id)
    if name not in tree.letters():
        abort(404, description=f"De brief '{name}' bestaat niet in dit concept.")
    text = request.form.get("inhoud", "").replace("\r\n", "\n")
    try:
        check = service().save_draft_file(username, draft_id, f"letters/{name}", text,
                                          revision=request.form.get("revisie", type=int))
    except (Conflict, InvalidInput) as exc:
        flash(exc.message, "fout")
        return _letter_page(draft, tree, name, 409 if isinstance(exc, Conflict) else 422, text=text)
    draft = service().draft(username, draft_id)
    tree = service().draft_tree(username, draft_id)
    fout = None
    try:
        letter_preview.render(letter_preview.preview_name(name), tree.letters())
    except letters_doc.LetterError as exc:
        fout = str(exc)
    if fout:
        flash("Opgeslagen in het concept, maar de brief is zo niet te maken: " + fout
              + ". Zo kan het concept niet in gebruik worden genomen.", "fout")
        return _letter_page(draft, tree, name, 422, check=check, fout=fout)
    flash("De brief is in het concept opgeslagen. Hij geldt pas na in gebruik nemen.", "succes")
    return _letter_page(draft, tree, name, check=check)


@bp.get("/beheer/concepten/<int:draft_id>/brieven/<name>/voorbeeld")
@login_required
def letter_preview_page(draft_id: int, name: str):
    name = _letter_name(name)
    _draft(draft_id)
    templates = service().draft_tree(_owner(), draft_id).letters()
    try:
        body = letter_preview.render(letter_preview.preview_name(name), templates)
    except letters_doc.LetterError as exc:
        body = render_template("beheer_brief_fout.html", fout=str(exc))
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"  # shown in the editor's iframe, nowhere else
    return response
