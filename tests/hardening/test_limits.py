"""Rate limiting per partner and the security headers of OCPI responses."""

import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import auth, make_partner

URL = "/ocpi/cpo/2.2.1/sender/locations"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(params=["configured", "locmem"])
def fresh_cache(request, settings):
    """The configured cache backend (Redis under make test), then local memory, with keys of this test's own."""
    backend = django_settings.CACHES["default"] if request.param == "configured" else {"BACKEND": LOCMEM}
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def test_a_partner_over_its_rate_is_429_in_the_envelope_with_retry_after(client, cpo_tenant, settings, fresh_cache):
    settings.OCPI_RATE_LIMIT = "3/hour"  # a window that will not roll over mid-test
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP")
    _, other = make_partner(cpo_tenant, "DE:OTH:EMSP")
    assert [client.get(URL, **auth(token)).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(URL, **auth(token))
    assert response.status_code == 429
    assert response.json()["status_code"] == 2000
    assert response.json()["status_message"] == "Too many requests"
    assert 1 <= int(response["Retry-After"]) <= 3601
    assert client.get(URL, **auth(other)).status_code == 200  # counted per partner


def test_the_rate_limit_adds_no_database_query(client, cpo_tenant, settings, fresh_cache):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP")
    client.get(URL, **auth(token))
    with CaptureQueriesContext(connection) as unlimited:
        client.get(URL, **auth(token))
    settings.OCPI_RATE_LIMIT = "1000/second"
    with CaptureQueriesContext(connection) as limited:
        assert client.get(URL, **auth(token)).status_code == 200
    assert len(limited) == len(unlimited)


@pytest.mark.parametrize(
    "path, authorized",
    [(URL, True), (URL, False), ("/ocpi/cpo/2.2.1/nowhere", False), ("/ocpi/openapi.json", False)],
)
def test_ocpi_responses_carry_the_security_headers(client, cpo_tenant, path, authorized):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP")
    response = client.get(path, **(auth(token) if authorized else {}))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Type"] == "application/json"
