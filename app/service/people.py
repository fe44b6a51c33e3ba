"""People chosen in a case: who a people picker offers, and what choosing someone means.

A form field of type `user` (app/formdefs/people.py) stores a username in a case variable ending
in `_gebruiker` (`_gebruikers` for a list); the diagrams give the person's steps to them with
`camunda:assignee="gekozen('toegang_gebruiker')"`. Choosing someone makes them a member of the
case (they see it) and, for an organisation role, binds the case to their organisation
(`casus_organisatie`, which lets their colleagues see it: app/service/access.py).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formdefs import FormDefinition
from app.formdefs import people as fields
from persistence.models import Case, CaseMember, CaseOrganisation, User

from .access import ADMIN, ORGANISATIE_ROLES
from .context import Context


def _label(user: User) -> str:
    where = ", ".join(part for part in (user.organisatie, (user.gemeente or "").replace("_", " ").title()) if part)
    return f"{user.naam} ({where})" if where else user.naam


def lookup(session: Session, gemeente: str | None, case_id: int | None = None, starter: User | None = None):
    """(role, scope) -> [(username, label)] of the active users a picker may offer in this case.

    The users are read at the first question, not before: most forms have no picker, and every
    completion builds one of these (reading all active users cost ~0.5 ms per act)."""
    loaded: dict = {}

    def _load() -> tuple[list[User], dict[str, set[str]]]:
        if not loaded:
            loaded["active"] = session.scalars(
                select(User).where(User.actief.is_(True)).order_by(User.naam, User.username)).all()
            loaded["organisations"] = organisations = {}
            if case_id is not None:
                for role, organisatie in session.execute(select(CaseOrganisation.rol, CaseOrganisation.organisatie)
                                                         .where(CaseOrganisation.case_id == case_id)):
                    organisations.setdefault(role, set()).add(organisatie)
        return loaded["active"], loaded["organisations"]

    def offer(role: str, scope: str) -> list[tuple[str, str]]:
        active, organisations = _load()
        users = [u for u in active if role in (u.rollen or [])]
        if scope == "gemeente":
            users = [u for u in users if gemeente and u.gemeente == gemeente]
        elif scope == "gemeente_of_regionaal":
            users = [u for u in users if not u.gemeente or u.gemeente == gemeente]
        elif scope == "organisatie":
            own = organisations.get(role) or ({starter.organisatie} if starter is not None and starter.organisatie
                                              else set())
            if own:  # a case not yet bound to an organisation for the role: the whole region
                users = [u for u in users if u.organisatie in own]
        return [(u.username, _label(u)) for u in users]

    return offer


def for_case(session: Session, case: Case):
    return lookup(session, case.gemeente, case.id)


def note_organisation(session: Session, case_id: int, user: User, role: str | None) -> None:
    """The user's organisation now takes part in the case for this organisation role."""
    if role in ORGANISATIE_ROLES and role in (user.rollen or []) and user.organisatie \
            and session.get(CaseOrganisation, (case_id, role, user.organisatie)) is None:
        session.add(CaseOrganisation(case_id=case_id, rol=role, organisatie=user.organisatie))
        session.flush()


def start_defaults(definition: FormDefinition, values: dict, starter: User) -> dict:
    """A start form's picker for a role the starter has, left empty, means the starter: the GI
    casusregisseur who starts P5 is the case's casusregisseur unless they choose a colleague."""
    for spec in definition.fields:
        if spec.type == fields.USER and spec.name not in values and spec.role in (starter.rollen or []):
            values[spec.name] = [starter.username] if spec.multiple else starter.username
    return values


def record_choices(ctx: Context, session: Session, case: Case, definition: FormDefinition | None, values: dict,
                   actor: str) -> None:
    """Everyone chosen in the submitted form becomes a member of the case (and binds their organisation)."""
    if definition is None:
        return
    for spec in definition.fields:
        if spec.type != fields.USER or not values.get(spec.name):
            continue
        chosen = values[spec.name] if spec.multiple else [values[spec.name]]
        for username in chosen:
            user = session.get(User, username)
            if user is None:
                continue
            if session.get(CaseMember, (case.id, username)) is None:
                session.add(CaseMember(case_id=case.id, username=username, reden=f"gekozen: {spec.label}"[:200],
                                       added_by=actor, added_at=ctx.now()))
            note_organisation(session, case.id, user, spec.role)
    session.flush()


def resolve(definition: FormDefinition | None, offer) -> FormDefinition | None:
    """The form with the picker choices for this case filled in (a page or the API's JSON Schema)."""
    return fields.resolve(definition, offer) if definition is not None else None


def toegang_emails(session: Session, case: Case, data: dict) -> list[str]:
    """Where the card goes at the handover: the chosen toegang professional, else the toegang users
    of the case's gemeente; never the toegang of another gemeente (then nobody: see below)."""
    chosen = session.get(User, data.get("toegang_gebruiker") or "")
    if chosen is not None and chosen.actief and chosen.email:
        return [chosen.email]
    return [u.email for u in session.scalars(select(User).where(User.actief.is_(True), User.gemeente == case.gemeente))
            if "toegang" in (u.rollen or []) and u.email and case.gemeente]


def tell_beheerder_no_toegang(session: Session, case: Case, key: str, now, footer: str) -> None:
    """The gemeente of the case has no toegang user to send the card to: the beheerders hear so."""
    from .notifications import queue_mail  # notifications imports this module

    admins = [u.email for u in session.scalars(select(User).where(User.actief.is_(True)))
              if ADMIN in (u.rollen or []) and u.email]
    gemeente = (case.gemeente or "onbekend").replace("_", " ").title()
    queue_mail(session, case, f"{key}:geen_toegang", "geen_toegang", admins,
               f"Geen gemeentelijke toegang voor gemeente {gemeente} (casus {case.referentie})",
               f"De Veiligheidskaart van casus {case.referentie} moet bij de warme overdracht naar de "
               f"gemeentelijke toegang van {gemeente}, maar die gemeente heeft geen actieve gebruiker met de rol "
               "toegang (met e-mailadres). De kaart is daarom niet verstuurd, ook niet naar de toegang van andere "
               "gemeenten. Maak een account aan voor de toegang van deze gemeente; de casusregisseur van de GI kan "
               "de kaart daarna vanaf de casuspagina als PDF delen." + footer, now)
