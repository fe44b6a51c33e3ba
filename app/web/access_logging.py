"""Every page that shows personal data of a case records the read (NEN 7513), in one decorator:

    @bp.get("/casussen/<int:case_id>")
    @login_required
    @logs_access("casuspagina", CASE)

`CASE`, `TASK`, `INCIDENT` name the page's case from its URL; a page that lists cases (no source)
names them with `listed(ids)` while it renders. Before the page: someone who must give a reason
for this case in this session (an auditor, a beheerder: app/service/access_log.py) is sent to
the reason page. After it: a shown page (2xx) is recorded before it is sent; when that write
fails the error page is sent instead, so no read goes unrecorded.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from flask import g, make_response, redirect, request, session, url_for

from app.service.access_log import REASON_ROLES
from app.service.web_sessions import session_id as _session_id

from .auth import SESSION_TOKEN, current_user
from .common import service


@dataclass(frozen=True)
class Source:
    """Where a page's case comes from; `must_see`: only a case the user may see (else the page 404s)."""
    case_of: Callable[[dict], int | None]
    must_see: bool = True


CASE = Source(lambda kwargs: kwargs["case_id"])
TASK = Source(lambda kwargs: service().case_id_of_task(kwargs["task_id"]))
# The incident pages show a case's data to beheerders who may not open the case itself.
INCIDENT = Source(lambda kwargs: service().case_id_of_incident(kwargs["incident_id"]), must_see=False)


def web_session_id() -> str | None:
    token = session.get(SESSION_TOKEN)
    return _session_id(token) if token else None


def listed(case_ids, wat: str | None = None) -> None:
    """A list page names the cases it shows (in the order shown), and what it was if not the usual."""
    g.vht_listed = list(case_ids)
    if wat:
        g.vht_wat = wat


def reason_url(case_id: int, volgende: str) -> str:
    return url_for("audit_access.reason", case_id=case_id, volgende=volgende)


def logs_access(wat: str, source: Source | None = None, *, gate: bool = True):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user, sessie = current_user(), web_session_id()
            case_id = source.case_of(kwargs) if source else None
            if (gate and case_id is not None and request.method == "GET" and REASON_ROLES & set(user.rollen or [])
                    and service().access_reason_needed(user.username, case_id, sessie, must_see=source.must_see)):
                return redirect(reason_url(case_id, request.full_path.rstrip("?")))
            response = make_response(view(*args, **kwargs))
            if 200 <= response.status_code < 300:
                ids = [case_id] if source else g.pop("vht_listed", [])
                service().log_access(user.username, ids, g.pop("vht_wat", wat), request.remote_addr, sessie)
            return response
        return wrapped
    return decorate
