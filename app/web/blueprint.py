"""A blueprint for pages: every post checked for its CSRF token, service errors as Dutch pages."""
from __future__ import annotations

from flask import Blueprint

from app.service.errors import ServiceError

from .errors import service_error
from .security import check_csrf


def page_blueprint(name: str, import_name: str) -> Blueprint:
    bp = Blueprint(name, import_name)
    bp.before_request(check_csrf)
    bp.register_error_handler(ServiceError, service_error)
    return bp
