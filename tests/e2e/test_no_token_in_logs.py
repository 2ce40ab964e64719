"""No token ever appears in a log line: a whole handshake is logged at DEBUG and scanned for its tokens."""

import base64
import logging

import pytest

from partners import handshake
from partners.models import Partner
from partners.services import issue_registration_token
from tests.factories import make_tenant

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
