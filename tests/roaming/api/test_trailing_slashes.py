"""Our own URLs answer with or without a trailing slash (transport_and_format gives no rule, and partners join
URLs both ways): every operation of both versions, from the route registry, gets the same answer either way."""

from __future__ import annotations

import pytest
from django.db import transaction

from roaming.api.openapi import operations
from tests.hardening.calls import base_body, call, caller, op_id, path_values, seed, url_of

OPERATIONS = [op for op in operations() if op.view is not None]


def answer(client, op, url: str, body, token: str) -> tuple[int, int, str]:
    """(HTTP status, OCPI status code, message) of one call, whatever it wrote taken back afterwards."""
    with transaction.atomic():
        if body is None:
            response = client.generic(op.method.upper(), url, **{"HTTP_AUTHORIZATION": f"Token {token}"})
        else:
            response = call(client, op, url, body, token)
        transaction.set_rollback(True)
    envelope = response.json()
    return response.status_code, envelope["status_code"], envelope.get("status_message", "")


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_an_operation_answers_the_same_with_and_without_a_trailing_slash(client, world, op):
    seed(client, op, world)
    values = path_values(op, world)
    body = base_body(op, values) if op.body is not None else None
    token = caller(op, world)[1]
    url = url_of(op, values)
    query = "?date_from=2000-01-01T00:00:00Z" if op.required_query else ""
    plain = answer(client, op, f"{url.rstrip('/')}{query}", body, token)
    slashed = answer(client, op, f"{url.rstrip('/')}/{query}", body, token)
    assert slashed == plain
    assert not plain[2].startswith("No OCPI endpoint at"), plain  # a view answered, not the catch-all


def test_every_module_of_both_versions_is_tried():
    tried = {(op.dialect.version, op.module) for op in OPERATIONS}
    modules = {"locations", "sessions", "cdrs", "tariffs", "tokens", "commands"}
    assert {m for v, m in tried if v == "2.1.1"} >= modules
    assert {m for v, m in tried if v == "2.2.1"} >= modules | {"hubclientinfo", "chargingprofiles"}


@pytest.mark.parametrize("path", ["versions", "2.1.1", "2.2.1", "2.1.1/credentials", "2.2.1/credentials"])
def test_versions_details_and_credentials_answer_with_and_without_a_trailing_slash(client, world, path):  # noqa: F811
    tenant, partners = world
    token = partners["2.1.1" if path.startswith("2.1.1") else "2.2.1"][1]
    answers = [client.get(f"/ocpi/{tenant.slug}/{path}{end}", HTTP_AUTHORIZATION=f"Token {token}") for end in ("", "/")]
    plain, slashed = ((a.status_code, a.json()["status_code"], a.json().get("data")) for a in answers)
    assert slashed == plain and plain[0] == 200  # (2.1.1 credentials of a tenant with two parties: 3003)
