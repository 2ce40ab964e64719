"""The lean path of real-time authorization (roaming.api.lean) answers every request exactly as the DRF view
does: status, headers, body and the queries it runs, for each answer it decides itself; what it does not
decide it hands to the DRF view untouched."""

import types

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import PartnerStatus, TokenKind
from roaming.api import lean
from roaming.api.modules.tokens import AuthorizeView
from roaming.models import Token
from roaming.ocpi import throttling
from tests.factories import make_partner, make_tenant, own_token

REFS = b'{"location_id": "LOC1", "evse_uids": ["E1"]}'
IDS = {"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}


@pytest.fixture
def caller(emsp_tenant):
    own_token(emsp_tenant)
    own_token(emsp_tenant, uid="BLOCKED1", valid=False)
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo-partner")
    return token


def send(
    client,
    token,
    *,
    version="2.2.1",
    uid="012345678",
    query="",
    body=REFS,
    content_type="application/json",
    headers=None,
    tenant="emsp",
    method="POST",
):
    authorization = {} if token is None else {"Authorization": token if " " in token else f"Token {token}"}
    return client.generic(
        method,
        f"/ocpi/{tenant}/{version}/sender/tokens/{uid}/authorize{query}",
        data=body,
        content_type=content_type,
        headers={**IDS, **authorization, **(headers or {})},
    )


def answer(response) -> tuple:
    body = response.json() if response.content else None
    if body is not None:
        body.pop("timestamp", None)  # OPTIONS answers DRF's metadata, no envelope
        data = body.get("data")
        if isinstance(data, dict) and "authorization_reference" in data:
            data["authorization_reference"] = len(data["authorization_reference"])
    return response.status_code, dict(response.headers), body


def both_paths(monkeypatch, request) -> tuple[tuple, tuple, int, list, list]:
    """(lean answer, DRF answer, how often the lean path served the request, lean queries, DRF queries)."""
    served = []
    initial = lean._initial
    monkeypatch.setattr(lean, "_initial", lambda *args: served.append(1) or initial(*args))
    with CaptureQueriesContext(connection) as lean_queries:
        lean_answer = answer(request())
    with monkeypatch.context() as patched:
        patched.setattr(lean, "_plain_body", lambda request: lean._NOT_PLAIN)  # every request to the DRF view
        with CaptureQueriesContext(connection) as drf_queries:
            drf_answer = answer(request())
    return lean_answer, drf_answer, len(served), [q["sql"] for q in lean_queries], [q["sql"] for q in drf_queries]


def assert_same(monkeypatch, request, *, lean_serves: bool = True) -> tuple:
    lean_answer, drf_answer, served, lean_queries, drf_queries = both_paths(monkeypatch, request)
    assert lean_answer == drf_answer
    assert lean_queries == drf_queries
    assert served == (1 if lean_serves else 0)
    return lean_answer


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
@pytest.mark.parametrize(
    "uid, body",
    [
        ("012345678", REFS),
        ("012345678", b'{"location_id": "LOC1", "connector_ids": ["1"]}'),
        ("012345678", b""),
        ("012345678", b"null"),
        ("012345678", b'""'),
        ("012345678", b"{}"),
        ("012345678", b'{"location_id": "LOC1", "evse_uids": [], "location_id": "LOC2"}'),
        ("BLOCKED1", REFS),
        ("nope", REFS),
    ],
)
def test_an_authorization_is_answered_as_the_drf_view_answers_it(client, caller, monkeypatch, version, uid, body):
    status, headers, envelope = assert_same(
        monkeypatch, lambda: send(client, caller, version=version, uid=uid, body=body)
    )
    assert status in (200, 404) and headers["Allow"] == "POST, OPTIONS"
    assert envelope["status_code"] in (1000, 2000, 2004)


@pytest.mark.parametrize(
    "changes",
    [
        {"token": None},  # no Authorization header
        {"token": "Bearer abc"},
        {"token": "Token not-a-token-of-ours"},
        {"tenant": "nowhere"},
        {"uid": "U" * 37},
        {"query": "?type=APP_USER", "version": "2.1.1"},
        {"query": "?type=APP_USER"},
        {"query": "?type=NOT_A_TYPE"},
        {"body": b'{"location_id": 5}'},
        {"body": b'{"evse_uids": ["E1"]}'},
        {"body": b"[]"},
        {"body": b"7"},
        {"body": b'{"location_id": "LOC\\u00001"}'},
        {"headers": {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "XYZ"}},
    ],
)
def test_an_error_is_answered_as_the_drf_view_answers_it(client, caller, monkeypatch, changes):
    changes = {"token": caller, **changes}
    status, headers, envelope = assert_same(monkeypatch, lambda: send(client, **changes))
    assert headers["Allow"] == "POST, OPTIONS" and envelope["status_code"] != 1000


def test_the_driver_s_token_is_found_as_its_own_lookup_finds_it(client, caller, emsp_tenant):
    # CiString uid, the tenant's own tokens only, the ?type= the URL names (read with the caller's token).
    assert send(client, caller, uid="012345678".lower()).json()["data"]["allowed"] == "ALLOWED"
    assert send(client, caller, query="?type=APP_USER").status_code == 404


def test_a_token_of_another_tenant_or_received_from_a_partner_is_unknown(client, caller, emsp_tenant):
    other = make_tenant("other", "DE:OTH:EMSP")
    own_token(other, uid="ELSEWHERE")
    partner, _ = make_partner(emsp_tenant, "DE:EMX:EMSP", name="emsp-peer")
    Token.objects.filter(uid="BLOCKED1").update(uid="RECEIVED", partner=partner)
    for uid in ("ELSEWHERE", "RECEIVED"):
        response = send(client, caller, uid=uid)
        assert response.status_code == 404 and response.json()["status_code"] == 2004


def test_the_field_a_2001_names_is_the_one_at_fault(client, caller, monkeypatch):
    _, _, envelope = assert_same(monkeypatch, lambda: send(client, caller, body=b'{"location_id": 5}'))
    assert envelope["status_code"] == 2001 and "location_id" in envelope["status_message"]


def test_a_401_carries_www_authenticate_on_both_paths(client, caller, monkeypatch):
    status, headers, _ = assert_same(monkeypatch, lambda: send(client, "Token wrong"))
    assert status == 401 and headers["WWW-Authenticate"] == "Token"


def test_the_routing_headers_are_addressed_back(client, caller, monkeypatch):
    routed = {"OCPI-from-country-code": "NL", "OCPI-from-party-id": "CPO"}
    _, headers, envelope = assert_same(monkeypatch, lambda: send(client, caller, headers=routed))
    assert headers["OCPI-to-country-code"] == "NL" and headers["OCPI-to-party-id"] == "CPO"
    assert envelope["data"]["allowed"] == "ALLOWED"


def test_2_1_1_reads_no_routing_headers_on_either_path(client, caller, monkeypatch):
    routed = {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "XYZ", "OCPI-to-country-code": "N1"}
    _, headers, envelope = assert_same(monkeypatch, lambda: send(client, caller, version="2.1.1", headers=routed))
    assert "OCPI-to-country-code" not in headers and envelope["data"]["allowed"] == "ALLOWED"


@pytest.mark.parametrize("kind", ["registration", "suspended"])
def test_a_token_that_may_not_authorize_is_401_on_both_paths(client, emsp_tenant, monkeypatch, kind):
    fields = {"token_kind": TokenKind.REGISTRATION} if kind == "registration" else {"status": PartnerStatus.SUSPENDED}
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", **fields)
    status, _, _ = assert_same(monkeypatch, lambda: send(client, token))
    assert status == 401


def test_missing_location_references_are_2002_on_both_paths_when_required(client, caller, monkeypatch, settings):
    settings.TOKEN_AUTHORIZATION_REQUIRES_LOCATION = True
    _, _, envelope = assert_same(monkeypatch, lambda: send(client, caller, body=b""))
    assert envelope["status_code"] == 2002


def test_a_partner_over_its_rate_is_429_on_both_paths(client, caller, monkeypatch, settings):
    settings.OCPI_RATE_LIMIT = "1/hour"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lean"}}
    monkeypatch.setattr(throttling, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.25))
    assert send(client, caller).status_code == 200
    status, headers, envelope = assert_same(monkeypatch, lambda: send(client, caller))
    assert status == 429 and headers["Retry-After"] == "3601" and envelope["status_message"] == "Too many requests"


@pytest.mark.parametrize(
    "changes",
    [
        {"method": "GET", "body": b""},
        {"method": "PUT"},
        {"method": "OPTIONS", "body": b""},
        {"content_type": "text/plain"},
        {"content_type": "application/json; charset=utf-8"},
        {"body": b"{"},
        {"body": b'{"location_id": NaN}'},
        {"body": b'{"location_id": 1e400}'},
        {"body": b'{"location_id": 123456789012345678901234567890}'},
        {"body": b'{"location_id": "\\ud800"}'},
        {"body": b"\xef\xbb\xbf{}"},
        {"body": b"[" * 70 + b"]" * 70},
        {"version": "9.9"},
        {"headers": {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "EMS"}},
        {"headers": {"OCPI-from-country-code": "N1", "OCPI-from-party-id": "CPO"}},
    ],
)
def test_what_the_lean_path_does_not_decide_goes_to_the_drf_view(client, caller, monkeypatch, changes):
    assert_same(monkeypatch, lambda: send(client, caller, **changes), lean_serves=False)


def test_a_body_over_the_limit_goes_to_the_drf_view_unread(client, caller, monkeypatch, settings):
    settings.OCPI_MAX_BODY_BYTES = 10
    status, _, _ = assert_same(monkeypatch, lambda: send(client, caller), lean_serves=False)
    assert status == 413


def test_a_plain_authorization_never_enters_drf(client, caller, monkeypatch):
    monkeypatch.setattr(AuthorizeView, "dispatch", lambda *args, **kwargs: pytest.fail("served by DRF"))
    response = send(client, caller)
    assert response.status_code == 200 and response.json()["data"]["allowed"] == "ALLOWED"
