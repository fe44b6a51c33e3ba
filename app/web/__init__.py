"""The web layer: parses HTTP and renders; all work goes through the service layer."""
from __future__ import annotations

from flask import Flask

from . import pages


def register(app: Flask) -> None:
    app.register_blueprint(pages.bp)
