"""The VeiligheidsTeam workflow product: Flask application factory."""
from __future__ import annotations

from flask import Flask

from . import logs
from .config import Settings


def create_app(settings: Settings | None = None, service=None) -> Flask:
    from .service import Service
    from .api import register as register_api
    from .web import register

    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config["SECRET_KEY"] = settings.secret_key
    app.extensions["vht_settings"] = settings
    app.extensions["vht_service"] = service or Service(
        settings.database_url, settings.processes_dir, settings.forms_dir, base_url=settings.base_url
    )
    register(app)
    register_api(app)
    logs.register(app)
    from .web import unit_of_work
    unit_of_work.register(app)  # last: its commit runs before the other after_request functions
    return app


def service_of(app: Flask):
    return app.extensions["vht_service"]
