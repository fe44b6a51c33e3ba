"""Fixtures of the API tests: the app on the test database (SQLite, and PostgreSQL when it answers)."""
from __future__ import annotations

import pytest

# The API tests drive cases with the procedure tests' steps: keep their asserts readable there.
pytest.register_assert_rewrite("tests.procedures.gesprek_steps")

from .helpers import ApiApp  # noqa: E402


@pytest.fixture
def api(service) -> ApiApp:
    return ApiApp(service)


@pytest.fixture
def sqlite_api(sqlite_service) -> ApiApp:
    return ApiApp(sqlite_service)
