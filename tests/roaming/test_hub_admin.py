"""The routes of a hub tenant in the admin: who is reached through whom, forwarded counts and errors per
party, and suspending a party's routing; an operator sees only their own tenant's."""

import pytest

from roaming.models import RouteStat
from tests.factories import auth, log_in_operator, make_hub, make_partner, make_tenant

ADDRESSED = {
    "HTTP_OCPI_TO_COUNTRY_CODE": "NL",
    "HTTP_OCPI_TO_PARTY_ID": "CPO",
    "HTTP_OCPI_FROM_COUNTRY_CODE": "DE",
    "HTTP_OCPI_FROM_PARTY_ID": "EMS",
}


@pytest.fixture
def hub(db, peer):
    return make_hub(peer)


def test_the_operator_sees_each_route_with_its_counts_and_suspends_one(client, hub, peer):
    tenant, _, token, _ = hub
    peer.ok("/sender/locations/LOC1", {"id": "LOC1"})
    peer.fail("/sender/locations/LOC2", 2003, "Unknown location LOC2", http_status=404)
    api = type(client)()
    api.get("/ocpi/hub/2.2.1/sender/locations/LOC1", **auth(token), **ADDRESSED)
    api.get("/ocpi/hub/2.2.1/sender/locations/LOC2", **auth(token), **ADDRESSED)
    other = make_tenant("elsewhere", "FR:ELS:HUB")
    stranger, _ = make_partner(other, "FR:STR:CPO", name="stranger")
    RouteStat.objects.create(tenant=other, partner=stranger, country_code="FR", party_id="STR", forwarded=9)

    log_in_operator(client, tenant)
    page = client.get("/admin/roaming/routestat/").content.decode()
    assert "NL*CPO" in page and "DE*EMS" in page  # every party the hub connects, asked for or not
    assert "FR*STR" not in page
    # The counts per party, in the list itself: NL*CPO's two forwarded requests, one of them failed.
    assert '<td class="field-forwarded">2</td>' in page and '<td class="field-errors">1</td>' in page
    cpo_route = RouteStat.objects.get(tenant=tenant, party_id="CPO")
    assert (cpo_route.forwarded, cpo_route.errors) == (2, 1)
    assert cpo_route.last_error == "HTTP 404, OCPI 2003: Unknown location LOC2"
    detail = client.get(f"/admin/roaming/routestat/{cpo_route.pk}/change/").content.decode()
    assert "HTTP 404, OCPI 2003: Unknown location LOC2" in detail

    response = client.post(
        "/admin/roaming/routestat/",
        {"action": "suspend_routing", "_selected_action": [cpo_route.pk]},
        follow=True,
    )
    assert "Routing to 1 parties suspended" in response.content.decode()
    answer = api.get("/ocpi/hub/2.2.1/sender/locations/LOC1", **auth(token), **ADDRESSED).json()
    assert (answer["status_code"], answer["status_message"]) == (
        4003,
        "Routing to party NL*CPO is suspended at this hub",
    )
    assert len(peer.requests) == 2

    client.post("/admin/roaming/routestat/", {"action": "resume_routing", "_selected_action": [cpo_route.pk]})
    assert api.get("/ocpi/hub/2.2.1/sender/locations/LOC1", **auth(token), **ADDRESSED).json()["status_code"] == 1000


def test_an_operator_cannot_suspend_another_tenants_route(client, hub):
    tenant, _, _, _ = hub
    other = make_tenant("elsewhere", "FR:ELS:HUB")
    stranger, _ = make_partner(other, "FR:STR:CPO", name="stranger")
    theirs = RouteStat.objects.create(tenant=other, partner=stranger, country_code="FR", party_id="STR")
    log_in_operator(client, tenant)
    client.post("/admin/roaming/routestat/", {"action": "suspend_routing", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.suspended is False
    assert client.get(f"/admin/roaming/routestat/{theirs.pk}/change/").status_code == 302


def test_routes_are_not_offered_to_the_operator_of_a_tenant_that_is_no_hub(client, cpo_tenant):
    log_in_operator(client, cpo_tenant)
    assert "routestat" not in client.get("/admin/").content.decode()
