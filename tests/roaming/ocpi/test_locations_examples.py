"""Every Locations example of both specifications parses, validates and round-trips."""

import pytest

from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.types import validate
from roaming.ocpi.v2_1_1 import locations as v211
from roaming.ocpi.v2_2_1 import locations as v221
from tests.roaming.locations_helpers import materialize, normalized
from tests.spec_examples import example, example_221, examples_211

LOCATIONS_221 = get_dialect("2.2.1").module("locations")
LOCATIONS_211 = get_dialect("2.1.1").module("locations")

FULL_221 = [
    "location_example.json",
    "location_example_parking_garage_opening_hours.json",
    "location_example_uc2_destination_charger.json",
    "location_example_uc3_destination_charger_not_published.json",
    "location_example_uc4_limited_visibility.json",
    "location_example_uc5_home_charge_point.json",
]


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("name", FULL_221)
def test_2_2_1_and_2_3_0_location_examples_round_trip(version, name):
    wire = example(version, name)
    locations = get_dialect(version).module("locations")
    assert normalized(locations.to_wire(materialize(locations.from_wire(wire)))) == normalized(wire)


@pytest.mark.parametrize(
    "name",
    [
        "location_energymix_example_complete.json",
        "location_energymix_example_energy_provider.json",
        "location_energymix_example_simple.json",
    ],
)
def test_2_2_1_energy_mix_examples_validate(name):
    assert validate(v221.EnergyMix, example_221(name)["energy_mix"]).is_green_energy in (True, False)


@pytest.mark.parametrize(
    "name",
    [
        "location_hours_247_open_exception_closing.json",
        "location_hours_opening_hours_with_exceptional_closing.json",
        "location_hours_opening_hours_with_exceptional_opening.json",
    ],
)
def test_2_2_1_hours_examples_validate(name):
    validate(v221.Hours, example_221(name))


def test_2_2_1_regular_hours_example_is_a_valid_location_patch():
    fields = LOCATIONS_221.patch_from_wire(
        {**example_221("location_regularhours_example.json"), "last_updated": "2019-06-24T12:39:09Z"}
    )
    assert fields["opening_times"]["regular_hours"][0] == {"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}


@pytest.mark.parametrize(
    "name, level, expected",
    [
        ("location_patch_example_location.json", "location", {"name": "Interparking Gent Zuid"}),
        ("location_patch_example_status.json", "evse", {"status": "CHARGING"}),
        ("location_patch_example_remove_evse.json", "evse", {"status": "REMOVED"}),
        ("location_patch_example_tariff.json", "connector", {"tariff_ids": ["15"]}),
    ],
)
def test_2_2_1_patch_examples_validate(name, level, expected):
    fields = LOCATIONS_221.patch_from_wire(example_221(name), level=level)
    assert {k: v for k, v in fields.items() if k != "last_updated"} == expected
    assert fields["last_updated"].isoformat() == "2019-06-24T12:39:09+00:00"


def test_2_2_1_add_evse_example_is_refused_naming_what_is_wrong():
    # The published example carries numeric physical_reference and a connector without power_type.
    with pytest.raises(InvalidParameters) as caught:
        LOCATIONS_221.from_wire(example_221("location_put_example_add_evse.json"), level="evse")
    assert "physical_reference" in caught.value.message
    assert "connectors[0].power_type" in caught.value.message


EXAMPLES_211 = examples_211("mod_locations")


def test_2_1_1_location_example_round_trips():
    [location] = [e["json"] for e in EXAMPLES_211 if "evses" in e["json"]]
    internal = LOCATIONS_211.from_wire(location, owner=("BE", "BEC"))
    assert (internal["country_code"], internal["party_id"], internal["parking_type"]) == ("BE", "BEC", "ON_STREET")
    assert normalized(LOCATIONS_211.to_wire(materialize(internal))) == normalized(location)


@pytest.mark.parametrize("index", [0, 1, 2, 4])
def test_2_1_1_patch_examples_validate(index):
    example = EXAMPLES_211[index]
    level = {5: "location", 6: "evse", 7: "connector"}[example["url"].count("/") - 4]
    fields = LOCATIONS_211.patch_from_wire(example["json"], level=level)
    assert fields and "last_updated" not in fields


def test_2_1_1_add_evse_example_is_refused_naming_what_is_wrong():
    with pytest.raises(InvalidParameters, match="physical_reference"):
        LOCATIONS_211.from_wire(EXAMPLES_211[3]["json"], level="evse")


def test_2_1_1_energy_mix_and_hours_examples_validate():
    mixes = [e["json"]["energy_mix"] for e in EXAMPLES_211 if "energy_mix" in e["json"]]
    assert len(mixes) == 3
    for mix in mixes:
        validate(v211.EnergyMix, mix)
    [hours] = [e["json"]["opening_times"] for e in EXAMPLES_211 if "opening_times" in e["json"]]
    assert validate(v211.Hours, hours).regular_hours[0].weekday == 1
