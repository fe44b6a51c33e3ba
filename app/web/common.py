"""What every page uses: the service, the template context (user, CSRF token, navigation) and
the lists the filters and summaries read (gemeenten, procedure names, people's names)."""
from __future__ import annotations

from flask import current_app, g

from app.formdefs import FormDefinitionError

from .auth import current_user
from .security import csrf_token

CASE_FORM = "start_casus"  # its gemeente options are the region's gemeenten


def service():
    return current_app.extensions["vht_service"]


def _cached(key: str, load):
    if key not in g:
        setattr(g, key, load())
    return getattr(g, key)


def gemeenten() -> list[tuple[str, str]]:
    def load():
        try:
            spec = service().ctx.forms.get(CASE_FORM).field("gemeente")
        except FormDefinitionError:
            return []
        return list(spec.options) if spec else []
    return _cached("vht_gemeenten", load)


def gemeente_naam(code: str | None) -> str:
    return dict(gemeenten()).get(code or "", code or "")


def process_names() -> dict[str, str]:
    return _cached("vht_process_names", lambda: service().process_names())


def procedure_naam(process_id: str | None) -> str:
    return process_names().get(process_id or "", process_id or "")


def user_names() -> dict[str, str]:
    return _cached("vht_user_names", lambda: service().user_names())


def persoon(username: str | None) -> str:
    if not username:
        return ""
    if username == "systeem":
        return "Systeem"
    return user_names().get(username, username)


def may_start_cases() -> bool:
    user = current_user()
    return bool(user) and _cached("vht_may_start", lambda: service().may_start_cases(user.username))


def template_context() -> dict:
    def user_or_none():
        try:
            return current_user()
        except Exception:  # the error page of a broken database must still render
            return None

    return {"current_user": user_or_none(), "csrf_token": csrf_token,
            "may_start_cases": _LazyBool(may_start_cases)}


class _LazyBool:
    """Asked only when a template shows the navigation."""

    def __init__(self, load):
        self._load = load

    def __bool__(self):
        try:
            return bool(self._load())
        except Exception:
            return False


def register(app) -> None:
    app.context_processor(template_context)
    app.add_template_filter(gemeente_naam, "gemeente")
    app.add_template_filter(procedure_naam, "procedure")
    app.add_template_filter(persoon, "persoon")
