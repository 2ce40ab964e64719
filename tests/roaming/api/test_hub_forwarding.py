"""A hub tenant forwards what OCPI-to addresses to a party it connects, while the caller waits, and answers
with the addressee's answer, or with the hub code that says why it could not (2.2.1 transport_and_format,
Message Routing; status_codes 4000-4003)."""

import base64
import json
import logging
import socket

import pytest
from django.conf import settings as django_settings

from partners.models import PartnerStatus
from roaming.models import ClientInfo, Delivery, Location, RouteStat
from roaming.ocpi.headers import RequestIdLogFilter
from roaming.services import hubclientinfo, routing
from tests.bodies import LOCATION
from tests.factories import auth, make_hub

LOCATION_URL = "/ocpi/hub/2.2.1/sender/locations/LOC1"
PUT_URL = "/ocpi/hub/2.2.1/receiver/locations/NL/CPO/LOC1"
PUSHED = {**LOCATION, "id": "LOC1"}


def addressed(to_party: str = "NL*CPO", from_party: str = "DE*EMS", **extra) -> dict:
    to_cc, to_pid = to_party.split("*")
    from_cc, from_pid = from_party.split("*")
    return {
        "HTTP_OCPI_TO_COUNTRY_CODE": to_cc,
        "HTTP_OCPI_TO_PARTY_ID": to_pid,
        "HTTP_OCPI_FROM_COUNTRY_CODE": from_cc,
        "HTTP_OCPI_FROM_PARTY_ID": from_pid,
        **extra,
    }


@pytest.fixture
def hub(db, peer):
    return make_hub(peer)


def stat(party_id: str = "CPO") -> RouteStat:
    return RouteStat.objects.get(party_id=party_id)


def test_an_addressed_get_is_forwarded_with_the_routing_tables_headers_and_its_answer_comes_back(client, hub, peer):
    _, _, token, _ = hub
    peer.ok("/sender/locations/LOC1", {"id": "LOC1", "country_code": "NL", "party_id": "CPO"})
    response = client.get(
        LOCATION_URL, **auth(token), **addressed(HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="corr-1")
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000
    assert response.json()["data"] == {"id": "LOC1", "country_code": "NL", "party_id": "CPO"}
    # Hub to requesting platform: TO the requesting party, FROM the receiving party; the caller's ids back.
    assert (response["OCPI-to-country-code"], response["OCPI-to-party-id"]) == ("DE", "EMS")
    assert (response["OCPI-from-country-code"], response["OCPI-from-party-id"]) == ("NL", "CPO")
    assert (response["X-Request-ID"], response["X-Correlation-ID"]) == ("req-1", "corr-1")
    [sent] = peer.requests
    headers = {name.lower(): value for name, value in sent["headers"].items()}
    assert (sent["method"], sent["path"]) == ("GET", "/sender/locations/LOC1")
    # Hub to receiving platform: TO the receiving party, FROM the requesting party, with the hub's token.
    assert (headers["ocpi-to-country-code"], headers["ocpi-to-party-id"]) == ("NL", "CPO")
    assert (headers["ocpi-from-country-code"], headers["ocpi-from-party-id"]) == ("DE", "EMS")
    assert headers["authorization"] == f"Token {base64.b64encode(b'their-token').decode()}"
    # A new X-Request-ID per hop, the same X-Correlation-ID end to end.
    assert headers["x-request-id"] != "req-1"
    assert headers["x-correlation-id"] == "corr-1"
    assert (stat().forwarded, stat().errors) == (1, 0)


def test_the_access_log_line_of_a_forwarded_request_carries_its_correlation_id(client, hub, peer, caplog):
    _, _, token, _ = hub
    peer.ok("/sender/locations/LOC1", {"id": "LOC1"})
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.handler.setFormatter(logging.Formatter(django_settings.LOGGING["formatters"]["plain"]["format"]))
    with caplog.at_level(logging.INFO, logger="roaming.access"):
        client.get(LOCATION_URL, **auth(token), **addressed(HTTP_X_CORRELATION_ID="corr-9"))
    [line] = [caplog.handler.format(r) for r in caplog.records if r.name == "roaming.access"]
    assert "GET /ocpi/hub/2.2.1/sender/locations/LOC1 200" in line
    assert "corr=corr-9]" in line
    # The next hop carries it on, to the addressee's own access log.
    assert {name.lower(): value for name, value in peer.requests[0]["headers"].items()}["x-correlation-id"] == "corr-9"


def test_the_addressees_error_is_passed_back_as_it_came(client, hub, peer):
    _, _, token, _ = hub
    peer.fail("/sender/locations/LOC9", 2003, "Unknown location LOC9", http_status=404)
    response = client.get("/ocpi/hub/2.2.1/sender/locations/LOC9", **auth(token), **addressed())
    assert response.status_code == 404
    assert (response.json()["status_code"], response.json()["status_message"]) == (2003, "Unknown location LOC9")
    assert (stat().forwarded, stat().errors) == (1, 1)
    assert stat().last_error == "HTTP 404, OCPI 2003: Unknown location LOC9"


def test_an_addressed_list_keeps_its_paging_with_links_to_the_hub(client, hub, peer, settings):
    _, _, token, _ = hub
    link = '<{base}/sender/locations?offset=1&limit=1>; rel="next"'
    peer.ok("/sender/locations", [{"id": "LOC1"}], headers={"Link": link, "X-Total-Count": "2", "X-Limit": "1"})
    response = client.get("/ocpi/hub/2.2.1/sender/locations?limit=1", **auth(token), **addressed())
    assert response.json()["data"] == [{"id": "LOC1"}]
    hub_list = f"{settings.OCPI_BASE_URL}/ocpi/hub/2.2.1/sender/locations"
    assert response["Link"] == f'<{hub_list}?offset=1&limit=1>; rel="next"'
    assert (response["X-Total-Count"], response["X-Limit"]) == ("2", "1")
    assert peer.requests[0]["path"] == "/sender/locations?limit=1"


def test_an_addressees_link_elsewhere_than_its_endpoint_is_not_passed_on(client, hub, peer):
    _, _, token, _ = hub
    elsewhere = '<http://10.1.2.3/internal/locations?offset=1&limit=1>; rel="next"'
    peer.ok("/sender/locations", [{"id": "LOC1"}], headers={"Link": elsewhere, "X-Total-Count": "2"})
    response = client.get("/ocpi/hub/2.2.1/sender/locations?limit=1", **auth(token), **addressed())
    assert response.json()["data"] == [{"id": "LOC1"}]
    assert "Link" not in response
    assert response["X-Total-Count"] == "2"


def test_an_addressed_push_is_forwarded_and_the_addressees_refusal_reaches_the_sender_nothing_kept(client, hub, peer):
    _, _, token, cpo = hub
    hub_tenant = cpo.tenant
    emsp_side = make_emsp_receiver(hub_tenant, peer)
    peer.fail("/receiver/locations/NL/CPO/LOC1", 2001, "coordinates: latitude is missing")
    response = client.put(
        PUT_URL,
        PUSHED,
        content_type="application/json",
        **auth(cpo_token(cpo)),
        **addressed(to_party="DE*EMS", from_party="NL*CPO"),
    )
    assert response.status_code == 200
    assert (response.json()["status_code"], response.json()["status_message"]) == (
        2001,
        "coordinates: latitude is missing",
    )
    assert json.loads(peer.requests[0]["body"])["id"] == "LOC1"
    assert not Location.objects.exists()
    assert not Delivery.objects.exists()
    assert stat("EMS").partner == emsp_side


def test_a_request_to_a_party_the_hub_does_not_connect_is_4001_and_nothing_is_sent(client, hub, peer):
    _, _, token, _ = hub
    response = client.get(LOCATION_URL, **auth(token), **addressed(to_party="SE*XYZ"))
    assert response.status_code == 200
    assert response.json()["status_code"] == 4001
    assert response.json()["status_message"] == "Party SE*XYZ in OCPI-to is not connected to this hub"
    assert peer.requests == []


def test_a_party_offline_per_hub_client_info_is_4003_without_trying(client, hub, peer):
    tenant, _, token, _ = hub
    ClientInfo.objects.filter(tenant=tenant, partner__isnull=True, party_id="CPO").update(status="OFFLINE")
    response = client.get(LOCATION_URL, **auth(token), **addressed())
    assert response.json()["status_code"] == 4003
    assert response.json()["status_message"] == "Party NL*CPO in OCPI-to is OFFLINE at this hub"
    assert peer.requests == []


def test_a_suspended_connection_is_4003_without_trying(client, hub, peer):
    tenant, _, token, cpo = hub
    cpo.set_status(PartnerStatus.SUSPENDED)
    cpo.save()
    hubclientinfo.publish_connection(tenant=tenant, partner=cpo)
    response = client.get(LOCATION_URL, **auth(token), **addressed())
    assert response.json()["status_code"] == 4003
    assert peer.requests == []


def test_a_party_whose_routing_the_operator_suspended_is_4003(client, hub, peer):
    tenant, _, token, _ = hub
    routing.routes(tenant=tenant)
    assert routing.suspend(routes=RouteStat.objects.filter(tenant=tenant, party_id="CPO"), suspended=True) == 1
    response = client.get(LOCATION_URL, **auth(token), **addressed())
    assert response.json()["status_code"] == 4003
    assert response.json()["status_message"] == "Routing to party NL*CPO is suspended at this hub"
    assert peer.requests == []


def test_an_addressee_that_does_not_answer_in_time_is_4002(client, hub, peer):
    _, _, token, cpo = hub
    cpo.request_timeout = 1
    cpo.save()
    peer.delay = 2
    peer.ok("/sender/locations/LOC1", {"id": "LOC1"})
    response = client.get(LOCATION_URL, **auth(token), **addressed())
    assert response.status_code == 200
    assert response.json()["status_code"] == 4002
    assert response.json()["status_message"] == "Party NL*CPO did not answer within 1 s"
    assert (stat().forwarded, stat().errors) == (1, 1)


def test_an_addressee_whose_platform_refuses_the_connection_is_4003(client, hub, settings):
    _, _, token, cpo = hub
    settings.OCPI_CLIENT_CONNECT_RETRIES = 0
    cpo.endpoints.filter(identifier="locations", role="SENDER").update(url=f"http://127.0.0.1:{closed_port()}/loc")
    response = client.get(LOCATION_URL, **auth(token), **addressed())
    assert response.json()["status_code"] == 4003
    assert response.json()["status_message"] == "Party NL*CPO did not accept the connection (ConnectionError)"


def test_an_answer_that_is_no_ocpi_envelope_is_4000(client, hub, peer):
    _, _, token, _ = hub
    peer.routes["/sender/locations/LOC1"] = (502, {}, "<html>Bad gateway</html>")
    response = client.get(LOCATION_URL, **auth(token), **addressed())
    assert response.json()["status_code"] == 4000
    assert response.json()["status_message"] == "Party NL*CPO answered HTTP 502 without an OCPI envelope"


def test_a_push_whose_addressee_is_unreachable_is_kept_and_passed_on_from_the_outbox(client, hub, settings):
    tenant, emsp, _, cpo = hub
    settings.OCPI_CLIENT_CONNECT_RETRIES = 0
    emsp.endpoints.create(
        tenant=tenant, identifier="locations", role="RECEIVER", url=f"http://127.0.0.1:{closed_port()}/l"
    )
    response = client.put(
        PUT_URL,
        PUSHED,
        content_type="application/json",
        **auth(cpo_token(cpo)),
        **addressed(to_party="DE*EMS", from_party="NL*CPO"),
    )
    assert response.status_code == 201
    assert response.json()["status_code"] == 1000
    assert Location.objects.get().location_id == "LOC1"
    assert list(Delivery.objects.values_list("partner__name", "object_path")) == [("emsp", "NL/CPO/LOC1")]
    assert stat("EMS").errors == 1


def test_a_request_addressed_to_the_hub_itself_is_the_hubs_own(client, hub, peer):
    _, _, token, _ = hub
    response = client.get("/ocpi/hub/2.2.1/sender/locations", **auth(token), **addressed(to_party="NL*HUB"))
    assert response.json()["status_code"] == 1000
    assert peer.requests == []


def make_emsp_receiver(tenant, peer):
    from partners.models import Partner

    emsp = Partner.objects.get(tenant=tenant, name="emsp")
    emsp.endpoints.create(tenant=tenant, identifier="locations", role="RECEIVER", url=f"{peer.url}/receiver/locations")
    return emsp


def cpo_token(cpo) -> str:
    from partners.models import AccessToken, TokenKind

    _, raw = AccessToken.issue(partner=cpo, kind=TokenKind.ACCESS)
    return raw


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_command_gets_the_hubs_response_url_and_its_result_reaches_the_requester(client, hub, peer, settings):
    from roaming.models import Relay

    tenant, emsp, token, cpo = hub
    emsp.versions_url = f"{peer.url}/versions"
    emsp.save()
    peer.ok("/receiver/commands/START_SESSION", {"result": "ACCEPTED", "timeout": 30})
    peer.ok("/emsp/commands/START_SESSION/abc", None)
    command = {"response_url": f"{peer.url}/emsp/commands/START_SESSION/abc", "location_id": "LOC1"}
    response = client.post(
        "/ocpi/hub/2.2.1/receiver/commands/START_SESSION",
        command,
        content_type="application/json",
        **auth(token),
        **addressed(),
    )
    assert response.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    relay = Relay.objects.get()
    hub_url = f"{settings.OCPI_BASE_URL}/ocpi/hub/2.2.1/hub/relay/{relay.key}"
    assert json.loads(peer.requests[0]["body"]) == {**command, "response_url": hub_url}

    # The CPO posts the result to the hub's URL; the hub passes it on to the eMSP's own response_url.
    result = client.post(
        hub_url.removeprefix(settings.OCPI_BASE_URL),
        {"result": "ACCEPTED"},
        content_type="application/json",
        **auth(cpo_token(cpo)),
    )
    assert result.json()["status_code"] == 1000
    passed_on = peer.requests[1]
    headers = {name.lower(): value for name, value in passed_on["headers"].items()}
    assert (passed_on["method"], passed_on["path"]) == ("POST", "/emsp/commands/START_SESSION/abc")
    assert json.loads(passed_on["body"]) == {"result": "ACCEPTED"}
    assert headers["authorization"] == f"Token {base64.b64encode(b'emsp-token').decode()}"
    assert (headers["ocpi-to-party-id"], headers["ocpi-from-party-id"]) == ("EMS", "CPO")
    relay.refresh_from_db()
    assert relay.results == 1


def test_only_the_addressee_may_post_to_a_relay(client, hub, peer):
    from roaming.models import Relay

    tenant, emsp, token, _ = hub
    relay = Relay.objects.create(
        tenant=tenant,
        module="commands",
        requester=emsp,
        response_url=f"{peer.url}/r",
        from_country_code="DE",
        from_party_id="EMS",
        to_country_code="NL",
        to_party_id="CPO",
    )
    response = client.post(
        f"/ocpi/hub/2.2.1/hub/relay/{relay.key}", {"result": "ACCEPTED"}, content_type="application/json", **auth(token)
    )
    assert response.status_code == 403
    assert response.json()["status_message"] == "This response URL is for results of NL*CPO"
    assert peer.requests == []


def test_a_command_whose_response_url_is_not_on_the_requesters_host_is_2001_and_not_sent(client, hub, peer):
    from roaming.models import Relay

    _, _, token, _ = hub
    command = {"response_url": "http://10.0.0.1/steal", "location_id": "LOC1"}
    response = client.post(
        "/ocpi/hub/2.2.1/receiver/commands/START_SESSION",
        command,
        content_type="application/json",
        **auth(token),
        **addressed(),
    )
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"] == "response_url 'http://10.0.0.1/steal' is not on a host of this partner"
    assert peer.requests == []
    assert not Relay.objects.exists()
