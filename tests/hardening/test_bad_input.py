"""Bad input to every endpoint that takes a body, in both versions, generated from the route registry and
the wire schemas (roaming.api.openapi.operations): each case gets the spec's answer, a message naming the
field or parameter, and leaves the database as it was.

Answers (status_codes, both versions): a body that is not JSON is HTTP 400; JSON that is not a valid
request is HTTP 200 with 2001; a body over OCPI_MAX_BODY_BYTES is refused before parsing with HTTP 413
(an HTTP-layer error, transport_and_format) and 2000 in the envelope.
"""

from __future__ import annotations

import re

import pytest
from django.forms.models import model_to_dict

from partners.models import (
    AccessToken,
    Partner,
    PartnerEndpoint,
    PartnerParty,
    PartnerStatus,
    Party,
    Role,
    TokenKind,
)
from roaming.api.openapi import operations
from roaming.models import (
    Delivery,
)
from tests.factories import auth, make_partner
from tests.hardening.calls import (
    BODY_ID_FIELDS,
    BODY_OPERATIONS,
    STORED,
    base_body,
    call,
    caller,
    op_id,
    path_values,
    seed,
    url_of,
)
from tests.hardening.cases import SchemaWalker, body_cases

LIST_OPERATIONS = [op for op in operations() if op.paginated]


def expect_2001(response, field: str) -> str | None:
    """None when the answer is HTTP 200 with 2001 naming `field`, else what is wrong."""
    body = response.json()
    if response.status_code != 200 or body.get("status_code") != 2001:
        return f"HTTP {response.status_code} {body}"
    if field.lower() not in body.get("status_message", "").lower():
        return f"message does not name {field!r}: {body['status_message']!r}"
    return None


class Checker:
    """Sends each case, records what is wrong with its answer, and whether the database changed."""

    def __init__(self, client, op, token: str, stored: tuple):
        self.client, self.op, self.token, self.stored = client, op, token, stored
        self.before = self.snapshot()
        self.count = 0
        self.failures: list[str] = []

    def snapshot(self) -> list:
        return [[model_to_dict(o) for o in model.objects.order_by("pk")] for model in self.stored]

    def call(self, url: str, body):
        return call(self.client, self.op, url, body, self.token)

    def check(self, name: str, problem: str | None) -> None:
        self.count += 1
        if problem is None and self.snapshot() != self.before:
            problem = "the database changed"
        if problem:
            self.failures.append(f"{name}: {problem}")

    def body_cases(self, url: str, base: dict, settings) -> None:
        """The generated field cases, then a body that is not JSON, an array and one over the size limit."""
        op = self.op
        for case in body_cases(op.body, base, missing=not op.is_patch):
            if case.body == {} and not op.body_required:
                continue  # an optional body sent as {} is read as no body (tokens authorize)
            self.check(case.name, expect_2001(self.call(url, case.body), case.field))

        response = self.call(url, b'{"not": json')
        problem = None if response.status_code == 400 and response.json()["status_code"] == 2001 else response.content
        self.check("body that is not JSON", problem)
        self.check("array instead of object", expect_2001(self.call(url, [base]), "body"))

        settings.OCPI_MAX_BODY_BYTES = 4096
        response = self.call(url, {**base, "padding": "x" * 5000})
        body = response.json()
        too_large = response.status_code == 413 and body["status_code"] == 2000 and "4096" in body["status_message"]
        self.check("body over OCPI_MAX_BODY_BYTES", None if too_large else f"HTTP {response.status_code} {body}")

    def verdict(self, record_property) -> None:
        record_property("bad_input_cases", self.count)
        assert not self.failures, f"{len(self.failures)} of {self.count} cases of {op_id(self.op)}:\n" + "\n".join(
            self.failures
        )


@pytest.mark.parametrize("op", BODY_OPERATIONS, ids=op_id)
def test_bad_bodies_are_2001_naming_the_field_and_store_nothing(client, world, settings, op, record_property):
    values = path_values(op, world)
    url = url_of(op, values)
    base = base_body(op, values)
    op.body.model_validate(base)  # the base is valid: each case below breaks exactly one thing
    seed(client, op, world)
    checker = Checker(client, op, caller(op, world)[1], (*STORED[op.module], Delivery))
    checker.body_cases(url, base, settings)

    if op.method == "put":
        for field in (*BODY_ID_FIELDS, "country_code", "party_id"):
            if field in base:
                other = {**base, field: "ZZ" if field == "country_code" else "OTH"}
                checker.check(f"{field} differs from the URL", expect_2001(checker.call(url, other), field))

    for param in op.path_params:
        if param.max_length and param.name != "tenant":
            long_url = url_of(op, {**values, param.name: "X" * (param.max_length + 1)})
            problem = expect_2001(checker.call(long_url, base), param.name)
            checker.check(f"URL segment {param.name} too long", problem)

    checker.verdict(record_property)


CREDENTIALS_WRITES = [op for op in operations() if op.module == "credentials" and op.method in ("post", "put")]


@pytest.mark.parametrize("op", CREDENTIALS_WRITES, ids=op_id)
def test_bad_credentials_are_2001_naming_the_field_and_change_nothing(client, world, settings, op, record_property):
    """POST registers with token A (a pending partner), PUT updates a registered one; neither gets that far."""
    tenant, _ = world
    bound = {"bound_party": Party.objects.for_tenant(tenant).get(role=Role.CPO)}  # 2.1.1: one party per connection
    if op.method == "post":
        bound |= {"status": PartnerStatus.PENDING, "token_kind": TokenKind.REGISTRATION}
    _, token = make_partner(tenant, "DE:NEW:EMSP", version=op.dialect.version, **bound)
    base = SchemaWalker(op.body).minimal()
    op.body.model_validate(base)
    checker = Checker(client, op, token, (Partner, PartnerParty, PartnerEndpoint, AccessToken))
    checker.body_cases(url_of(op, {"tenant": tenant.slug}), base, settings)
    checker.verdict(record_property)


BAD_QUERIES = [
    ("offset", "-1"),
    ("offset", "ten"),
    ("offset", "1" * 12),
    ("limit", "-5"),
    ("limit", "1.5"),
    ("date_from", "yesterday"),
    ("date_from", "2030-13-01T00:00:00Z"),
    ("date_to", "2030-01-01"),
    ("date_to", "not a date"),
]


@pytest.mark.parametrize("op", LIST_OPERATIONS, ids=op_id)
def test_malformed_list_parameters_are_2001_naming_the_parameter(client, world, op, record_property):
    token = caller(op, world)[1]
    url = url_of(op, path_values(op, world))
    failures = []
    for name, value in BAD_QUERIES:
        params = {"date_from": "2020-01-01T00:00:00Z", name: value}
        response = client.get(url, params, **auth(token))
        problem = expect_2001(response, name)
        if problem:
            failures.append(f"{name}={value!r}: {problem}")
    record_property("bad_input_cases", len(BAD_QUERIES))
    assert not failures, "\n".join(failures)


def test_every_body_endpoint_of_both_versions_is_covered():
    covered = {(op.dialect.version, op.module, op.method) for op in BODY_OPERATIONS}
    for version in ("2.1.1", "2.2.1"):
        for module, method in [("locations", "put"), ("locations", "patch"), ("sessions", "put"), ("tariffs", "put")]:
            assert (version, module, method) in covered
        for module in ("cdrs", "commands", "tokens"):
            assert (version, module, "post") in covered
    assert ("2.1.1", "tariffs", "patch") in covered and ("2.2.1", "tariffs", "patch") not in covered
    assert re.search(
        r"charging_preferences", " ".join(op.path for op in BODY_OPERATIONS if op.dialect.version == "2.2.1")
    )
