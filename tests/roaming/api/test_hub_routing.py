"""Requests through a hub: attributed to the party in OCPI-from, which the hub must serve; answered with
the routing headers swapped."""

import pytest

from roaming.models import ClientInfo, Location
from roaming.services import hubclientinfo
from tests.factories import auth, make_partner
from tests.spec_examples import example_221

LOCATION = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPA", "id": "LOC1"}
URL = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPA/LOC1"


def routed(from_party: str | None, to_party: str = "DE*EMS") -> dict:
    headers = {}
    if from_party:
        country_code, party_id = from_party.split("*")
        headers |= {"HTTP_OCPI_FROM_COUNTRY_CODE": country_code, "HTTP_OCPI_FROM_PARTY_ID": party_id}
    country_code, party_id = to_party.split("*")
    return headers | {"HTTP_OCPI_TO_COUNTRY_CODE": country_code, "HTTP_OCPI_TO_PARTY_ID": party_id}


@pytest.fixture
def hub(emsp_tenant):
    """A hub partner of the eMSP tenant that reported two CPOs CONNECTED."""
    partner, token = make_partner(emsp_tenant, "NL:HUB:HUB", name="hub")
    for country_code, party_id in (("NL", "CPA"), ("BE", "CPB")):
        data = {
            "country_code": country_code,
            "party_id": party_id,
            "role": "CPO",
            "status": "CONNECTED",
            "last_updated": "2026-11-29T08:00:00Z",
        }
        hubclientinfo.put_client_info(
            tenant=emsp_tenant, partner=partner, country_code=country_code, party_id=party_id, data=data
        )
    return partner, token


def put(client, url, body, token, headers):
    return client.put(url, body, content_type="application/json", **auth(token), **headers)


def test_a_request_from_a_served_party_is_attributed_to_it_and_answered_with_swapped_headers(client, hub):
    partner, token = hub
    response = put(client, URL, LOCATION, token, routed("NL*CPA"))
    assert response.status_code == 201
    assert (response["OCPI-to-country-code"], response["OCPI-to-party-id"]) == ("NL", "CPA")
    assert (response["OCPI-from-country-code"], response["OCPI-from-party-id"]) == ("DE", "EMS")
    location = Location.objects.get()
    assert (location.country_code, location.party_id, location.partner) == ("NL", "CPA", partner)


def test_a_broadcast_push_from_the_hub_is_attributed_to_the_served_owner_in_the_url(client, hub):
    _, token = hub
    response = put(client, URL, LOCATION, token, routed("NL*HUB"))
    assert response.status_code == 201
    assert Location.objects.get().party_id == "CPA"


def test_a_served_party_may_not_write_under_another_served_party(client, hub):
    _, token = hub
    response = put(client, URL, LOCATION, token, routed("BE*CPB"))
    assert response.status_code == 403
    assert response.json()["status_message"] == "Party BE*CPB in OCPI-from may not write objects of NL*CPA"
    assert not Location.objects.exists()


def test_a_party_the_hub_does_not_serve_is_refused_and_nothing_stored(client, hub):
    _, token = hub
    response = put(client, URL, LOCATION, token, routed("FR*UNK"))
    assert response.status_code == 403
    assert response.json()["status_message"] == "Party FR*UNK in OCPI-from is not one this hub serves"
    unserved = {**LOCATION, "country_code": "FR", "party_id": "UNK"}
    response = put(client, "/ocpi/emsp/2.2.1/receiver/locations/FR/UNK/LOC1", unserved, token, routed("FR*UNK"))
    assert response.status_code == 403
    assert response.json()["status_message"] == "Party FR*UNK is not one of this partner's parties"
    assert not Location.objects.exists()


def test_a_party_the_hub_reported_planned_is_not_served(client, hub, emsp_tenant):
    partner, token = hub
    data = {"country_code": "FR", "party_id": "PLN", "role": "CPO", "status": "PLANNED"}
    data["last_updated"] = "2026-11-29T08:00:00Z"
    hubclientinfo.put_client_info(tenant=emsp_tenant, partner=partner, country_code="FR", party_id="PLN", data=data)
    body = {**LOCATION, "country_code": "FR", "party_id": "PLN"}
    response = put(client, "/ocpi/emsp/2.2.1/receiver/locations/FR/PLN/LOC1", body, token, routed("FR*PLN"))
    assert response.status_code == 403
    assert not Location.objects.exists()


def test_a_request_through_a_hub_without_ocpi_from_is_2001(client, hub):
    _, token = hub
    response = put(client, URL, LOCATION, token, {})
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert "OCPI-from-country-code" in response.json()["status_message"]
    assert not Location.objects.exists()


def test_a_direct_partner_needs_no_routing_headers_and_gets_none_back(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPA:CPO", name="direct")
    response = put(client, URL, LOCATION, token, {})
    assert response.status_code == 201
    assert "OCPI-to-party-id" not in response


def test_configuration_modules_answer_without_routing_headers(client, hub):
    _, token = hub
    response = client.get("/ocpi/emsp/2.2.1/receiver/hubclientinfo/NL/CPA", **auth(token), **routed("NL*HUB"))
    assert response.json()["data"]["status"] == "CONNECTED"
    assert "OCPI-to-party-id" not in response
    assert ClientInfo.objects.count() == 2


def test_a_request_addressed_to_a_party_this_platform_does_not_serve_is_4001_and_nothing_stored(client, hub):
    _, token = hub
    response = put(client, URL, LOCATION, token, routed("NL*CPA", to_party="SE*XYZ"))
    assert response.status_code == 200
    assert response.json()["status_code"] == 4001
    assert response.json()["status_message"] == "Party SE*XYZ in OCPI-to is not served by this platform"
    assert not Location.objects.exists()


@pytest.fixture
def hub_tenant(db):
    """This platform as a hub with an eMSP party of its own, connecting a CPO and an eMSP partner."""
    from tests.factories import make_tenant

    tenant = make_tenant("hub", "NL:HUB:HUB", "NL:HEM:EMSP")
    cpo, token = make_partner(tenant, "NL:CPA:CPO", name="cpo-a")
    emsp, _ = make_partner(tenant, "FR:EMB:EMSP", name="emsp-b")
    hubclientinfo.publish_connection(tenant=tenant, partner=cpo)
    hubclientinfo.publish_connection(tenant=tenant, partner=emsp)
    return tenant, emsp, token


HUB_URL = "/ocpi/hub/2.2.1/receiver/locations/NL/CPA/LOC1"


def test_a_hub_takes_a_request_addressed_to_a_connected_party_it_connects(client, hub_tenant):
    tenant, _, token = hub_tenant
    response = put(client, HUB_URL, LOCATION, token, routed("NL*CPA", to_party="FR*EMB"))
    assert response.status_code == 201
    assert (response["OCPI-from-country-code"], response["OCPI-from-party-id"]) == ("FR", "EMB")
    assert Location.objects.get().tenant == tenant


def test_a_hub_answers_4003_for_a_party_it_connects_that_is_not_connected(client, hub_tenant):
    from partners.models import PartnerStatus

    tenant, emsp, token = hub_tenant
    emsp.set_status(PartnerStatus.SUSPENDED)
    emsp.save()
    hubclientinfo.publish_connection(tenant=tenant, partner=emsp)
    response = put(client, HUB_URL, LOCATION, token, routed("NL*CPA", to_party="FR*EMB"))
    assert response.status_code == 200
    assert response.json()["status_code"] == 4003
    assert response.json()["status_message"] == "Party FR*EMB in OCPI-to is OFFLINE at this hub"
    assert not Location.objects.exists()


def test_a_hub_answers_4001_for_a_party_it_does_not_connect(client, hub_tenant):
    _, _, token = hub_tenant
    response = put(client, HUB_URL, LOCATION, token, routed("NL*CPA", to_party="SE*XYZ"))
    assert response.json()["status_code"] == 4001
    assert response.json()["status_message"] == "Party SE*XYZ in OCPI-to is not connected to this hub"
    assert not Location.objects.exists()


def test_a_2_1_1_partner_hears_a_hub_error_as_a_server_error():
    from roaming.ocpi.dialects import get_dialect
    from roaming.ocpi.errors import UnknownReceiver

    assert get_dialect("2.1.1").status_code(UnknownReceiver.status_code) == 3000
    assert get_dialect("2.2.1").status_code(UnknownReceiver.status_code) == 4001


@pytest.mark.parametrize("version, stored", [("2.2.1", True), ("2.3.0", False)])
def test_a_client_info_of_role_hub_is_refused_in_2_3_0_whose_role_has_no_hub(client, emsp_tenant, version, stored):
    _, token = make_partner(emsp_tenant, "NL:HUB:HUB", name="hub", version=version)
    body = {"country_code": "FR", "party_id": "HBX", "role": "HUB", "status": "CONNECTED"}
    url = f"/ocpi/emsp/{version}/receiver/hubclientinfo/FR/HBX"
    response = put(client, url, body | {"last_updated": "2026-11-29T08:00:00Z"}, token, routed("NL*HUB"))
    if stored:
        assert response.status_code == 201 and response.json()["status_code"] == 1000
        assert ClientInfo.objects.get().role == "HUB"
    else:
        assert response.status_code == 200
        assert response.json()["status_code"] == 2001 and "role" in response.json()["status_message"]
        assert not ClientInfo.objects.exists()
