"""A page of locations (roaming.services.locations.pages) is read as rows straight from the database and written
by the same translators as any location: every byte of it equals what the version's translator writes for the
stored objects loaded through the ORM, for locations that use every optional field and for ones that use none."""

import copy

import orjson
import pytest

from roaming.models import Location
from roaming.ocpi.dialects import get_dialect
from roaming.services import locations
from roaming.services.locations.selectors import with_children

STAMP = "2026-01-02T03:04:05.678Z"  # a fraction, which the wire form leaves out
CONNECTOR = {
    "id": "1",
    "standard": "IEC_62196_T2",
    "format": "CABLE",
    "power_type": "AC_3_PHASE",
    "max_voltage": 230,
    "max_amperage": 32,
    "max_electric_power": 22000,
    "tariff_ids": ["T1", "T2"],
    "terms_and_conditions": "https://cpo.example/terms",
    "capabilities": ["ISO_15118_2_PLUG_AND_CHARGE", "V2X_OF_OUR_OWN"],
    "last_updated": STAMP,
}
IMAGES = [
    {"url": "https://img.example/1.png", "category": "CHARGER", "type": "png", "width": 10, "height": 10},
    {"url": "https://img.example/2.png", "category": "DRONE_VIEW", "type": "png"},  # a category of the CPO's own
]
DIRECTIONS = [{"language": "en", "text": "Behind the shop"}]
#: A 2.3.0 location with every optional field, values of the partner's own in open vocabularies, and EVSEs
#: without any (the second) and with only a connector the older versions cannot name (the third).
EVERY_FIELD = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "ALL",
    "publish": False,
    "publish_allowed_to": [
        {"uid": "012345678", "type": "RFID"},
        {"uid": "NL-ABC-C12345678-X", "type": "EMAID"},
        {"visual_number": "1234", "issuer": "Them"},
        {"group_id": "G1"},
    ],
    "name": "Every field",
    "address": "A street whose name is longer than forty-five characters, 3A",
    "city": "Gent",
    "postal_code": "9000",
    "state": "Oost-Vlaanderen",
    "country": "BEL",
    "coordinates": {"latitude": "51.0475991", "longitude": "3.72994"},
    "related_locations": [
        {"latitude": "51.04759", "longitude": "3.7299449", "name": {"language": "en", "text": "Entrance"}}
    ],
    "parking_type": "ON_DRIVEWAY",
    "evses": [
        {
            "uid": "E1",
            "evse_id": "NL*CPO*E1",
            "status": "CHARGING",
            "status_schedule": [
                {"period_begin": "2030-01-01T00:00:00Z", "period_end": "2030-01-02T00:00:00Z", "status": "INOPERATIVE"}
            ],
            "capabilities": ["RESERVABLE", "PED_TERMINAL", "V2G_OF_OUR_OWN"],
            "connectors": [
                CONNECTOR,
                {**CONNECTOR, "id": "2", "standard": "MCS"},
                {**CONNECTOR, "id": "3", "power_type": "AC_2_PHASE", "max_electric_power": 0, "tariff_ids": []},
            ],
            "floor_level": "-1",
            "coordinates": {"latitude": "51.04760", "longitude": "3.7299501"},
            "physical_reference": "1",
            "directions": DIRECTIONS,
            "parking_restrictions": ["EV_ONLY", "TAXIS"],
            "images": IMAGES,
            "parking": [{"parking_id": "P1", "evse_position": "LEFT"}],
            "accepted_service_providers": ["Drive Co"],
            "last_updated": STAMP,
        },
        {
            "uid": "E2",
            "status": "AVAILABLE",
            "connectors": [
                {
                    "id": "1",
                    "standard": "CHADEMO",
                    "format": "CABLE",
                    "power_type": "DC",
                    "max_voltage": 500,
                    "max_amperage": 125,
                    "last_updated": "2026-01-01T00:00:00Z",
                }
            ],
            "last_updated": "2026-01-01T00:00:00Z",
        },
        {"uid": "E3", "status": "AVAILABLE", "connectors": [{**CONNECTOR, "standard": "MCS"}], "last_updated": STAMP},
    ],
    "parking_places": [
        {
            "id": "P1",
            "physical_reference": "B1",
            "vehicle_types": ["PERSONAL_VEHICLE", "CARGO_BIKE"],
            "max_vehicle_height": 210,
            "reservation_required": False,
            "restricted_to_type": True,
        }
    ],
    "directions": DIRECTIONS,
    "operator": {"name": "CPO", "website": "https://cpo.example", "logo": IMAGES[1]},
    "suboperator": {"name": "Sub"},
    "owner": {"name": "Owner", "logo": IMAGES[0]},
    "facilities": ["CAFE", "PARKING_LOT", "EV_LOUNGE"],
    "time_zone": "Europe/Amsterdam",
    "opening_times": {
        "twentyfourseven": False,
        "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
        "exceptional_openings": [{"period_begin": "2026-06-01T08:00:00Z", "period_end": "2026-06-01T20:00:00Z"}],
        "exceptional_closings": [{"period_begin": "2026-12-25T00:00:00Z", "period_end": "2026-12-26T00:00:00Z"}],
    },
    "charging_when_closed": False,
    "images": IMAGES,
    "energy_mix": {
        "is_green_energy": True,
        "energy_sources": [{"source": "SOLAR", "percentage": 60}, {"source": "WIND", "percentage": 40.5}],
        "environ_impact": [
            {"category": "CARBON_DIOXIDE", "amount": 12.5},
            {"category": "PLASTIC_OF_OUR_OWN", "amount": 1},
        ],
        "supplier_name": "Green",
        "energy_product_name": "Sun",
    },
    "help_phone": "+3212345678",
    "last_updated": STAMP,
}
#: A location with none of the optional fields, its one EVSE and connector alike.
NO_OPTIONAL_FIELD = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "NONE",
    "publish": True,
    "address": "Street 1",
    "city": "Utrecht",
    "country": "NLD",
    "coordinates": {"latitude": "52.09000", "longitude": "5.12000"},
    "evses": [{**EVERY_FIELD["evses"][1], "uid": "E1"}],
    "time_zone": "Europe/Amsterdam",
    "last_updated": STAMP,
}


def store(tenant, wire: dict, **internal_changes) -> Location:
    data = {**get_dialect("2.3.0").module("locations").from_wire(copy.deepcopy(wire)), **internal_changes}
    locations.put_location(
        tenant=tenant, partner=None, country_code="NL", party_id="CPO", location_id=wire["id"], data=data
    )
    return Location.objects.get(tenant=tenant, location_id=wire["id"])


@pytest.fixture
def stored(cpo_tenant) -> list[Location]:
    store(cpo_tenant, EVERY_FIELD)
    store(cpo_tenant, NO_OPTIONAL_FIELD)
    # As a 2.1.1 partner's own form of the hours and a type 2.2.1 cannot say leave them (VERSION-DIFFERENCES 15.1).
    hours_211 = {"regular_hours": [{"weekday": 7, "period_begin": "10:00", "period_end": "16:00"}]}
    as_211 = {"opening_times_211": hours_211, "parking_type": "", "location_type": "OTHER"}
    store(cpo_tenant, {**EVERY_FIELD, "id": "ALL211"}, **as_211)
    return list(with_children(Location.objects.filter(tenant=cpo_tenant).order_by("pk")))


@pytest.mark.parametrize("version", ["2.3.0", "2.2.1", "2.1.1"])
def test_a_page_is_written_byte_for_byte_as_the_translator_writes_the_stored_objects(stored, version):
    dialect = get_dialect(version)
    translator = dialect.module("locations")
    expected = {location.pk: orjson.dumps(translator.to_wire(location)) for location in stored}

    page = locations.rendered([(loc.pk, loc.revision, loc.last_updated) for loc in stored], dialect)

    assert page == expected


@pytest.mark.parametrize(
    "version, present, absent",
    [
        ("2.3.0", ["help_phone", "parking_places", "accepted_service_providers", "V2X_OF_OUR_OWN"], []),
        ("2.2.1", ["publish_allowed_to", "max_electric_power", "tariff_ids", "environ_impact"], ["MCS", "EMAID"]),
        ("2.1.1", ['"type":"OTHER"', "tariff_id", '"source":"CARBON_DIOXIDE"', '"weekday":7'], ["E3", "state"]),
    ],
)
def test_the_compared_bodies_use_every_field_the_version_writes(stored, version, present, absent):
    dialect = get_dialect(version)
    bodies = locations.rendered([(loc.pk, loc.revision, loc.last_updated) for loc in stored], dialect)
    written = b"".join(bodies.values()).decode()
    for text in present:
        assert text in written
    for text in absent:
        assert text not in written
