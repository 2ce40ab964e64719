"""Schemathesis against a live server: every operation of /ocpi/openapi.json, called with generated valid and
invalid requests, never answers 5xx and always answers an OCPI envelope.

Bounded for the suite: SCHEMATHESIS_MAX_EXAMPLES requests per operation (default 4) and a time budget of
SCHEMATHESIS_BUDGET_SECONDS (default 50) for the whole run. Celery tasks are recorded, not sent: nothing
reaches the shared broker or a generated response_url.
"""

from __future__ import annotations

import os
import time

import orjson
import pytest
import requests
import schemathesis
from celery.app.task import Task
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.factories import make_partner, make_tenant

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
BUDGET_SECONDS = float(os.environ.get("SCHEMATHESIS_BUDGET_SECONDS", "50"))
# The handshake's writes call the partner's URL and DELETE unregisters the caller: the credentials tests cover them.
SKIPPED = {("POST", "credentials"), ("PUT", "credentials"), ("DELETE", "credentials")}


@pytest.fixture
def seeded(transactional_db, live_server, settings, monkeypatch):
    settings.OCPI_BASE_URL = live_server.url
    settings.OCPI_RATE_LIMIT = "100000/second"
    sent = []
    monkeypatch.setattr(Task, "apply_async", lambda task, *args, **kwargs: sent.append(task.name))
    # The server thread closes its connection after each request, so the test database can be dropped.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    tenant = make_tenant("fuzz", "NL:CPO:CPO", "NL:EMS:EMSP")
    tokens = {
        "2.2.1": make_partner(tenant, "DE:CPX:CPO", "DE:EMX:EMSP", name="p221", version="2.2.1")[1],
        "2.1.1": make_partner(tenant, "DE:CPY:CPO", "DE:EMY:EMSP", name="p211", version="2.1.1")[1],
    }
    return tenant, tokens


def envelope_problem(response: requests.Response) -> str | None:
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return f"HTTP {response.status_code} not JSON: {response.content[:200]!r}"
    if not isinstance(body, dict) or not isinstance(body.get("status_code"), int) or "timestamp" not in body:
        return f"HTTP {response.status_code} not an OCPI envelope: {body!r:.200}"
    return None


def exercise(operation, header: dict, tenant_slug: str, base_url: str, session, failures: dict) -> int:
    """Call `operation` with MAX_EXAMPLES generated cases, valid and invalid; note its first failure."""
    calls = []
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case):
        if "tenant" in (case.path_parameters or {}):
            case.path_parameters["tenant"] = tenant_slug
        response = case.call(base_url=base_url, session=session, headers=header, timeout=10)
        calls.append(response.status_code)
        problem = envelope_problem(response)
        if problem and operation.label not in failures:
            failures[operation.label] = f"{problem}\n    reproduce: {case.as_curl_command(header, base_url=base_url)}"

    call()
    return len(calls)


@pytest.mark.e2e
def test_generated_requests_never_get_a_5xx_and_always_an_envelope(seeded, live_server):
    tenant, tokens = seeded
    description = requests.get(f"{live_server.url}/ocpi/openapi.json", timeout=10)
    assert description.status_code == 200
    schema = schemathesis.openapi.from_dict(description.json())
    session = requests.Session()
    failures: dict[str, str] = {}
    called, skipped = 0, []
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        parts = operation.path.split("/")  # /ocpi/{tenant}/<version>/[<role>/]<module>/...
        version = parts[3]
        module = parts[4] if len(parts) == 5 else parts[5] if len(parts) > 5 else ""
        if (operation.method.upper(), module) in SKIPPED:
            continue
        if time.monotonic() - started > BUDGET_SECONDS:
            skipped.append(operation.label)
            continue
        header = {"Authorization": f"Token {tokens.get(version, tokens['2.2.1'])}"}
        began = time.monotonic()
        called += exercise(operation, header, tenant.slug, live_server.url, session, failures)
        if os.environ.get("SCHEMATHESIS_VERBOSE"):
            print(f"{operation.label}: {time.monotonic() - began:.2f}s")

    print(f"schemathesis: {called} generated requests in {time.monotonic() - started:.1f}s")
    if skipped:
        print(f"schemathesis: {len(skipped)} operations left for the time budget: {', '.join(skipped)}")
    assert called > 0
    assert not failures, "\n".join(f"{label}: {problem}" for label, problem in failures.items())
