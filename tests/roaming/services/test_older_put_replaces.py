"""A whole-object PUT in an older version replaces what a 2.3.0 partner stored before, the 2.3.0-only fields
too: what the older version cannot say is not given (mod_locations and mod_tariffs PUT)."""

from __future__ import annotations

import copy

import pytest

from roaming.models import Connector, Evse, Location
from roaming.ocpi.dialects import get_dialect
from roaming.services.locations import writes
from tariffs.models import Tariff
from tariffs.services import put_tariff
from tests.spec_examples import example_230

OWNER = {"country_code": "NL", "party_id": "CPO"}


def _tariff_230() -> dict:
    wire = copy.deepcopy(example_230("tariff_1_simple_2hour.json"))
    wire |= {"tax_included": "YES", "country_code": "NL", "party_id": "CPO", "id": "T1"}
    return wire


@pytest.mark.django_db
@pytest.mark.parametrize("older", ["2.2.1", "2.1.1"])
def test_an_older_tariff_put_clears_tax_included(cpo_tenant, older):
    def put(version, wire):
        data = get_dialect(version).module("tariffs").from_wire(wire, owner=("NL", "CPO"))
        put_tariff(tenant=cpo_tenant, partner=None, tariff_id="T1", data=data, **OWNER)

    put("2.3.0", _tariff_230())
    assert Tariff.objects.get().tax_included == "YES"
    stored = Tariff.objects.get()
    put(older, {**get_dialect(older).module("tariffs").to_wire(stored), "last_updated": "2030-01-01T00:00:00Z"})
    assert Tariff.objects.get().tax_included == ""
    assert get_dialect("2.3.0").module("tariffs").to_wire(Tariff.objects.get())["tax_included"] == "NO"


def _location_230() -> dict:
    wire = copy.deepcopy(example_230("location_example.json"))
    wire |= {"country_code": "NL", "party_id": "CPO", "help_phone": "+3212345678"}
    wire["evses"][0]["accepted_service_providers"] = ["Drive Co"]
    wire["evses"][0]["connectors"][0]["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    return wire


@pytest.mark.django_db
def test_older_location_evse_and_connector_puts_clear_the_2_3_0_fields(cpo_tenant):
    l230, l221 = get_dialect("2.3.0").module("locations"), get_dialect("2.2.1").module("locations")
    wire = _location_230()
    location_id, evse_uid = wire["id"], wire["evses"][0]["uid"]
    connector_id = wire["evses"][0]["connectors"][0]["id"]
    ids = {**OWNER, "location_id": location_id}
    writes.put_location(tenant=cpo_tenant, partner=None, data=l230.from_wire(wire), **ids)
    evse = Evse.objects.get(uid=evse_uid)
    assert evse.parking and evse.accepted_service_providers == ["Drive Co"]
    assert Location.objects.get().parking_places and Location.objects.get().help_phone

    later = "2030-01-01T00:00:00Z"
    # A connector PUT in 2.2.1 clears its capabilities.
    connector_wire = {**wire["evses"][0]["connectors"][0], "last_updated": later}
    del connector_wire["capabilities"]
    writes.put_connector(
        tenant=cpo_tenant,
        partner=None,
        evse_uid=evse_uid,
        connector_id=connector_id,
        data=l221.from_wire(connector_wire, level="connector"),
        **ids,
    )
    assert Connector.objects.get(evse__uid=evse_uid, connector_id=connector_id).capabilities == []
    # An EVSE PUT in 2.2.1 clears its parking and accepted service providers.
    evse_wire = l221.to_wire(Evse.objects.get(uid=evse_uid), "evse") | {"last_updated": later}
    writes.put_evse(
        tenant=cpo_tenant, partner=None, evse_uid=evse_uid, data=l221.from_wire(evse_wire, level="evse"), **ids
    )
    evse = Evse.objects.get(uid=evse_uid)
    assert (evse.parking, evse.accepted_service_providers) == ([], [])
    # A location PUT in 2.2.1 clears its parking places and help phone.
    location_wire = l221.to_wire(Location.objects.get()) | {"last_updated": later}
    writes.put_location(tenant=cpo_tenant, partner=None, data=l221.from_wire(location_wire), **ids)
    location = Location.objects.get()
    assert (location.parking_places, location.help_phone) == ([], "")
