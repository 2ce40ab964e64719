"""Hub Client Info endpoints over HTTP: a hub pushes ClientInfo, its party list follows, a hub lists its parties."""

import pytest

from partners.models import PartnerParty, PartnerStatus
from roaming.models import ClientInfo, ConnectionStatus
from roaming.services import hubclientinfo
from tests.factories import auth, make_partner, make_tenant

URL = "/ocpi/cpo/2.2.1/receiver/hubclientinfo/DE/EMS"
INFO = {
    "country_code": "DE",
    "party_id": "EMS",
    "role": "EMSP",
    "status": "CONNECTED",
    "last_updated": "2026-11-29T08:00:00Z",
}


@pytest.fixture
def hub_partner(cpo_tenant):
    return make_partner(cpo_tenant, "NL:HUB:HUB", name="hub")


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def served(partner) -> set[str]:
    return {str(p) for p in PartnerParty.objects.filter(partner=partner)}


def test_put_creates_then_updates_and_get_returns_it(client, hub_partner):
    partner, token = hub_partner
    assert put(client, URL, INFO, token).status_code == 201
    assert (
        put(client, URL, {**INFO, "status": "OFFLINE", "last_updated": "2026-11-29T09:00:00Z"}, token).status_code
        == 200
    )
    answer = client.get(URL, **auth(token)).json()
    assert answer["status_code"] == 1000
    assert answer["data"] == {**INFO, "status": "OFFLINE", "last_updated": "2026-11-29T09:00:00Z"}
    assert ClientInfo.objects.get().partner == partner


def test_a_connected_party_joins_the_hub_partner_and_stays_listed_when_offline(client, hub_partner):
    partner, token = hub_partner
    put(client, URL, INFO, token)
    assert served(partner) == {"NL*HUB HUB", "DE*EMS EMSP"}
    put(client, URL, {**INFO, "status": "SUSPENDED"}, token)
    assert served(partner) == {"NL*HUB HUB", "DE*EMS EMSP"}
    assert ClientInfo.objects.get().status == ConnectionStatus.SUSPENDED


def test_a_party_reported_planned_is_not_listed(client, hub_partner):
    partner, token = hub_partner
    put(client, URL, {**INFO, "status": "PLANNED"}, token)
    assert served(partner) == {"NL*HUB HUB"}


def test_our_own_party_reported_by_the_hub_never_becomes_the_hubs(client, hub_partner):
    partner, token = hub_partner
    body = {**INFO, "country_code": "NL", "party_id": "CPO", "role": "CPO"}
    assert put(client, "/ocpi/cpo/2.2.1/receiver/hubclientinfo/NL/CPO", body, token).json()["status_code"] == 1000
    assert served(partner) == {"NL*HUB HUB"}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda i: i.pop("status"), "status: required field is missing"),
        (lambda i: i.update(status="ONLINE"), "status:"),
        (lambda i: i.update(role="DRIVER"), "role:"),
        (lambda i: i.update(last_updated="yesterday"), "last_updated:"),
        (lambda i: i.update(party_id="EMSP"), "party_id:"),
        (lambda i: i.update(party_id="XYZ"), "party_id: 'XYZ' in the body differs from 'EMS' in the URL"),
    ],
)
def test_bad_client_info_is_2001_naming_the_field_and_nothing_stored(client, hub_partner, mutate, message):
    partner, token = hub_partner
    body = dict(INFO)
    mutate(body)
    response = put(client, URL, body, token)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert message in response.json()["status_message"]
    assert not ClientInfo.objects.exists()
    assert served(partner) == {"NL*HUB HUB"}


def test_a_partner_that_is_not_a_hub_may_not_push_client_info(client, emsp_partner):
    partner, token = emsp_partner
    response = put(client, URL, INFO, token)
    assert response.status_code == 403
    assert response.json()["status_code"] == 2000
    assert "HUB role" in response.json()["status_message"]
    assert not ClientInfo.objects.exists()


def test_get_of_an_unknown_party_is_404(client, hub_partner):
    _, token = hub_partner
    assert client.get(URL, **auth(token)).status_code == 404


def test_version_details_offer_the_receiver_to_any_tenant_and_the_sender_to_a_hub(client, hub_partner, db):
    _, token = hub_partner
    endpoints = client.get("/ocpi/cpo/2.2.1", **auth(token)).json()["data"]["endpoints"]
    assert {(e["identifier"], e["role"]) for e in endpoints if e["identifier"] == "hubclientinfo"} == {
        ("hubclientinfo", "RECEIVER")
    }
    hub = make_tenant("hub", "NL:HUB:HUB")
    _, hub_token = make_partner(hub, "NL:CPO:CPO")
    endpoints = client.get("/ocpi/hub/2.2.1", **auth(hub_token)).json()["data"]["endpoints"]
    assert {(e["identifier"], e["role"]) for e in endpoints if e["identifier"] == "hubclientinfo"} == {
        ("hubclientinfo", "RECEIVER"),
        ("hubclientinfo", "SENDER"),
    }


def test_2_1_1_has_no_hub_client_info(client, cpo_tenant):
    _, token = make_partner(cpo_tenant, "NL:HUB:CPO", version="2.1.1")
    response = client.get("/ocpi/cpo/2.1.1", **auth(token)).json()
    assert "hubclientinfo" not in {e["identifier"] for e in response["data"]["endpoints"]}


def test_a_hub_lists_the_parties_it_connects_paginated(client, db):
    hub = make_tenant("hub", "NL:HUB:HUB", "NL:HCP:CPO")
    cpo, _ = make_partner(hub, "DE:CPA:CPO", name="cpo-a")
    emsp, token = make_partner(hub, "FR:EMB:EMSP", name="emsp-b")
    hubclientinfo.publish_connection(tenant=hub, partner=cpo)
    emsp.set_status(PartnerStatus.SUSPENDED)
    emsp.save()
    hubclientinfo.publish_connection(tenant=hub, partner=emsp)
    emsp.set_status(PartnerStatus.REGISTERED)
    emsp.save()
    response = client.get("/ocpi/hub/2.2.1/sender/hubclientinfo?limit=2", **auth(token))
    first = response.json()["data"]
    assert response["X-Total-Count"] == "3"
    second = client.get("/ocpi/hub/2.2.1/sender/hubclientinfo?offset=2&limit=2", **auth(token)).json()["data"]
    assert {(i["country_code"], i["party_id"], i["role"], i["status"]) for i in first + second} == {
        ("DE", "CPA", "CPO", "CONNECTED"),
        ("FR", "EMB", "EMSP", "OFFLINE"),
        ("NL", "HCP", "CPO", "CONNECTED"),
    }
