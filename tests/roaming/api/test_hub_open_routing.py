"""Open Routing Requests to a hub tenant (2.2.1 transport_and_format, Message Routing, "Open Routing Request"):
a command or charging profile request without OCPI-to goes to the party that owns the location or session it
names, with TO the receiving party and FROM the requesting party; what names nothing the hub knows is 4001."""

import json

import pytest

from roaming.models import Relay, RouteStat
from tests.factories import auth, make_hub, make_location, make_session

FROM_EMSP = {"HTTP_OCPI_FROM_COUNTRY_CODE": "DE", "HTTP_OCPI_FROM_PARTY_ID": "EMS"}
MODULES = (("commands", "RECEIVER"), ("chargingprofiles", "RECEIVER"))


@pytest.fixture
def hub(db, peer):
    tenant, emsp, token, cpo = made = make_hub(peer, cpo_modules=MODULES)
    emsp.versions_url = f"{peer.url}/versions"  # the eMSP's response URLs are on its own host
    emsp.save()
    make_location(tenant, "LOC1", country_code="NL", party_id="CPO", partner=cpo)
    return made


def headers_of(sent: dict) -> dict:
    return {name.lower(): value for name, value in sent["headers"].items()}


def command(client, token, name: str, body: dict):
    return client.post(
        f"/ocpi/hub/2.2.1/receiver/commands/{name}", body, content_type="application/json", **auth(token), **FROM_EMSP
    )


def test_a_start_session_without_ocpi_to_goes_to_the_cpo_of_its_location(client, hub, peer, settings):
    _, _, token, _ = hub
    peer.ok("/receiver/commands/START_SESSION", {"result": "ACCEPTED", "timeout": 30})
    body = {"response_url": f"{peer.url}/emsp/cmd/1", "location_id": "loc1", "token": {"uid": "T1"}}
    response = command(client, token, "START_SESSION", body)
    assert response.status_code == 200
    assert response.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    # Open response, hub to requesting platform: TO the requesting party, FROM the party the hub chose.
    assert (response["OCPI-to-country-code"], response["OCPI-to-party-id"]) == ("DE", "EMS")
    assert (response["OCPI-from-country-code"], response["OCPI-from-party-id"]) == ("NL", "CPO")
    [sent] = peer.requests
    headers = headers_of(sent)
    # Open request, hub to receiving platform: TO the receiving party, FROM the requesting party.
    assert (headers["ocpi-to-country-code"], headers["ocpi-to-party-id"]) == ("NL", "CPO")
    assert (headers["ocpi-from-country-code"], headers["ocpi-from-party-id"]) == ("DE", "EMS")
    relay = Relay.objects.get()
    assert (relay.to_party_id, relay.from_party_id) == ("CPO", "EMS")
    hub_url = f"{settings.OCPI_BASE_URL}/ocpi/hub/2.2.1/hub/relay/{relay.key}"
    assert json.loads(sent["body"]) == {**body, "response_url": hub_url}
    assert RouteStat.objects.get(party_id="CPO").forwarded == 1


def test_a_stop_session_without_ocpi_to_goes_to_the_owner_of_its_session(client, hub, peer):
    tenant, _, token, cpo = hub
    make_session(tenant, session_id="S1", partner=cpo)
    peer.ok("/receiver/commands/STOP_SESSION", {"result": "ACCEPTED", "timeout": 30})
    response = command(client, token, "STOP_SESSION", {"response_url": f"{peer.url}/emsp/c/2", "session_id": "s1"})
    assert response.json()["status_code"] == 1000
    assert response["OCPI-from-party-id"] == "CPO"
    assert headers_of(peer.requests[0])["ocpi-to-party-id"] == "CPO"


def test_a_charging_profile_without_ocpi_to_goes_to_the_owner_of_its_session(client, hub, peer):
    tenant, _, token, cpo = hub
    make_session(tenant, session_id="S1", partner=cpo)
    peer.ok("/receiver/chargingprofiles/S1", {"result": "ACCEPTED", "timeout": 30})
    profile = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 7000}]}
    response = client.put(
        "/ocpi/hub/2.2.1/receiver/chargingprofiles/S1",
        {"charging_profile": profile, "response_url": f"{peer.url}/emsp/cp/1"},
        content_type="application/json",
        **auth(token),
        **FROM_EMSP,
    )
    assert response.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    [sent] = peer.requests
    assert (sent["method"], sent["path"]) == ("PUT", "/receiver/chargingprofiles/S1")
    assert headers_of(sent)["ocpi-to-party-id"] == "CPO"
    assert json.loads(sent["body"])["charging_profile"] == profile


def test_a_command_naming_a_location_the_hub_does_not_know_is_4001_and_nothing_is_sent(client, hub, peer):
    _, _, token, _ = hub
    body = {"response_url": f"{peer.url}/emsp/cmd/1", "location_id": "NOWHERE", "token": {"uid": "T1"}}
    response = command(client, token, "START_SESSION", body)
    assert response.status_code == 200
    assert (response.json()["status_code"], response.json()["status_message"]) == (
        4001,
        "Open routing: location_id 'NOWHERE' names no object the hub knows; send OCPI-to to address the party",
    )
    assert peer.requests == []
    assert not Relay.objects.exists()


def test_a_location_id_two_parties_use_is_4001_rather_than_a_guess(client, hub, peer):
    from tests.factories import make_partner

    tenant, _, token, _ = hub
    other, _ = make_partner(tenant, "BE:CPB:CPO", name="cpo-b")
    make_location(tenant, "LOC1", country_code="BE", party_id="CPB", partner=other)
    body = {"response_url": f"{peer.url}/emsp/cmd/1", "location_id": "LOC1", "token": {"uid": "T1"}}
    response = command(client, token, "START_SESSION", body)
    assert response.json()["status_code"] == 4001
    assert "names several parties' objects" in response.json()["status_message"]
    assert peer.requests == []


def test_a_command_without_the_field_that_names_its_receiver_is_2001(client, hub, peer):
    _, _, token, _ = hub
    response = command(client, token, "STOP_SESSION", {"response_url": f"{peer.url}/emsp/c/2"})
    assert (response.json()["status_code"], response.json()["status_message"]) == (
        2001,
        "session_id is required to route a request without OCPI-to",
    )
    assert peer.requests == []
