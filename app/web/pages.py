"""The front page (the werkbak, after logging in), the regional choices and the health check."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, url_for
from sqlalchemy.exc import SQLAlchemyError

from .auth import login_required
from .blueprint import page_blueprint

bp = page_blueprint("pages", __name__)


@bp.get("/")
@login_required
def home():
    return redirect(url_for("inbox.inbox"))


@bp.get("/regionale-keuzes")
@login_required
def regional_choices():
    """Every logged-in user may read which rules the werkwijze fixes and which the region chose."""
    keuzes = current_app.extensions["vht_service"].regional_choices()
    return render_template("regionale_keuzes.html", nav="keuzes", keuzes=keuzes)


@bp.get("/healthz")
def healthz():
    try:
        current_app.extensions["vht_service"].summary()  # proves the database answers, with our tables
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check failed: %s", type(exc).__name__)
        return jsonify(status="fout", bericht="De database is niet bereikbaar of niet bijgewerkt (vht init-db)."), 503
    return jsonify(status="ok")
