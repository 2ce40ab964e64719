"""Versions and version details over HTTP, and the transport rules every OCPI request follows."""

import pytest

from partners.models import PartnerStatus, TokenKind
from tests.factories import auth, make_partner, make_tenant


@pytest.fixture
def token_a(cpo_tenant):
    _, raw = make_partner(cpo_tenant, name="newcomer", status=PartnerStatus.PENDING, token_kind=TokenKind.REGISTRATION)
    return raw


def test_versions_lists_every_version_with_tenant_urls(client, emsp_partner, settings):
    settings.OCPI_BASE_URL = "https://ocpi.example.com"
    _, token = emsp_partner
    response = client.get("/ocpi/cpo/versions", **auth(token))
    assert response.status_code == 200
    assert response.json()["data"] == [
        {"version": "2.3.0", "url": "https://ocpi.example.com/ocpi/cpo/2.3.0"},
        {"version": "2.2.1", "url": "https://ocpi.example.com/ocpi/cpo/2.2.1"},
        {"version": "2.1.1", "url": "https://ocpi.example.com/ocpi/cpo/2.1.1"},
    ]
    assert response.json()["status_code"] == 1000


def test_token_a_opens_versions_and_details(client, token_a):
    assert client.get("/ocpi/cpo/versions", **auth(token_a)).status_code == 200
    assert client.get("/ocpi/cpo/2.2.1", **auth(token_a, base64_form=True)).status_code == 200


def test_base64_and_raw_tokens_are_both_accepted_in_every_version(client, emsp_partner):
    _, token = emsp_partner
    for version in ("2.1.1", "2.2.1", "2.3.0"):
        for base64_form in (False, True):
            response = client.get(f"/ocpi/cpo/{version}", **auth(token, base64_form=base64_form))
            assert response.status_code == 200, (version, base64_form)


def test_strict_partner_must_use_the_form_of_its_version(client, cpo_tenant):
    _, token = make_partner(cpo_tenant, name="strict", strict_token_form=True)
    assert client.get("/ocpi/cpo/2.2.1", **auth(token, base64_form=True)).status_code == 200
    response = client.get("/ocpi/cpo/2.2.1", **auth(token))
    assert response.status_code == 401
    assert "form" in response.json()["status_message"]


def test_2_2_1_details_list_endpoints_with_roles(client, emsp_partner, settings):
    settings.OCPI_BASE_URL = "http://h"
    _, token = emsp_partner
    data = client.get("/ocpi/cpo/2.2.1", **auth(token)).json()["data"]
    assert data["version"] == "2.2.1"
    assert {"identifier": "credentials", "role": "SENDER", "url": "http://h/ocpi/cpo/2.2.1/credentials"} in data[
        "endpoints"
    ]
    assert all(set(e) == {"identifier", "role", "url"} for e in data["endpoints"])


def test_2_1_1_details_have_no_roles(client, emsp_partner):
    _, token = emsp_partner
    data = client.get("/ocpi/cpo/2.1.1", **auth(token)).json()["data"]
    assert data["version"] == "2.1.1"
    assert all(set(e) == {"identifier", "url"} for e in data["endpoints"])


@pytest.mark.parametrize("header", [None, "Token", "Bearer abc", "Token not-a-known-token"])
def test_missing_or_unknown_token_is_401_in_the_envelope(client, cpo_tenant, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/ocpi/cpo/versions", **headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == 2000
    assert body["status_message"]
    assert body["timestamp"].endswith("Z")
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_another_tenant_is_401(client, emsp_partner):
    make_tenant("other", "FR:OTH:CPO")
    _, token = emsp_partner
    assert client.get("/ocpi/other/versions", **auth(token)).status_code == 401


@pytest.mark.parametrize("status", [PartnerStatus.SUSPENDED, PartnerStatus.UNREGISTERED])
def test_suspended_or_unregistered_partner_is_401(client, cpo_tenant, status):
    _, token = make_partner(cpo_tenant, name="gone", status=status)
    assert client.get("/ocpi/cpo/versions", **auth(token)).status_code == 401


def test_revoked_token_is_401(client, emsp_partner):
    partner, token = emsp_partner
    partner.access_tokens.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/ocpi/cpo/versions", **auth(token)).status_code == 401


def test_unknown_tenant_is_404_in_the_envelope(client, db):
    response = client.get("/ocpi/nobody/versions", HTTP_AUTHORIZATION="Token x")
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


def test_inactive_tenant_is_404(client, emsp_partner, cpo_tenant):
    cpo_tenant.is_active = False
    cpo_tenant.save()
    _, token = emsp_partner
    assert client.get("/ocpi/cpo/versions", **auth(token)).status_code == 404


def test_unsupported_version_is_404(client, emsp_partner):
    _, token = emsp_partner
    response = client.get("/ocpi/cpo/2.0", **auth(token))
    assert response.status_code == 404
    assert "2.0" in response.json()["status_message"]


def test_unknown_route_under_ocpi_answers_in_the_envelope(client, db):
    response = client.get("/ocpi/cpo/2.2.1/nothing/here")
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


def test_method_not_allowed_answers_in_the_envelope(client, emsp_partner):
    _, token = emsp_partner
    response = client.delete("/ocpi/cpo/versions", **auth(token))
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


def test_request_and_correlation_ids_are_echoed(client, emsp_partner):
    _, token = emsp_partner
    response = client.get(
        "/ocpi/cpo/versions", HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="corr-1", **auth(token)
    )
    assert response["X-Request-ID"] == "req-1"
    assert response["X-Correlation-ID"] == "corr-1"


def test_request_ids_are_generated_when_absent(client, emsp_partner):
    _, token = emsp_partner
    response = client.get("/ocpi/cpo/versions", **auth(token))
    assert len(response["X-Request-ID"]) == 36
    assert len(response["X-Correlation-ID"]) == 36


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "*/*", ""])
def test_every_answer_is_the_json_envelope_whatever_accept_asks_for(client, emsp_partner, accept):
    _, token = emsp_partner
    response = client.get("/ocpi/cpo/versions", HTTP_ACCEPT=accept, **auth(token))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["status_code"] == 1000
