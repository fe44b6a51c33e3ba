"""A blueprint for pages: ids in URLs bounded, input checked for forbidden text (input_guard), every
post checked for its CSRF token, service errors as Dutch pages."""
from __future__ import annotations

from flask import Blueprint

from app import inputs
from app.service.errors import ServiceError

from . import input_guard
from .errors import service_error
from .security import check_csrf


def page_blueprint(name: str, import_name: str) -> Blueprint:
    bp = Blueprint(name, import_name)
    bp.record_once(inputs.use_id_converter)  # before its routes: an id beyond the database's is a 404
    bp.before_request(input_guard.check_request)
    bp.before_request(check_csrf)
    bp.register_error_handler(ServiceError, service_error)
    return bp
