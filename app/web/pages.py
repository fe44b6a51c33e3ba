"""The front page (the werkbak, after logging in) and the health check."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, url_for
from sqlalchemy.exc import SQLAlchemyError

from .auth import login_required
from .blueprint import page_blueprint

bp = page_blueprint("pages", __name__)


@bp.get("/")
@login_required
def home():
    return redirect(url_for("inbox.inbox"))


@bp.get("/healthz")
def healthz():
    try:
        current_app.extensions["vht_service"].summary()  # proves the database answers, with our tables
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check failed: %s", type(exc).__name__)
        return jsonify(status="fout", bericht="De database is niet bereikbaar of niet bijgewerkt (vht init-db)."), 503
    return jsonify(status="ok")
