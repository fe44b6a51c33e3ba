"""Each page and API request is one unit of work of the service layer (app/service/request_unit.py):
opened before the first before_request (no connection until an operation needs one), ended after
the view and its error handlers, before the answer leaves.

An answer below 500 commits: a 4xx keeps what it must (the access-log row, the login limit's
count, an incident), while the act that failed already rolled back its own part. A 5xx, or an
error nobody answered, rolls back everything the request did. A lost race that only the commit
sees becomes the blueprint's own 409 answer instead of the view's.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request

from app.service.errors import ServiceError

# Methods that only read: on SQLite their transaction starts without the writer lock.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _service():
    return current_app.extensions["vht_service"]


def _open() -> None:
    g.vht_unit = _service().ctx.request(writes=request.method not in READING_METHODS)


def _finish(response):
    unit = g.pop("vht_unit", None)
    if unit is None:
        return response
    if response.status_code >= 500:
        unit.abort()
        return response
    try:
        unit.finish()
    except ServiceError as exc:  # e.g. a Conflict found at the commit: nothing was saved
        return current_app.make_response(current_app.handle_user_exception(exc))
    return response


def _teardown(_exc) -> None:
    unit = g.pop("vht_unit", None)
    if unit is not None:  # the view raised and nobody answered: nothing of it counts
        unit.abort()


def register(app: Flask) -> None:
    """Call last in the factory: after_request functions run in reverse order, so this commit runs
    before the others (headers, the request log) see the answer."""
    app.before_request_funcs.setdefault(None, []).insert(0, _open)
    app.after_request(_finish)
    app.teardown_request(_teardown)
