"""Locations endpoints over HTTP: sender and receiver, both versions, bad input, ownership, query counts."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import PartnerEndpoint, Party
from roaming.models import Delivery, Evse, Location
from roaming.services import locations as service
from tests.bodies import LOCATION, location_in_211
from tests.factories import auth, make_partner, make_tenant, own_location

BASE_221 = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO"
BASE_211 = "/ocpi/emsp/2.1.1/receiver/locations/NL/CPO"


def put(client, url, body, token, **kwargs):
    return client.put(url, body, content_type="application/json", **auth(token), **kwargs)


def patch(client, url, body, token):
    return client.patch(url, body, content_type="application/json", **auth(token))


def service_translator(version):
    from roaming.ocpi.dialects import get_dialect

    return get_dialect(version).module("locations")


# -- receiver ---------------------------------------------------------------------------------------------


def test_put_creates_with_201_then_updates_with_200_and_get_returns_it(client, cpo_partner):
    _, token = cpo_partner
    assert put(client, f"{BASE_221}/LOC1", LOCATION, token).status_code == 201
    assert put(client, f"{BASE_221}/LOC1", LOCATION, token).status_code == 200
    response = client.get(f"{BASE_221}/LOC1", **auth(token))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == "LOC1" and len(data["evses"]) == 2
    assert Location.objects.count() == 1 and Evse.objects.count() == 2


def test_ids_are_case_insensitive(client, cpo_partner):
    _, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    assert client.get(f"{BASE_221.lower()}/loc1", **auth(token)).status_code == 200
    assert put(client, f"{BASE_221}/loc1", {**LOCATION, "id": "loc1"}, token).status_code == 200
    assert Location.objects.count() == 1


def test_received_location_is_stored_as_the_partners(client, cpo_partner):
    partner, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    location = Location.objects.get()
    assert (location.partner, location.country_code, location.party_id) == (partner, "NL", "CPO")


def test_2_1_1_put_takes_the_owner_from_the_url(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old-cpo", version="2.1.1")
    body = location_in_211()
    assert put(client, f"{BASE_211}/LOC1", body, token).status_code == 201
    location = Location.objects.get()
    assert (location.country_code, location.party_id, location.publish) == ("NL", "CPO", True)
    assert client.get(f"{BASE_211}/LOC1", **auth(token)).json()["data"] == body


def test_patch_evse_status_updates_it_and_the_locations_last_updated(client, cpo_partner):
    _, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    response = patch(
        client, f"{BASE_221}/LOC1/3256", {"status": "CHARGING", "last_updated": "2030-01-01T00:00:00Z"}, token
    )
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    evse = Evse.objects.get(uid="3256")
    assert evse.status == "CHARGING"
    assert evse.location.last_updated.year == 2030


def test_patch_connector_tariff_moves_evse_and_location_last_updated(client, cpo_partner):
    _, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    patch(client, f"{BASE_221}/LOC1/3256/1", {"tariff_ids": ["15"], "last_updated": "2031-01-01T00:00:00Z"}, token)
    evse = Evse.objects.get(uid="3256")
    assert evse.connectors.get(connector_id="1").tariff_ids == ["15"]
    assert evse.last_updated.year == 2031 and evse.location.last_updated.year == 2031


def test_2_2_1_patch_without_last_updated_is_2001_and_changes_nothing(client, cpo_partner):
    _, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    response = patch(client, f"{BASE_221}/LOC1/3256", {"status": "CHARGING"}, token)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert "last_updated" in response.json()["status_message"]
    assert Evse.objects.get(uid="3256").status == "AVAILABLE"


def test_2_1_1_patch_without_last_updated_is_stamped_on_receipt(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old-cpo", version="2.1.1")
    put(client, f"{BASE_211}/LOC1", location_in_211(), token)
    assert patch(client, f"{BASE_211}/LOC1/3256", {"status": "CHARGING"}, token).json()["status_code"] == 1000
    evse = Evse.objects.get(uid="3256")
    assert evse.status == "CHARGING" and evse.last_updated.year >= 2026


def test_removed_evse_stays_visible_as_removed(client, cpo_partner):
    _, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    patch(client, f"{BASE_221}/LOC1/3256", {"status": "REMOVED", "last_updated": "2030-01-01T00:00:00Z"}, token)
    evses = client.get(f"{BASE_221}/LOC1", **auth(token)).json()["data"]["evses"]
    assert [e["status"] for e in evses if e["uid"] == "3256"] == ["REMOVED"]
    assert Evse.objects.get(uid="3256").is_removed


def test_put_evse_adds_it_and_put_connector_adds_that(client, cpo_partner):
    _, token = cpo_partner
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    evse = copy.deepcopy(LOCATION["evses"][0])
    evse["uid"] = "9999"
    assert put(client, f"{BASE_221}/LOC1/9999", evse, token).status_code == 201
    connector = {**evse["connectors"][0], "id": "7"}
    assert put(client, f"{BASE_221}/LOC1/9999/7", connector, token).status_code == 201
    assert Evse.objects.get(uid="9999").connectors.count() == len(evse["connectors"]) + 1


def test_unknown_object_get_is_404_with_2003(client, cpo_partner):
    _, token = cpo_partner
    response = client.get(f"{BASE_221}/NOPE", **auth(token))
    assert response.status_code == 404 and response.json()["status_code"] == 2003
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    assert client.get(f"{BASE_221}/LOC1/NOPE", **auth(token)).status_code == 404


def test_patch_of_unknown_location_is_404_and_creates_nothing(client, cpo_partner):
    _, token = cpo_partner
    response = patch(client, f"{BASE_221}/NOPE", {"name": "x", "last_updated": "2030-01-01T00:00:00Z"}, token)
    assert response.status_code == 404 and not Location.objects.exists()


def test_writing_under_another_party_is_refused_and_nothing_is_stored(client, cpo_partner):
    _, token = cpo_partner
    body = {**LOCATION, "party_id": "XXX"}
    response = put(client, "/ocpi/emsp/2.2.1/receiver/locations/NL/XXX/LOC1", body, token)
    assert response.status_code == 403
    assert "NL*XXX" in response.json()["status_message"]
    assert not Location.objects.exists()


@pytest.mark.parametrize(
    "url_id, change, field",
    [("LOC2", {}, "id"), ("LOC1", {"country_code": "BE"}, "country_code"), ("LOC1", {"party_id": "ABC"}, "party_id")],
)
def test_url_and_body_that_differ_are_2001_and_nothing_stored(client, cpo_partner, url_id, change, field):
    _, token = cpo_partner
    response = put(client, f"{BASE_221}/{url_id}", {**LOCATION, **change}, token)
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith(field)
    assert not Location.objects.exists()


BAD_BODIES = [
    ("missing required", lambda b: b.pop("address"), "address: required field is missing"),
    ("wrong type", lambda b: b.update(publish="yes"), "publish:"),
    ("string too long", lambda b: b.update(city="x" * 46), "city:"),
    ("unknown enum", lambda b: b.update(parking_type="ROOFTOP"), "parking_type:"),
    (
        "bad coordinates",
        lambda b: b.update(coordinates={"latitude": "51.0", "longitude": "3.7"}),
        "coordinates.latitude",
    ),
    (
        "nested field",
        lambda b: b["evses"][0]["connectors"][0].update(standard="PLUG"),
        "evses[0].connectors[0].standard",
    ),
    ("bad datetime", lambda b: b.update(last_updated="yesterday"), "last_updated:"),
    ("display text", lambda b: b.update(directions=[{"language": "en"}]), "directions[0].text"),
    ("not an object", lambda b: b.clear() or b.update(x=[1]), "required field is missing"),
]


@pytest.mark.parametrize("case, mutate, message", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_body_is_http_200_with_2001_naming_the_field_and_nothing_stored(client, cpo_partner, case, mutate, message):
    _, token = cpo_partner
    body = copy.deepcopy(LOCATION)
    mutate(body)
    response = put(client, f"{BASE_221}/LOC1", body, token)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert message in response.json()["status_message"]
    assert not Location.objects.exists()


def test_body_that_is_not_json_is_400(client, cpo_partner):
    _, token = cpo_partner
    response = client.put(f"{BASE_221}/LOC1", "{oops", content_type="application/json", **auth(token))
    assert response.status_code == 400 and response.json()["status_code"] == 2001
    assert not Location.objects.exists()


def test_too_long_path_segment_is_2001(client, cpo_partner):
    _, token = cpo_partner
    response = client.get(f"{BASE_221}/{'x' * 40}", **auth(token))
    assert response.json()["status_code"] == 2001 and "location_id" in response.json()["status_message"]


# -- sender -----------------------------------------------------------------------------------------------


@pytest.fixture
def cpo_with_locations(cpo_tenant):
    for index in range(3):
        own_location(cpo_tenant, f"LOC{index}")
    return cpo_tenant


def test_sender_list_pages_with_link_and_counts(client, cpo_with_locations, emsp_partner):
    _, token = emsp_partner
    response = client.get("/ocpi/cpo/2.2.1/sender/locations?limit=2", **auth(token))
    body = response.json()
    assert [loc["id"] for loc in body["data"]] == ["LOC0", "LOC1"]
    assert response["X-Total-Count"] == "3"
    assert "offset=2" in response["Link"]
    assert body["data"][0]["country_code"] == "NL" and body["data"][0]["evses"][0]["connectors"]


def test_2_1_1_sender_list_has_no_owner_fields_and_2_1_1_names(client, cpo_with_locations, cpo_tenant):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="old-emsp", version="2.1.1")
    data = client.get("/ocpi/cpo/2.1.1/sender/locations", **auth(token)).json()["data"]
    assert len(data) == 3
    assert "country_code" not in data[0] and "publish" not in data[0]
    assert data[0]["type"] == "ON_STREET"
    assert "voltage" in data[0]["evses"][0]["connectors"][0]


def test_sender_list_leaves_out_unpublished_and_received_locations(client, cpo_tenant, emsp_partner):
    own_location(cpo_tenant, "PUBLIC")
    own_location(cpo_tenant, "PRIVATE", publish=False)
    own_location(
        cpo_tenant, "SHARED", publish=False, publish_allowed_to=[{"visual_number": "12345-67", "issuer": "NewMotion"}]
    )
    _, token = emsp_partner
    ids_221 = [loc["id"] for loc in client.get("/ocpi/cpo/2.2.1/sender/locations", **auth(token)).json()["data"]]
    ids_211 = [loc["id"] for loc in client.get("/ocpi/cpo/2.1.1/sender/locations", **auth(token)).json()["data"]]
    assert ids_221 == ["PUBLIC", "SHARED"]
    assert ids_211 == ["PUBLIC"]


def test_sender_get_of_one_location_evse_and_connector(client, cpo_with_locations, emsp_partner):
    _, token = emsp_partner
    assert client.get("/ocpi/cpo/2.2.1/sender/locations/LOC1", **auth(token)).json()["data"]["id"] == "LOC1"
    assert client.get("/ocpi/cpo/2.2.1/sender/locations/LOC1/3256", **auth(token)).json()["data"]["uid"] == "3256"
    connector = client.get("/ocpi/cpo/2.2.1/sender/locations/LOC1/3256/1", **auth(token)).json()["data"]
    assert connector["id"] == "1"
    assert client.get("/ocpi/cpo/2.2.1/sender/locations/NOPE", **auth(token)).status_code == 404


def test_partner_of_another_tenant_gets_401(client, cpo_with_locations):
    other = make_tenant("other", "FR:OTH:EMSP")
    _, token = make_partner(other, name="stranger")
    assert client.get("/ocpi/cpo/2.2.1/sender/locations", **auth(token)).status_code == 401


@pytest.mark.parametrize("size", [10, 1000])
def test_a_page_costs_the_same_queries_whatever_its_size(client, cpo_tenant, emsp_partner, size, settings):
    settings.OCPI_MAX_PAGE_SIZE = 1000
    settings.WIRE_CACHE_MIN_AGE_SECONDS = 0
    template = service_translator("2.2.1").from_wire(LOCATION)
    for index in range(size):
        service.put_location(
            tenant=cpo_tenant,
            partner=None,
            country_code="NL",
            party_id="CPO",
            location_id=f"L{index}",
            data={**template, "location_id": f"L{index}"},
        )
    _, token = emsp_partner
    url = f"/ocpi/cpo/2.2.1/sender/locations?limit={size}"
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url, **auth(token)).json()["data"]
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url, **auth(token)).json()["data"]
    assert len(first) == size and second == first
    # token with its tenant, connection parties, count, page, cached bodies; then, for what changed since it
    # was rendered: locations, EVSEs, connectors, and storing the new bodies
    assert (len(cold), len(warm)) == (9, 5)


def test_a_recently_changed_location_is_not_cached(client, cpo_tenant, emsp_partner):
    from roaming.models import WireCache

    own_location(cpo_tenant, last_updated="2099-01-01T00:00:00Z")
    _, token = emsp_partner
    assert len(client.get("/ocpi/cpo/2.2.1/sender/locations", **auth(token)).json()["data"]) == 1
    assert not WireCache.objects.exists()


def test_a_changed_location_is_rendered_again(client, cpo_tenant, emsp_partner, settings):
    settings.WIRE_CACHE_MIN_AGE_SECONDS = 0
    location = own_location(cpo_tenant)
    _, token = emsp_partner
    url = "/ocpi/cpo/2.2.1/sender/locations"
    assert client.get(url, **auth(token)).json()["data"][0]["evses"][0]["status"] == "AVAILABLE"
    service.set_evse_status(evse=location.evses.get(uid="3256"), status="CHARGING")
    statuses = {e["uid"]: e["status"] for e in client.get(url, **auth(token)).json()["data"][0]["evses"]}
    assert statuses["3256"] == "CHARGING"
    assert (
        client.get(url.replace("2.2.1", "2.1.1"), **auth(token)).json()["data"][0]["evses"][0]["status"] == "CHARGING"
    )


# -- pushes -----------------------------------------------------------------------------------------------


def test_own_change_owes_a_delivery_to_partners_with_a_locations_receiver(cpo_tenant, emsp_partner):
    partner, _ = emsp_partner
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        identifier="locations",
        role="RECEIVER",
        url="https://emsp.example.com/ocpi/2.2.1/locations",
    )
    location = own_location(cpo_tenant)
    service.set_evse_status(evse=location.evses.get(uid="3256"), status="CHARGING")
    paths = sorted(Delivery.objects.values_list("method", "object_path", "fields"))
    assert paths == [("PATCH", "NL/CPO/LOC1/3256", ["status"]), ("PUT", "NL/CPO/LOC1", [])]


def test_an_evse_status_patch_costs_four_queries_with_its_outbox_rows(client, cpo_partner, emsp_tenant):
    """The hot path of a CPO's network: a status change is written and owed to partners in few statements."""
    _, token = cpo_partner
    for name in ("downstream-1", "downstream-2"):
        downstream, _ = make_partner(emsp_tenant, f"FR:{name[-1]}DW:EMSP", name=name)
        PartnerEndpoint.objects.create(
            tenant=emsp_tenant, partner=downstream, identifier="locations", role="RECEIVER", url="http://x.test/l"
        )
    Party.objects.create(tenant=emsp_tenant, country_code="DE", party_id="HUB", role="HUB")  # hubs pass on
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    with CaptureQueriesContext(connection) as queries:
        response = patch(
            client, f"{BASE_221}/LOC1/3256", {"status": "BLOCKED", "last_updated": "2030-01-01T00:00:01Z"}, token
        )
    assert response.json()["status_code"] == 1000
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # the token with its tenant, partner and the parties the write is checked against; the location's
    # last_updated and revision, found and locked by the same statement; the EVSE's likewise; the
    # deliveries of every recipient
    assert len(statements) == 4
    assert sorted(Delivery.objects.filter(method="PATCH").values_list("partner__name", "fields")) == [
        ("downstream-1", ["last_updated", "status"]),
        ("downstream-2", ["last_updated", "status"]),
    ]


def test_a_connector_patch_is_owed_to_partners_under_the_connectors_path(client, cpo_partner, emsp_tenant):
    _, token = cpo_partner
    downstream, _ = make_partner(emsp_tenant, "FR:DWN:EMSP", name="downstream")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=downstream, identifier="locations", role="RECEIVER", url="http://x.test/l"
    )
    Party.objects.create(tenant=emsp_tenant, country_code="DE", party_id="HUB", role="HUB")  # hubs pass on
    put(client, f"{BASE_221}/LOC1", LOCATION, token)
    response = patch(
        client, f"{BASE_221}/loc1/3256/1", {"max_amperage": 10, "last_updated": "2030-01-01T00:00:01Z"}, token
    )
    assert response.json()["status_code"] == 1000
    assert list(Delivery.objects.filter(method="PATCH").values_list("object_path", "fields")) == [
        ("NL/CPO/LOC1/3256/1", ["last_updated", "max_amperage"])
    ]
    connector = Evse.objects.get(uid="3256").connectors.get(connector_id="1")
    assert connector.max_amperage == 10 and connector.evse.location.last_updated.year == 2030


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
def test_a_sender_list_of_a_tenant_without_cpo_parties_is_empty_not_an_error(client, emsp_tenant, version):
    """No party of the connection owns locations here: the filter is one Django knows to match nothing."""
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name=f"cpo-{version}", version=version)
    response = client.get(f"/ocpi/emsp/{version}/sender/locations", **auth(token))
    assert response.status_code == 200
    assert (response.json()["status_code"], response.json()["data"]) == (1000, [])
    assert response["X-Total-Count"] == "0"
