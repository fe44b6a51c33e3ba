"""Serving the web application: one process with waitress, or several with gunicorn.

One Python process runs one request's Python at a time (the GIL), so on a machine with several
cores the web server needs several processes to use them. gunicorn forks N workers that each build
their own app with `create_app()` (their own database pool: connections are never shared across a
fork). waitress stays for one process: it needs nothing POSIX, and it is what `vht serve` always
ran.
"""
from __future__ import annotations

import os
import sys

from persistence.db import normalize_url

# Threads per gunicorn worker: while one request waits on the database another runs its Python.
# Measured on 2 cores, PostgreSQL, 16 clients (README, Measuring): gthread with 4 threads served
# more completions/s than sync workers, which also close every keep-alive connection.
THREADS_PER_WORKER = 4
# A worker that does not answer its master within this many seconds is restarted. Generous: a
# deploy from the modeler runs the scenarios and renders letters inside one request.
WORKER_TIMEOUT = 120


def default_workers(database_url: str | None) -> int:
    """VHT_WEB_WORKERS, else 2 on PostgreSQL and 1 on SQLite.

    SQLite is for one machine and a few users: its one writer lock serialises every act however
    many processes ask, so a second process adds little beside read concurrency (which the
    threads already give while a write waits) and another set of file handles on one file.
    """
    value = os.environ.get("VHT_WEB_WORKERS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"VHT_WEB_WORKERS moet een geheel getal van minstens 1 zijn, niet '{value}'")
        return int(value)
    return 2 if normalize_url(database_url or "").startswith("postgresql") else 1


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(app, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until stopped (Ctrl+C or SIGTERM). `app` serves one process; N > 1 processes each
    make their own."""
    if workers <= 1:
        from waitress import serve as waitress_serve

        waitress_serve(app, host=host, port=port, threads=threads)
        return
    if sys.platform == "win32":
        raise RuntimeError("meer dan één webproces (--workers) kan alleen op Linux of macOS (gunicorn)")
    _gunicorn_app(bind_address(host, port), workers, threads).run()


def _gunicorn_app(bind: str, workers: int, threads: int):
    from gunicorn.app.base import BaseApplication

    class VhtGunicorn(BaseApplication):
        """gunicorn configured in code (no config file): the app factory as it is, in every worker."""

        def load_config(self):
            options = {
                "bind": bind,
                "workers": workers,
                # One thread: plain sync workers (one request at a time, no keep-alive).
                "worker_class": "gthread" if threads > 1 else "sync",
                "threads": threads,
                "timeout": WORKER_TIMEOUT,
                "graceful_timeout": 30,
                "keepalive": 5,
                # No access log: a URL can carry a search term (a name); app/logs.py logs ids only.
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "info",
                "proc_name": "vht-web",
                # gunicorn 27's control socket sits at one path per user: a second server would take it over.
                "control_socket_disable": True,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # In the worker, after the fork: its own app, engine and pool.
            from app import create_app

            return create_app()

    return VhtGunicorn()
