"""GET All via Hubs and Broadcast Push on a hub tenant (2.2.1 transport_and_format, Message Routing): the hub's
sender list combines the objects of the parties it connects, paged across them; what it passes on of one
party's objects is sent as the hub's broadcast."""

import json

import pytest

from partners.models import PartnerStatus
from roaming.models import Delivery
from roaming.services import batches, outbox
from tests.bodies import LOCATION
from tests.factories import auth, make_hub, make_location, make_partner

TO_HUB = {
    "HTTP_OCPI_TO_COUNTRY_CODE": "NL",
    "HTTP_OCPI_TO_PARTY_ID": "HUB",
    "HTTP_OCPI_FROM_COUNTRY_CODE": "DE",
    "HTTP_OCPI_FROM_PARTY_ID": "EMS",
}


@pytest.fixture
def hub(db, peer):
    return make_hub(peer)


def test_get_all_via_the_hub_pages_the_objects_of_every_connected_party(client, hub, settings):
    tenant, emsp, token, cpo = hub
    other, _ = make_partner(tenant, "BE:CPB:CPO", name="cpo-b")
    make_location(tenant, "A1", country_code="NL", party_id="CPO", partner=cpo)
    make_location(tenant, "B1", country_code="BE", party_id="CPB", partner=other)
    make_location(tenant, "E1", country_code="DE", party_id="EMS", partner=emsp)  # the caller's own: not listed
    url = "/ocpi/hub/2.2.1/sender/locations"
    # Asked through another name of the host: the pages still link to the hub's public base URL.
    first = client.get(f"{url}?limit=1", **auth(token), **TO_HUB, HTTP_HOST="localhost")
    assert first.json()["status_code"] == 1000
    assert first["X-Total-Count"] == "2"
    assert first["Link"].startswith(f"<{settings.OCPI_BASE_URL}{url}?offset=1&limit=1")
    second = client.get(f"{url}?offset=1&limit=1", **auth(token), **TO_HUB)
    assert "Link" not in second
    owners = [(o["country_code"], o["party_id"], o["id"]) for o in first.json()["data"] + second.json()["data"]]
    assert sorted(owners) == [("BE", "CPB", "B1"), ("NL", "CPO", "A1")]
    # The hub answers as itself: TO the requesting party, FROM the hub.
    assert (first["OCPI-to-party-id"], first["OCPI-from-party-id"]) == ("EMS", "HUB")


def test_get_all_via_the_hub_leaves_out_parties_whose_connection_is_suspended(client, hub):
    tenant, _, token, cpo = hub
    make_location(tenant, "A1", country_code="NL", party_id="CPO", partner=cpo)
    cpo.set_status(PartnerStatus.SUSPENDED)
    cpo.save()
    response = client.get("/ocpi/hub/2.2.1/sender/locations", **auth(token), **TO_HUB)
    assert (response.json()["data"], response["X-Total-Count"]) == ([], "0")


@pytest.mark.parametrize("path", ["task", "batch"])
def test_a_broadcast_push_is_kept_and_passed_on_with_the_hub_as_ocpi_from(client, hub, peer, path, caplog):
    tenant, emsp, _, cpo = hub
    emsp.endpoints.create(tenant=tenant, identifier="locations", role="RECEIVER", url=f"{peer.url}/emsp/locations")
    from partners.models import AccessToken, TokenKind

    _, cpo_token = AccessToken.issue(partner=cpo, kind=TokenKind.ACCESS)
    broadcast = {**TO_HUB, "HTTP_OCPI_FROM_COUNTRY_CODE": "NL", "HTTP_OCPI_FROM_PARTY_ID": "CPO"}
    response = client.put(
        "/ocpi/hub/2.2.1/receiver/locations/NL/CPO/LOC1",
        {**LOCATION, "id": "LOC1"},
        content_type="application/json",
        **auth(cpo_token),
        **broadcast,
        HTTP_X_CORRELATION_ID="corr-7",
    )
    assert response.status_code == 201
    # Broadcast response: TO the requesting party, FROM the hub.
    assert (response["OCPI-to-party-id"], response["OCPI-from-party-id"]) == ("CPO", "HUB")
    [delivery] = Delivery.objects.filter(partner=emsp)
    assert delivery.correlation_id == "corr-7"
    peer.ok("/emsp/locations/NL/CPO/LOC1", None)
    caplog.set_level("INFO")
    if path == "task":
        assert outbox.deliver(delivery_id=delivery.pk).status == "DELIVERED"
    else:
        assert batches.drain(partner_id=emsp.pk).delivered == 1
    delivery.refresh_from_db()
    assert delivery.status == "DELIVERED"
    [sent] = peer.requests
    headers = {name.lower(): value for name, value in sent["headers"].items()}
    # Broadcast request, hub to receiving platform: TO the receiving party, FROM the hub; the URL keeps the owner.
    assert sent["path"] == "/emsp/locations/NL/CPO/LOC1"
    assert (headers["ocpi-to-country-code"], headers["ocpi-to-party-id"]) == ("DE", "EMS")
    assert (headers["ocpi-from-country-code"], headers["ocpi-from-party-id"]) == ("NL", "HUB")
    assert json.loads(sent["body"])["party_id"] == "CPO"
    # The X-Correlation-ID of the push the hub received, end to end through the outbox; a new X-Request-ID.
    assert headers["x-correlation-id"] == "corr-7"
    assert headers["x-request-id"] != response["X-Request-ID"]
    if path == "task":
        [logged] = [r for r in caplog.records if r.name == "roaming.services.outbox" and "DELIVERED" in r.getMessage()]
        assert logged.correlation_id == "corr-7"
