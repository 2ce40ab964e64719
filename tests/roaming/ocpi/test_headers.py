import logging

import pytest
from django.test import RequestFactory

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.headers import PartyRef, RequestIdLogFilter, routing_from_request, routing_headers
from tests.factories import auth


def test_routing_headers_are_parsed_case_insensitively():
    request = RequestFactory().get(
        "/",
        HTTP_OCPI_FROM_COUNTRY_CODE="nl",
        HTTP_OCPI_FROM_PARTY_ID="cpo",
        HTTP_OCPI_TO_COUNTRY_CODE="DE",
        HTTP_OCPI_TO_PARTY_ID="EMS",
    )
    routing = routing_from_request(request)
    assert routing.from_party == PartyRef("NL", "CPO")
    assert routing.to_party == PartyRef("DE", "EMS")


def test_absent_routing_headers_are_none():
    routing = routing_from_request(RequestFactory().get("/"))
    assert routing.from_party is None and routing.to_party is None


def test_malformed_routing_header_is_2001_naming_it():
    request = RequestFactory().get("/", HTTP_OCPI_TO_COUNTRY_CODE="NLD", HTTP_OCPI_TO_PARTY_ID="EMS")
    with pytest.raises(InvalidParameters, match="OCPI-to-country-code"):
        routing_from_request(request)


def test_routing_headers_round_trip():
    headers = routing_headers(from_party=PartyRef("NL", "CPO"), to_party=PartyRef("DE", "EMS"))
    assert headers == {
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPO",
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "EMS",
    }


def test_every_ocpi_request_is_logged_with_its_ids_and_never_its_token(client, emsp_partner, caplog):
    _, token = emsp_partner
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.INFO, logger="roaming.access"):
        client.get("/ocpi/cpo/versions", HTTP_X_REQUEST_ID="req-42", HTTP_X_CORRELATION_ID="corr-42", **auth(token))
    record = next(r for r in caplog.records if r.name == "roaming.access")
    assert "GET /ocpi/cpo/versions 200" in record.getMessage()
    assert (record.request_id, record.correlation_id) == ("req-42", "corr-42")
    assert token not in caplog.text
