"""A hub tenant between partners of different versions (2.2.1 transport_and_format, Message Routing; 2.1.1 has no
routing headers and no hub codes): what a party connected in the other version cannot take while the caller
waits is 4000 (3000 in a 2.1.1 caller's vocabulary), nothing sent; pushes cross versions through the outbox,
each delivery in its addressee's version; a 2.1.1 caller's command is routed by its content to a 2.1.1 CPO,
without routing headers, and its result relayed back the same way."""

import json

import pytest

from partners.models import AccessToken, TokenKind
from roaming.models import Delivery, Relay
from roaming.services import hubclientinfo, outbox
from tests.bodies import LOCATION_211, LOCATION_221
from tests.factories import auth, make_endpoint, make_hub, make_location, make_partner

TO_OLD_CPO = {
    "HTTP_OCPI_TO_COUNTRY_CODE": "FR",
    "HTTP_OCPI_TO_PARTY_ID": "OLD",
    "HTTP_OCPI_FROM_COUNTRY_CODE": "DE",
    "HTTP_OCPI_FROM_PARTY_ID": "EMS",
}


@pytest.fixture
def hub(db, peer):
    """make_hub's tenant, with a 2.1.1 CPO (FR*OLD) and a 2.1.1 eMSP (BE*OLE) connected as well."""
    tenant, emsp, token, cpo = make_hub(peer)
    old_cpo, old_cpo_token = make_partner(
        tenant, "FR:OLD:CPO", name="old-cpo", version="2.1.1", token_to_them="old-cpo-token"
    )
    old_emsp, old_emsp_token = make_partner(
        tenant, "BE:OLE:EMSP", name="old-emsp", version="2.1.1", token_to_them="old-emsp-token"
    )
    make_endpoint(old_cpo, "locations", "SENDER", f"{peer.url}/old-cpo/locations")
    make_endpoint(old_cpo, "commands", "RECEIVER", f"{peer.url}/old-cpo/commands")
    make_endpoint(emsp, "locations", "RECEIVER", f"{peer.url}/emsp/locations")
    make_endpoint(old_emsp, "locations", "RECEIVER", f"{peer.url}/old-emsp/locations")
    old_emsp.versions_url = f"{peer.url}/versions"  # its response URLs are on its own host
    old_emsp.save()
    for partner in (old_cpo, old_emsp):
        hubclientinfo.publish_connection(tenant=tenant, partner=partner)
    return {"tenant": tenant, "emsp": emsp, "token": token, "cpo": cpo, "old_cpo": old_cpo,
            "old_cpo_token": old_cpo_token, "old_emsp": old_emsp, "old_emsp_token": old_emsp_token}  # fmt: skip


def lowered(headers: dict) -> dict:
    return {name.lower(): value for name, value in headers.items()}


def deliver_to(partner) -> None:
    delivery = Delivery.objects.get(partner=partner, object_path__endswith="LOC1")
    assert outbox.deliver(delivery_id=delivery.pk).status == "DELIVERED"


def test_a_2_2_1_callers_get_addressed_to_a_2_1_1_party_is_4000_and_not_sent(client, hub, peer):
    response = client.get("/ocpi/hub/2.2.1/sender/locations/LOC1", **auth(hub["token"]), **TO_OLD_CPO)
    assert response.status_code == 200
    assert (response.json()["status_code"], response.json()["status_message"]) == (
        4000,
        "Party FR*OLD is connected to this hub in OCPI 2.1.1: not routed",
    )
    assert peer.requests == []


def test_a_2_2_1_push_addressed_to_a_2_1_1_party_is_kept_and_delivered_in_2_1_1(client, hub, peer):
    _, cpo_token = AccessToken.issue(partner=hub["cpo"], kind=TokenKind.ACCESS)
    response = client.put(
        "/ocpi/hub/2.2.1/receiver/locations/NL/CPO/LOC1",
        {**LOCATION_221, "id": "LOC1"},
        content_type="application/json",
        **auth(cpo_token),
        HTTP_OCPI_TO_COUNTRY_CODE="BE",
        HTTP_OCPI_TO_PARTY_ID="OLE",
        HTTP_OCPI_FROM_COUNTRY_CODE="NL",
        HTTP_OCPI_FROM_PARTY_ID="CPO",
    )
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert peer.requests == []  # not forwarded while the CPO waited
    peer.ok("/old-emsp/locations/NL/CPO/LOC1", None)
    deliver_to(hub["old_emsp"])
    [sent] = peer.requests
    assert (sent["method"], sent["path"]) == ("PUT", "/old-emsp/locations/NL/CPO/LOC1")
    body = json.loads(sent["body"])
    assert body["id"] == "LOC1" and "party_id" not in body  # 2.1.1's Location, which names no owner
    assert not any(name.startswith("ocpi-") for name in lowered(sent["headers"]))


def test_a_2_1_1_push_to_the_hub_reaches_a_2_2_1_party_in_2_2_1_from_the_hub(client, hub, peer):
    response = client.put(
        "/ocpi/hub/2.1.1/receiver/locations/FR/OLD/LOC1",
        {**LOCATION_211, "id": "LOC1"},
        content_type="application/json",
        **auth(hub["old_cpo_token"]),
    )
    assert response.json()["status_code"] == 1000
    peer.ok("/emsp/locations/FR/OLD/LOC1", None)
    deliver_to(hub["emsp"])
    [sent] = peer.requests
    body, headers = json.loads(sent["body"]), lowered(sent["headers"])
    assert (body["id"], body["country_code"], body["party_id"]) == ("LOC1", "FR", "OLD")
    # Broadcast request, hub to receiving platform: TO the receiving party, FROM the hub.
    assert (headers["ocpi-to-party-id"], headers["ocpi-from-party-id"]) == ("EMS", "HUB")


def test_a_2_1_1_callers_command_is_routed_by_its_location_to_a_2_1_1_cpo_and_its_result_relayed(
    client, hub, peer, settings
):
    make_location(hub["tenant"], "OLD1", country_code="FR", party_id="OLD", partner=hub["old_cpo"])
    peer.ok("/old-cpo/commands/START_SESSION", {"result": "ACCEPTED", "timeout": 30})
    body = {"response_url": f"{peer.url}/old-emsp/cmd/1", "location_id": "OLD1", "token": {"uid": "T1"}}
    response = client.post(
        "/ocpi/hub/2.1.1/receiver/commands/START_SESSION",
        body,
        content_type="application/json",
        **auth(hub["old_emsp_token"]),
    )
    assert response.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    assert not any(name.lower().startswith("ocpi-") for name in response.headers)
    [sent] = peer.requests
    relay = Relay.objects.get()
    hub_url = f"{settings.OCPI_BASE_URL}/ocpi/hub/2.1.1/hub/relay/{relay.key}"
    assert json.loads(sent["body"]) == {**body, "response_url": hub_url}
    assert not any(name.startswith("ocpi-") for name in lowered(sent["headers"]))  # 2.1.1 has none
    assert lowered(sent["headers"])["authorization"].startswith("Token ")

    peer.ok("/old-emsp/cmd/1", None)
    result = client.post(
        hub_url.removeprefix(settings.OCPI_BASE_URL),
        {"result": "ACCEPTED"},
        content_type="application/json",
        **auth(hub["old_cpo_token"]),
    )
    assert result.json()["status_code"] == 1000
    passed_on = peer.requests[1]
    assert (passed_on["path"], json.loads(passed_on["body"])) == ("/old-emsp/cmd/1", {"result": "ACCEPTED"})
    assert not any(name.startswith("ocpi-") for name in lowered(passed_on["headers"]))


def test_a_2_1_1_callers_command_for_a_2_2_1_cpo_is_the_hub_error_of_its_version_and_not_sent(client, hub, peer):
    make_location(hub["tenant"], "NEW1", country_code="NL", party_id="CPO", partner=hub["cpo"])
    body = {"response_url": f"{peer.url}/old-emsp/cmd/1", "location_id": "NEW1", "token": {"uid": "T1"}}
    response = client.post(
        "/ocpi/hub/2.1.1/receiver/commands/START_SESSION",
        body,
        content_type="application/json",
        **auth(hub["old_emsp_token"]),
    )
    # 4000 has no 2.1.1 code: a 2.1.1 caller reads its fallback, 3000 (VERSION-DIFFERENCES, status codes).
    assert (response.json()["status_code"], response.json()["status_message"]) == (
        3000,
        "Party NL*CPO is connected to this hub in OCPI 2.2.1: not routed",
    )
    assert peer.requests == []
    assert not Relay.objects.exists()
