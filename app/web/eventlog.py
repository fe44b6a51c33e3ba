"""/overzicht/eventlog: the event log of a procedure as a download for process mining (XES, OCEL
2.0 or CSV), for auditors, process owners and the VeiligheidsTeam; the overview page links here.
Query parameters: procedure, format=xes|ocel|csv, van, tot (JJJJ-MM-DD), namen=1 (auditors only)."""
from __future__ import annotations

from flask import Response, abort, request, stream_with_context

from app.service.access import AUDITOR, PROCESS_OWNER
from app.service.errors import PermissionDenied
from app.service.insight import eventlog

from .access_logging import web_session_id
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("eventlog", __name__)

READERS = {AUDITOR, PROCESS_OWNER, "veiligheidsteam"}
# A person's name instead of the role: only for the auditor, who answers for the reason.
NAMES_READERS = {AUDITOR}


@bp.get("/overzicht/eventlog")
@login_required
def download():
    user = current_user()
    roles = set(user.rollen or [])
    if not READERS & roles:
        abort(403)
    met_namen = request.args.get("namen") in ("1", "ja", "true")
    if met_namen and not NAMES_READERS & roles:
        raise PermissionDenied("Alleen een auditor kan het log met namen downloaden.")
    ctx = service().ctx
    with ctx.reading() as session:
        query = eventlog.make_query(session, request.args.get("procedure"), request.args.get("format") or "xes",
                                    request.args.get("van"), request.args.get("tot"), met_namen)
    fmt = request.args.get("format") or "xes"
    eventlog.record_export(ctx, user.username, query, fmt, request.remote_addr, web_session_id())

    def chunks():
        with ctx.reading() as session:
            yield from eventlog.write(ctx, session, query, fmt)

    return Response(stream_with_context(chunks()), mimetype=eventlog.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{eventlog.export_name(query, fmt)}"',
                             "Cache-Control": "no-store"})
