"""Sessions translators against the spec's examples and across versions."""

from types import SimpleNamespace

import pytest

from roaming.ocpi.dialects import get_dialect
from tests.roaming.locations_helpers import normalized
from tests.spec_examples import example, example_221, examples_211

S221 = get_dialect("2.2.1").module("sessions")
S211 = get_dialect("2.1.1").module("sessions")


def obj(internal, **extra):
    return SimpleNamespace(**{"location_211": None, **internal, **extra})


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("name", ["session_example_1_simple_start.json", "session_example_2_short_finished.json"])
def test_2_2_1_and_2_3_0_session_examples_round_trip(version, name):
    wire = example(version, name)
    sessions = get_dialect(version).module("sessions")
    assert sessions.to_wire(obj(sessions.from_wire(wire))) == normalized(wire)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize(
    "name", ["session_patch_example_charging_period.json", "session_patch_example_total_cost.json"]
)
def test_2_2_1_and_2_3_0_patch_examples_validate(version, name):
    assert get_dialect(version).module("sessions").patch_from_wire(example(version, name))["last_updated"]


@pytest.mark.parametrize("index", [1, 2])
def test_2_1_1_session_example_round_trips(index):
    wire = examples_211("mod_sessions")[index]["json"]
    internal = S211.from_wire(wire, owner=("BE", "BEC"), token_owner=("NL", "TNM"))
    assert internal["cdr_token"]["contract_id"] == wire["auth_id"]
    assert internal["location_id"] == wire["location"]["id"]
    assert S211.to_wire(obj(internal)) == normalized(wire)


def test_2_1_1_total_cost_patch_example_validates():
    assert S211.patch_from_wire(examples_211("mod_sessions")[0]["json"]) == {"total_cost": {"excl_vat": 0.6}}


def test_2_2_1_session_to_2_1_1_embeds_the_location_and_maps_what_differs():
    internal = S221.from_wire({**example_221("session_example_2_short_finished.json"), "status": "RESERVATION"})
    internal["auth_method"] = "COMMAND"
    location = SimpleNamespace(location_211={"id": internal["location_id"], "type": "ON_STREET"})
    wire = S211.to_wire(obj(internal, location_211=location.location_211))
    assert wire["auth_id"] == internal["cdr_token"]["contract_id"]
    assert (wire["status"], wire["auth_method"]) == ("PENDING", "AUTH_REQUEST")
    assert wire["location"]["id"] == internal["location_id"]
    assert "start_datetime" in wire and "start_date_time" not in wire
    assert all("tariff_id" not in period for period in wire.get("charging_periods", []))


def test_2_1_1_session_round_trips_and_keeps_its_embedded_location():
    wire_221 = example_221("session_example_2_short_finished.json")
    internal = S221.from_wire(wire_221)
    location = {
        "id": internal["location_id"],
        "type": "ON_STREET",
        "address": "Street 1",
        "city": "Gent",
        "postal_code": "9000",
        "country": "BEL",
        "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
        "evses": [
            {
                "uid": internal["evse_uid"],
                "status": "CHARGING",
                "last_updated": "2015-06-29T21:39:01Z",
                "connectors": [
                    {
                        "id": internal["connector_id"],
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "voltage": 230,
                        "amperage": 32,
                        "last_updated": "2015-06-29T21:39:01Z",
                    }
                ],
            }
        ],
        "last_updated": "2015-06-29T21:39:01Z",
    }
    wire_211 = S211.to_wire(obj(internal, location_211=location))
    back = S211.from_wire(
        wire_211,
        owner=("NL", "CPO"),
        token_owner=(internal["cdr_token"]["country_code"], internal["cdr_token"]["party_id"]),
    )
    assert S211.to_wire(obj(back)) == wire_211
    assert (back["location_id"], back["evse_uid"], back["connector_id"]) == (
        internal["location_id"],
        internal["evse_uid"],
        internal["connector_id"],
    )
