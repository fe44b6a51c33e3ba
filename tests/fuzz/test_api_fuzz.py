"""Schemathesis over the API's own OpenAPI document, in-process (WSGI) on a real database.

As three users (a professional with open tasks and cases, an auditor, a user without cases),
every operation gets a fixed number of generated requests, both fitting the document (positive)
and not (negative); half the positive ones aim at a task or case that exists. Every answer must
be no server error, a documented status code with its content type, and match its schema.
Failures are collected over the whole run rather than stopping at the first, so the assertion
lists each kind with one request that shows it. Seeded (derandomized): the same requests every run.
"""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import ApiApp, P0
from tests.procedures.driver import casus

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 30  # per operation, per generation mode, per user
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
USERS = {"professional": "vera", "auditor": "ahmed", "zonder_casussen": "zoe"}


@pytest.fixture
def fuzz_api(service) -> ApiApp:
    """Two cases of anna's; vera (veiligheidsteam) has claimed the first CAB task, the second
    waits for her role."""
    api = ApiApp(service)
    for _ in range(2):
        service.start_case(P0, casus(), "anna")
    tasks = service.tasks()
    service.claim(tasks[0].id, "vera")
    return api


def _known_ids(service) -> dict[str, list]:
    """The ids that exist, and the names of the messages (forms/bericht_<name>.json)."""
    tasks = service.tasks()
    names = [key.removeprefix("bericht_") for key in service.ctx.forms.keys() if key.startswith("bericht_")]
    return {"task_id": [t.id for t in tasks], "case_id": sorted({t.case_id for t in tasks}), "name": names}


def _strategy(operation, mode: GenerationMode, known: dict[str, list]):
    strategy = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    if mode.is_positive and names:
        fixed = {name: st.sampled_from(known[name]) for name in names}
        aimed = st.fixed_dictionaries(fixed).flatmap(
            lambda ids: operation.as_strategy(generation_mode=mode, path_parameters=ids))
        strategy = st.one_of(strategy, aimed)
    return strategy


def fuzz(app, token: str, known: dict[str, list]) -> tuple[int, list[tuple[str, str, str]]]:
    """(requests sent, [(operation, failure title, a request that shows it)])."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    failures: list[tuple[str, str, str]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=_strategy(operation, mode, known))
            def run(case):
                nonlocal sent
                response = case.call(headers=headers)
                sent += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except AssertionError as exc:  # a Failure, or a FailureGroup of them
                    for failure in getattr(exc, "exceptions", None) or [exc]:
                        failures.append(_failure(operation, failure, response, case))
                except BaseExceptionGroup as group:
                    for failure in group.exceptions:
                        failures.append(_failure(operation, failure, response, case))

            run()
    return sent, failures


def _failure(operation, failure, response, case) -> tuple[str, str, str]:
    title = getattr(failure, "title", type(failure).__name__)
    detail = " ".join(str(getattr(failure, "message", "") or failure).split())[:300]
    return operation.label, title, f"{response.status_code} <- {case.as_curl_command()}\n         {detail}"


def summary(sent: int, failures: list[tuple[str, str, str]]) -> str:
    kinds = Counter((label, title) for label, title, _ in failures)
    lines = [f"{len(failures)} failures in {sent} requests:"]
    for (label, title), count in kinds.most_common():
        example = next(r for lbl, t, r in failures if (lbl, t) == (label, title))
        lines.append(f"  {count:4d} x {label}: {title}\n         {example[:400]}")
    return "\n".join(lines)


@pytest.mark.parametrize("who", USERS)
def test_fuzzed_requests_get_no_server_error_and_match_the_document(fuzz_api, who):
    token = fuzz_api.service.issue_token(USERS[who])
    sent, failures = fuzz(fuzz_api.app, token, _known_ids(fuzz_api.service))
    print(f"\nfuzz {who}: {sent} requests, {len(failures)} failures")
    assert sent >= 10 * MAX_EXAMPLES
    assert not failures, summary(sent, failures)
