"""The pages. For now the front page and the health check; the inbox follows."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template_string
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("pages", __name__)

HOME = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>VeiligheidsTeam werkwijze</title></head>
<body>
<h1>VeiligheidsTeam &ndash; werkwijze vervolgacties en interventies</h1>
<p>{{ open_tasks }} open taken in {{ cases }} casussen. Procedures in gebruik:</p>
<ul>{% for v in versions %}<li>{{ v.process_id }} (versie {{ v.version }})</li>{% endfor %}</ul>
<p>De werkbak in de browser volgt; gebruik tot dan de opdrachtregel <code>vht</code>.</p>
</body></html>"""


@bp.get("/")
def home():
    service = current_app.extensions["vht_service"]
    versions = {v.process_id: v for v in service.process_versions()}  # the newest of each
    summary = service.summary()
    return render_template_string(HOME, versions=versions.values(), **summary)


@bp.get("/healthz")
def healthz():
    try:
        current_app.extensions["vht_service"].summary()  # proves the database answers, with our tables
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify(status="fout", bericht="De database is niet bereikbaar of niet bijgewerkt (vht init-db)."), 503
    return jsonify(status="ok")
