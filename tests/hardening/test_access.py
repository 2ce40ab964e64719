"""Tenant isolation and access, generated for every OCPI operation of both versions from the route registry
(roaming.api.openapi.operations): a token of another tenant's partner, a registration token outside versions
and credentials, and an unregistered partner's token all get 401; a partner addressing a party that is not
its own gets 403. Each refusal stores and changes nothing."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from partners.models import AccessToken, PartnerStatus, TokenKind, hash_token
from roaming.api.openapi import operations
from roaming.models import Delivery
from tests.factories import make_partner, make_tenant
from tests.hardening.calls import STORED, base_body, call, caller, op_id, path_values, seed, url_of

OPERATIONS = [op for op in operations() if op.view is not None]
REGISTRATION_OPEN = {"versions", "credentials"}  # token A opens only these (credentials chapter)


def snapshot(op) -> list:
    models = (*STORED.get(op.module, ()), Delivery, AccessToken)
    return [[model_to_dict(o) for o in model.objects.order_by("pk")] for model in models]


def body_for(op, values):
    return base_body(op, values) if op.body is not None else None


def send(client, op, url, body, token):
    if body is None:
        return client.generic(op.method.upper(), url, **{"HTTP_AUTHORIZATION": f"Token {token}"})
    return call(client, op, url, body, token)


def refused(response, http_status: int) -> str | None:
    body = response.json()
    if response.status_code != http_status or not 2000 <= body["status_code"] < 3000 or not body["status_message"]:
        return f"HTTP {response.status_code} {body}"
    return None


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_tokens_that_may_not_call_an_operation_get_401_and_change_nothing(client, world, op, record_property):
    tenant, _ = world
    seed(client, op, world)
    values = path_values(op, world)
    url, body = url_of(op, values), body_for(op, values)
    elsewhere = make_tenant("elsewhere", "FR:ELS:CPO", "FR:ELM:EMSP")
    _, foreign = make_partner(elsewhere, "DE:FOR:EMSP", "DE:FOC:CPO", name="foreign", version=op.dialect.version)
    _, gone = make_partner(
        tenant, "DE:GON:EMSP", "DE:GOC:CPO", name="gone", version=op.dialect.version, status=PartnerStatus.UNREGISTERED
    )
    cases = {"token of another tenant's partner": foreign, "token of an unregistered partner": gone}
    if op.module not in REGISTRATION_OPEN:
        partner = caller(op, world)[0]
        _, token_a = AccessToken.issue(partner=partner, kind=TokenKind.REGISTRATION)
        cases["registration token (token A)"] = token_a
    before = snapshot(op)
    failures = []
    for name, token in cases.items():
        problem = refused(send(client, op, url, body, token), 401)
        if problem is None and snapshot(op) != before:
            problem = "the database changed"
        if problem:
            failures.append(f"{name}: {problem}")
    record_property("access_cases", len(cases))
    assert not failures, f"{op_id(op)}:\n" + "\n".join(failures)
    AccessToken.objects.filter(token_hash=hash_token(foreign)).delete()


OWNED_OPERATIONS = [
    op
    for op in OPERATIONS
    if op.role == "RECEIVER"
    and {"country_code", "party_id"} <= {p.name for p in op.path_params}
    and op.module != "hubclientinfo"  # a hub reports on any party: that module's own rules, tested there
]


@pytest.mark.parametrize("op", OWNED_OPERATIONS, ids=op_id)
def test_a_partner_addressing_a_party_not_its_own_gets_403_and_changes_nothing(client, world, op, record_property):
    seed(client, op, world)
    values = {**path_values(op, world), "country_code": "FR", "party_id": "NOT"}
    body = body_for(op, values)
    before = snapshot(op)
    problem = refused(send(client, op, url_of(op, values), body, caller(op, world)[1]), 403)
    if problem is None and snapshot(op) != before:
        problem = "the database changed"
    record_property("access_cases", 1)
    assert problem is None, f"{op_id(op)}: {problem}"
