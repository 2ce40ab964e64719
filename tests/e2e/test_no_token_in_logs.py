"""No token ever appears in a log line: a whole handshake and module calls over both connections, accepted
and refused, are logged at DEBUG and scanned for every token used, raw and Base64."""

import base64
import logging

import pytest

from partners import handshake
from partners.models import Partner
from partners.services import issue_registration_token
from tests.factories import make_tenant
from tests.spec_examples import example_221

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_handshake_logs_no_token(live_server, settings, caplog, client):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    at_emsp, token_a = issue_registration_token(tenant=emsp, partner_name="charge-co")
    at_cpo = Partner.objects.create(tenant=cpo, name="drive-co", versions_url=emsp.versions_url, token_to_them=token_a)
    with caplog.at_level(logging.DEBUG):
        assert handshake.register_with_partner(partner=at_cpo).succeeded
        at_cpo.refresh_from_db()
        at_emsp.refresh_from_db()
        client.get("/ocpi/emsp/versions", HTTP_AUTHORIZATION=f"Token {at_cpo.token_to_them}")
    text = caplog.text
    assert "GET /ocpi/emsp/versions" in text  # the requests were logged
    for token in (token_a, at_cpo.token_to_them, at_emsp.token_to_them):
        assert token not in text
        assert base64.b64encode(token.encode()).decode() not in text


def test_module_calls_after_a_handshake_log_no_token(live_server, settings, caplog, client):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    at_emsp, token_a = issue_registration_token(tenant=emsp, partner_name="charge-co")
    at_cpo = Partner.objects.create(tenant=cpo, name="drive-co", versions_url=emsp.versions_url, token_to_them=token_a)
    unknown = "an-unknown-token-0123456789"
    location = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPO", "id": "LOC1"}
    with caplog.at_level(logging.DEBUG):
        assert handshake.register_with_partner(partner=at_cpo).succeeded
        at_cpo.refresh_from_db()
        at_emsp.refresh_from_db()
        as_cpo = {"HTTP_AUTHORIZATION": f"Token {base64.b64encode(at_cpo.token_to_them.encode()).decode()}"}
        as_emsp = {"HTTP_AUTHORIZATION": f"Token {at_emsp.token_to_them}"}
        url = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1"
        assert client.put(url, location, content_type="application/json", **as_cpo).status_code == 201
        assert client.get(url, **as_cpo).status_code == 200
        patch = {"name": "Renamed", "last_updated": "2030-01-01T00:00:00Z"}
        assert client.patch(url, patch, content_type="application/json", **as_cpo).status_code == 200
        assert client.put(url, {"id": 1}, content_type="application/json", **as_cpo).json()["status_code"] == 2001
        assert client.get("/ocpi/cpo/2.2.1/sender/locations", **as_emsp).status_code == 200
        assert client.get("/ocpi/cpo/2.2.1/sender/tokens", HTTP_AUTHORIZATION=f"Token {unknown}").status_code == 401
    text = caplog.text
    assert "PUT /ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1 201" in text  # the module calls were logged
    for token in (token_a, at_cpo.token_to_them, at_emsp.token_to_them, unknown):
        assert token not in text
        assert base64.b64encode(token.encode()).decode() not in text
