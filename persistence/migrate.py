"""Bring a database to the newest schema (Alembic), whichever engine it is."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")


def revision(engine: Engine, message: str) -> None:
    """Developers: generate a new migration from the models (`vht db-revision`)."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
