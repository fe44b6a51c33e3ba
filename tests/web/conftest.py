"""Fixtures of the page tests: the app on a fresh SQLite database (`sqlite_service` of
tests/conftest.py) with the demo users and their passwords; see helpers.py."""
from __future__ import annotations

import pytest

from .helpers import Web, build_web


@pytest.fixture
def web(sqlite_service, clock) -> Web:
    return build_web(sqlite_service, clock)
