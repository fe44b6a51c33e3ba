"""What the server and the worker write to their logs: no personal data, ever.

Case data (names, addresses, what a parent said, search terms) must not reach a log file, which is
kept, copied and read far more widely than the database. So:
- every line carries the request id and the case/task id of the request instead of its data;
- tracebacks keep their frames (where it went wrong) but not the exception's message, which may
  quote a value (a KeyError with a name, a database error with its statement's parameters);
- SQLAlchemy hides statement parameters in its errors (persistence.db.make_engine).
A person who reports a problem quotes the "foutcode" on the error page: the request id.
"""
from __future__ import annotations

import logging
import re
import sys
import traceback
import uuid

from flask import Flask, g, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s %(name)s [verzoek=%(request_id)s casus=%(case_id)s taak=%(task_id)s] %(message)s"
REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy is kept when it looks like one (no room for data in it).
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    """This request's id (made on first use); '-' outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex[:16]
    return g.request_id


class RequestContextFilter(logging.Filter):
    """Adds request_id, case_id and task_id (ids only, from the route) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = (request.view_args or {}) if has_request_context() else {}
        record.request_id = request_id()
        record.case_id = args.get("case_id", "-")
        record.task_id = args.get("task_id", "-")
        return True


def _exception_name(exc_type) -> str:
    module = getattr(exc_type, "__module__", "")
    name = getattr(exc_type, "__qualname__", str(exc_type))
    return name if module in ("builtins", "") else f"{module}.{name}"


class PrivacyFormatter(logging.Formatter):
    """Tracebacks with their frames and exception types, without the exceptions' messages."""

    def formatException(self, exc_info) -> str:  # noqa: N802 - logging's name
        exc = exc_info[1]
        parts: list[str] = []
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
            parts.append(f"Traceback (most recent call last):\n{frames}"
                         f"{_exception_name(type(exc))} (melding weggelaten: kan persoonsgegevens bevatten)")
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        return "\n\nwaaruit volgde:\n\n".join(reversed(parts))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return stack_info


def configure(level: int = logging.INFO, stream=None) -> logging.Handler:
    """One handler on the root logger (the server's and the worker's); returns it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(PrivacyFormatter(FORMAT))
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def register(app: Flask) -> None:
    """Every response says its request id (the error page shows it as the foutcode)."""
    # Flask's own handler would print the exception message; the root handler above does not.
    app.logger.handlers.clear()

    @app.after_request
    def _send_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response
