"""What a partner's profile adds to what it sends us (roaming.ocpi.inbound), pushed or pulled: its extension
fields kept on the object and passed back, and a default time zone for 2.1.1 locations that carry none."""

import copy
import json

import pytest

from partners.models import PartnerEndpoint
from roaming.models import Cdr, Delivery, DeliveryStatus, Location, Session, Token
from roaming.services import outbox, sync
from tariffs.models import Tariff
from tests.bodies import CDR, LOCATION, SESSION, TARIFF, TOKEN, location_in_211
from tests.factories import auth, make_partner, make_tenant

pytestmark = pytest.mark.django_db

EXTENSIONS = {"gireve_id": "G-1", "authorization_id": "A-9"}
LISTED = ["authorization_id", "gireve_id"]

# module: (the tenant it is sent to, the sender's party, method, URL, body, model)
RECEIVED = {
    "locations": (
        "emsp_tenant",
        "NL:CPO:CPO",
        "put",
        "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1",
        LOCATION,
        Location,
    ),
    "sessions": ("emsp_tenant", "NL:CPO:CPO", "put", "/ocpi/emsp/2.2.1/receiver/sessions/NL/CPO/S1", SESSION, Session),
    "cdrs": ("emsp_tenant", "NL:CPO:CPO", "post", "/ocpi/emsp/2.2.1/receiver/cdrs", CDR, Cdr),
    "tariffs": ("emsp_tenant", "NL:CPO:CPO", "put", "/ocpi/emsp/2.2.1/receiver/tariffs/NL/CPO/T1", TARIFF, Tariff),
    "tokens": ("cpo_tenant", "DE:EMS:EMSP", "put", "/ocpi/cpo/2.2.1/receiver/tokens/DE/EMS/012345678", TOKEN, Token),
}


def send(client, method, url, body, token):
    return getattr(client, method)(url, body, content_type="application/json", **auth(token))


@pytest.mark.parametrize("module", sorted(RECEIVED))
def test_the_extension_fields_the_profile_lists_are_kept_on_what_a_partner_sends(request, client, module):
    tenant_fixture, party, method, url, body, model = RECEIVED[module]
    tenant = request.getfixturevalue(tenant_fixture)
    _, token = make_partner(tenant, party, name="sender", extension_fields=LISTED)
    response = send(client, method, url, {**body, **EXTENSIONS, "unlisted_field": "dropped"}, token)
    assert response.status_code in (200, 201), response.content
    assert model.objects.for_tenant(tenant).get().extensions == EXTENSIONS


@pytest.mark.parametrize("module", sorted(RECEIVED))
def test_a_partner_that_lists_no_extension_fields_has_none_kept(request, client, module):
    tenant_fixture, party, method, url, body, model = RECEIVED[module]
    tenant = request.getfixturevalue(tenant_fixture)
    _, token = make_partner(tenant, party, name="sender")
    send(client, method, url, {**body, **EXTENSIONS}, token)
    assert model.objects.for_tenant(tenant).get().extensions == {}


def test_a_whole_location_put_replaces_the_kept_extension_fields(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="sender", extension_fields=LISTED)
    url = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1"
    send(client, "put", url, {**LOCATION, **EXTENSIONS}, token)
    send(client, "put", url, {**LOCATION, "gireve_id": "G-2"}, token)
    assert Location.objects.get().extensions == {"gireve_id": "G-2"}


def test_a_patch_leaves_the_kept_extension_fields_as_they_are(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="sender", extension_fields=LISTED)
    url = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1"
    send(client, "put", url, {**LOCATION, **EXTENSIONS}, token)
    patch = {"name": "Renamed", "gireve_id": "G-3", "last_updated": "2030-01-01T00:00:00Z"}
    assert send(client, "patch", url, patch, token).json()["status_code"] == 1000
    location = Location.objects.get()
    assert (location.name, location.extensions) == ("Renamed", EXTENSIONS)


# -- pulled -------------------------------------------------------------------------------------------------


def pulling_partner(tenant, peer, version, **profile):
    partner, _ = make_partner(tenant, "NL:CPO:CPO", name="cpo", version=version, token_to_them="t", **profile)
    PartnerEndpoint.objects.create(
        tenant=tenant, partner=partner, identifier="locations", role="SENDER", url=f"{peer.url}/locations"
    )
    return partner


def pull_locations(partner):
    [state] = sync.ensure_sync_states(partner=partner)
    result = sync.pull(state_id=state.pk)
    assert result.complete, result.error
    return result


def test_pulled_locations_keep_the_extension_fields_the_profile_lists(emsp_tenant, peer):
    partner = pulling_partner(emsp_tenant, peer, "2.2.1", extension_fields=["gireve_id"])
    peer.ok("/locations", [{**LOCATION, "gireve_id": "G-7", "authorization_id": "not listed"}])
    pull_locations(partner)
    assert Location.objects.get().extensions == {"gireve_id": "G-7"}


# -- passed back --------------------------------------------------------------------------------------------


def test_a_hub_passes_the_kept_extension_fields_on_to_partners_that_want_them(client, peer):
    hub = make_tenant("hub", "DE:HUB:HUB", "DE:EMS:EMSP")
    _, token = make_partner(hub, "NL:CPO:CPO", name="sender", extension_fields=["gireve_id"])
    receivers = {}
    for name, listed in (("wants", ["gireve_id"]), ("plain", [])):
        partner, _ = make_partner(hub, "FR:EMP:EMSP", name=name, token_to_them="t", extension_fields=listed)
        PartnerEndpoint.objects.create(
            tenant=hub, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer.url}/{name}"
        )
        peer.ok(f"/{name}/NL/CPO/LOC1", None)
        receivers[partner.pk] = name
    send(client, "put", "/ocpi/hub/2.2.1/receiver/locations/NL/CPO/LOC1", {**LOCATION, "gireve_id": "G-1"}, token)

    for delivery in Delivery.objects.all():
        outbox.deliver(delivery_id=delivery.pk)

    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    bodies = {r["path"].split("/")[1]: json.loads(r["body"]) for r in peer.requests}
    assert bodies["wants"]["gireve_id"] == "G-1"
    assert "gireve_id" not in bodies["plain"]
    assert bodies["wants"]["id"] == bodies["plain"]["id"] == "LOC1"


# -- default time zone (2.1.1 makes it optional) ------------------------------------------------------------

URL_211 = "/ocpi/emsp/2.1.1/receiver/locations/NL/CPO/LOC1"


def location_211(**changes) -> dict:
    body = location_in_211()
    body.pop("time_zone")
    return {**body, **changes}


@pytest.mark.parametrize(("default", "stored"), [("Europe/Paris", "Europe/Paris"), ("", "UTC")])
def test_a_2_1_1_location_pushed_without_time_zone_gets_the_partners_default_else_utc(
    client, emsp_tenant, default, stored
):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old", version="2.1.1", default_time_zone=default)
    assert send(client, "put", URL_211, location_211(), token).status_code == 201
    assert Location.objects.get().time_zone == stored


def test_a_location_with_its_own_time_zone_keeps_it(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old", version="2.1.1", default_time_zone="Europe/Paris")
    send(client, "put", URL_211, location_211(time_zone="Europe/Brussels"), token)
    assert Location.objects.get().time_zone == "Europe/Brussels"


def test_a_2_1_1_location_pulled_without_time_zone_gets_the_partners_default(emsp_tenant, peer):
    partner = pulling_partner(emsp_tenant, peer, "2.1.1", default_time_zone="America/Montreal")
    peer.ok("/locations", [location_211(), location_211(id="LOC2", time_zone="Europe/Brussels")])
    pull_locations(partner)
    zones = dict(Location.objects.values_list("location_id", "time_zone"))
    assert zones == {"LOC1": "America/Montreal", "LOC2": "Europe/Brussels"}


def test_an_evse_put_is_not_given_a_time_zone(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old", version="2.1.1", default_time_zone="Europe/Paris")
    send(client, "put", URL_211, location_211(time_zone="Europe/Brussels"), token)
    evse = copy.deepcopy(location_211()["evses"][0])
    assert send(client, "put", f"{URL_211}/{evse['uid']}", evse, token).json()["status_code"] == 1000
    assert Location.objects.get().time_zone == "Europe/Brussels"
