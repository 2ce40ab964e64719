"""The outgoing client against a real HTTP server on loopback."""

import base64
import json

import pytest

from roaming.ocpi.client import (
    OcpiClient,
    PartnerBadResponse,
    PartnerHttpError,
    PartnerOcpiError,
    PartnerUnreachable,
)
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.headers import PartyRef


def client(dialect="2.2.1", **kwargs):
    return OcpiClient(dialect=get_dialect(dialect), token="tok-123", **kwargs)


def test_get_unwraps_the_envelope_and_sends_ids_and_base64_token(peer):
    peer.ok("/versions", [{"version": "2.2.1", "url": "x"}])
    result = client().get(f"{peer.url}/versions")
    assert result.data == [{"version": "2.2.1", "url": "x"}]
    sent = peer.requests[0]["headers"]
    assert sent["Authorization"] == "Token " + base64.b64encode(b"tok-123").decode()
    assert len(sent["X-Request-ID"]) == 36 and len(sent["X-Correlation-ID"]) == 36


def test_2_1_1_sends_the_raw_token(peer):
    peer.ok("/versions", [])
    client("2.1.1").get(f"{peer.url}/versions")
    assert peer.requests[0]["headers"]["Authorization"] == "Token tok-123"


def test_routing_headers_are_sent_for_functional_modules(peer):
    peer.ok("/locations/NL/CPO/1", None)
    c = client(from_party=PartyRef("DE", "EMS"))
    c.put(f"{peer.url}/locations/NL/CPO/1", {"id": "1"}, to_party=PartyRef("NL", "CPO"))
    sent = peer.requests[0]
    assert sent["headers"]["OCPI-from-country-code"] == "DE"
    assert sent["headers"]["OCPI-to-party-id"] == "CPO"
    assert json.loads(sent["body"]) == {"id": "1"}
    assert sent["headers"]["Content-Type"] == "application/json"


def test_iter_pages_follows_link_until_the_last_page(peer):
    peer.ok("/list", [1, 2], headers={"Link": '<{base}/list2?offset=2&limit=2>; rel="next"'})
    peer.ok("/list2", [3])
    pages = list(client().iter_pages(f"{peer.url}/list", params={"limit": 2}))
    assert pages == [[1, 2], [3]]
    assert peer.requests[1]["path"] == "/list2?offset=2&limit=2"


def test_ocpi_error_code_raises_with_code_and_message(peer):
    peer.routes["/x"] = (200, {}, {"status_code": 2001, "status_message": "bad field", "timestamp": "t"})
    with pytest.raises(PartnerOcpiError) as caught:
        client().get(f"{peer.url}/x")
    assert caught.value.status_code == 2001
    assert caught.value.message == "bad field"
    assert not caught.value.retryable


def test_server_error_code_is_retryable(peer):
    peer.routes["/x"] = (200, {}, {"status_code": 3000, "timestamp": "t"})
    with pytest.raises(PartnerOcpiError) as caught:
        client().get(f"{peer.url}/x")
    assert caught.value.retryable


def test_http_500_without_envelope_is_retryable_http_error(peer):
    peer.routes["/x"] = (500, {}, "<html>oops</html>")
    with pytest.raises(PartnerHttpError) as caught:
        client().get(f"{peer.url}/x")
    assert caught.value.http_status == 500 and caught.value.retryable


def test_http_429_carries_retry_after(peer):
    peer.routes["/x"] = (429, {"Retry-After": "7"}, "slow down")
    with pytest.raises(PartnerHttpError) as caught:
        client().get(f"{peer.url}/x")
    assert caught.value.retry_after == 7.0 and caught.value.retryable


def test_http_404_is_not_retryable(peer):
    with pytest.raises(PartnerHttpError) as caught:
        client().get(f"{peer.url}/missing")
    assert caught.value.http_status == 404 and not caught.value.retryable


def test_garbage_answer_is_a_bad_response(peer):
    peer.routes["/x"] = (200, {}, "this is not json")
    with pytest.raises(PartnerBadResponse):
        client().get(f"{peer.url}/x")
    peer.routes["/y"] = (200, {}, {"hello": "world"})
    with pytest.raises(PartnerBadResponse):
        client().get(f"{peer.url}/y")


def test_connection_refused_is_unreachable(settings):
    settings.OCPI_CLIENT_CONNECT_RETRIES = 0
    with pytest.raises(PartnerUnreachable):
        client().get("http://127.0.0.1:9/versions")


def test_the_environment_is_read_once_per_host_and_still_routes_through_a_proxy(peer, monkeypatch):
    import requests.sessions

    reads = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", lambda *a, **k: reads.append(a) or real(*a, **k))
    client = OcpiClient(dialect=get_dialect("2.2.1"), token="t", session=OcpiClient._new_session())
    peer.ok("/versions", [])
    for _ in range(3):
        client.get(f"{peer.url}/versions")
    assert len(reads) == 1 and len(peer.requests) == 3

    # A proxy named in the environment is used: the request goes to it, with the partner's URL as its target.
    monkeypatch.setenv("HTTP_PROXY", peer.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = OcpiClient(dialect=get_dialect("2.2.1"), token="t", session=OcpiClient._new_session())
    peer.routes["http://partner.invalid/versions"] = peer.routes["/versions"]
    proxied.get("http://partner.invalid/versions")
    assert peer.requests[-1]["path"] == "http://partner.invalid/versions"
