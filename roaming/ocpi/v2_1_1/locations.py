"""2.1.1 Locations (mod_locations.md): wire schemas and translators for Location, EVSE and Connector.

What 2.1.1 cannot carry is handled here, once (VERSION-DIFFERENCES 6 and 15.1):
- owner fields travel in URL segments, never in bodies; `publish`, `publish_allowed_to`, `state`,
  `max_electric_power` and tariff ids beyond the first are dropped;
- ParkingType ALONG_MOTORWAY / ON_DRIVEWAY become LocationType OTHER, no type becomes UNKNOWN;
- enum values 2.1.1 does not know are dropped (facilities, capabilities); a connector with a
  2.2.1-only standard is left out, and an EVSE left without connectors with it; AC_2_PHASE and
  AC_2_PHASE_SPLIT are sent as AC_1_PHASE (never overstates power);
- coordinates carry exactly 6 decimals; a missing postal code is sent as ""; the address is cut to 45;
- a 2.1.1 partner's own opening-hours form is kept and sent back unchanged.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from roaming.ocpi.common import (
    BusinessDetails,
    ConnectorFormat,
    EnergySource,
    EnvironmentalImpactCategory,
    EvseStatusValue,
    ExceptionalPeriod,
    Image,
    ParkingRestriction,
    RegularHours,
    StatusSchedule,
    dump,
    dump_list,
    evse_fields,
    fields_of,
    put,
    put_list,
)
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import (
    URL,
    DateTime,
    DisplayText,
    NonNegativeInt,
    Number,
    String,
    WireModel,
    validate,
    validate_partial,
)
from roaming.ocpi.v2_1_1 import dialect

CONNECTOR_TYPES = (
    "CHADEMO",
    "DOMESTIC_A",
    "DOMESTIC_B",
    "DOMESTIC_C",
    "DOMESTIC_D",
    "DOMESTIC_E",
    "DOMESTIC_F",
    "DOMESTIC_G",
    "DOMESTIC_H",
    "DOMESTIC_I",
    "DOMESTIC_J",
    "DOMESTIC_K",
    "DOMESTIC_L",
    "IEC_60309_2_single_16",
    "IEC_60309_2_three_16",
    "IEC_60309_2_three_32",
    "IEC_60309_2_three_64",
    "IEC_62196_T1",
    "IEC_62196_T1_COMBO",
    "IEC_62196_T2",
    "IEC_62196_T2_COMBO",
    "IEC_62196_T3A",
    "IEC_62196_T3C",
    "TESLA_R",
    "TESLA_S",
)
CAPABILITIES = (
    "CHARGING_PROFILE_CAPABLE",
    "CREDIT_CARD_PAYABLE",
    "REMOTE_START_STOP_CAPABLE",
    "RESERVABLE",
    "RFID_READER",
    "UNLOCK_CAPABLE",
)
FACILITIES = (
    "HOTEL",
    "RESTAURANT",
    "CAFE",
    "MALL",
    "SUPERMARKET",
    "SPORT",
    "RECREATION_AREA",
    "NATURE",
    "MUSEUM",
    "BUS_STOP",
    "TAXI_STAND",
    "TRAIN_STATION",
    "AIRPORT",
    "CARPOOL_PARKING",
    "FUEL_STATION",
    "WIFI",
)
POWER_TYPES = ("AC_1_PHASE", "AC_3_PHASE", "DC")
PARKING_TYPES = ("ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT")
LOCATION_TYPES = (*PARKING_TYPES, "OTHER", "UNKNOWN")

ConnectorType = Literal[CONNECTOR_TYPES]
Capability = Literal[CAPABILITIES]
Facility = Literal[FACILITIES]
PowerType = Literal[POWER_TYPES]
LocationType = Literal[LOCATION_TYPES]

Latitude = Annotated[str, StringConstraints(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{6}$", strict=True)]
Longitude = Annotated[str, StringConstraints(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{6}$", strict=True)]


class GeoLocation(WireModel):
    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class Hours(WireModel):
    regular_hours: list[RegularHours] = []
    twentyfourseven: bool | None = None
    exceptional_openings: list[ExceptionalPeriod] = []
    exceptional_closings: list[ExceptionalPeriod] = []

    @model_validator(mode="after")
    def one_of_the_two(self):
        if not self.regular_hours and self.twentyfourseven is None:
            raise ValueError("needs regular_hours or twentyfourseven")
        if self.regular_hours and self.twentyfourseven:
            raise ValueError("regular_hours and twentyfourseven: true exclude each other")
        return self


class EnvironmentalImpact(WireModel):
    source: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(WireModel):
    is_green_energy: bool
    energy_sources: list[EnergySource] = []
    environ_impact: list[EnvironmentalImpact] = []
    supplier_name: String(64) | None = None
    energy_product_name: String(64) | None = None


class ConnectorWire(WireModel):
    id: String(36)
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    voltage: NonNegativeInt
    amperage: NonNegativeInt
    tariff_id: String(36) | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EvseWire(WireModel):
    uid: String(39)
    evse_id: String(48) | None = None
    status: EvseStatusValue
    status_schedule: list[StatusSchedule] = []
    capabilities: list[Capability] = []
    connectors: Annotated[list[ConnectorWire], Field(min_length=1)]
    floor_level: String(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String(16) | None = None
    directions: list[DisplayText] = []
    parking_restrictions: list[ParkingRestriction] = []
    images: list[Image] = []
    last_updated: DateTime


class LocationWire(WireModel):
    id: String(39)
    type: LocationType
    name: String(255) | None = None
    address: String(45)
    city: String(45)
    postal_code: String(10)
    country: String(3)
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = []
    evses: list[EvseWire] = []
    directions: list[DisplayText] = []
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] = []
    time_zone: String(255) | None = None
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] = []
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


# -- wire -> internal ------------------------------------------------------------------------------


def _hours_internal(hours: Hours) -> dict:
    """2.2.1 Hours always carries twentyfourseven; only regular_hours given means false."""
    internal = {"twentyfourseven": bool(hours.twentyfourseven)}
    put_list(internal, "regular_hours", dump_list(hours.regular_hours))
    put_list(internal, "exceptional_openings", dump_list(hours.exceptional_openings))
    put_list(internal, "exceptional_closings", dump_list(hours.exceptional_closings))
    return internal


def _energy_mix_internal(mix: EnergyMix) -> dict:
    internal = dump(mix)
    internal["environ_impact"] = [
        {"category": e["source"], "amount": e["amount"]} for e in internal.get("environ_impact", [])
    ]
    if not internal["environ_impact"]:
        del internal["environ_impact"]
    return internal


def _connector_fields(values: dict) -> dict:
    fields = {}
    for name, value in values.items():
        if name == "id":
            fields["connector_id"] = value
        elif name == "voltage":
            fields["max_voltage"] = value
        elif name == "amperage":
            fields["max_amperage"] = value
        elif name == "tariff_id":
            fields["tariff_ids"] = [value] if value else []
        elif name == "last_updated":
            fields[name] = value
        else:  # standard, format, power_type, terms_and_conditions
            fields[name] = value or ""
    return fields


def _evse_fields(values: dict) -> dict:
    return evse_fields(values, _connector_fields)


def _location_fields(values: dict) -> dict:
    fields = {}
    for name, value in values.items():
        if name == "id":
            fields["location_id"] = value
        elif name == "type":
            fields["parking_type"] = value if value in PARKING_TYPES else ""
            fields["location_type"] = "" if value in PARKING_TYPES else value
        elif name == "evses":
            fields["evses"] = [_evse_fields(dict(e)) for e in value]
        elif name == "coordinates":
            fields["latitude"], fields["longitude"] = value.latitude, value.longitude
        elif name in ("related_locations", "directions", "images"):
            fields[name] = dump_list(value)
        elif name in ("operator", "suboperator", "owner"):
            fields[name] = dump(value)
        elif name == "opening_times":
            fields["opening_times"] = _hours_internal(value) if value else None
            fields["opening_times_211"] = dump(value)
        elif name == "energy_mix":
            fields[name] = _energy_mix_internal(value) if value else None
        elif name == "facilities":
            fields[name] = list(value or [])
        elif name in ("charging_when_closed", "last_updated"):
            fields[name] = value
        else:  # name, address, city, postal_code, country, time_zone
            fields[name] = value or ""
    return fields


# -- internal -> wire ------------------------------------------------------------------------------


def _six_decimals(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def connector_to_wire(connector) -> dict | None:
    if connector.standard not in CONNECTOR_TYPES:
        return None
    wire = {
        "id": connector.connector_id,
        "standard": connector.standard,
        "format": connector.format,
        "power_type": connector.power_type if connector.power_type in POWER_TYPES else "AC_1_PHASE",
        "voltage": connector.max_voltage,
        "amperage": connector.max_amperage,
    }
    if connector.tariff_ids:
        wire["tariff_id"] = connector.tariff_ids[0]
    put(wire, "terms_and_conditions", connector.terms_and_conditions)
    wire["last_updated"] = format_datetime(connector.last_updated)
    return wire


def evse_to_wire(evse) -> dict | None:
    connectors = [w for w in (connector_to_wire(c) for c in evse.connectors.all()) if w is not None]
    if not connectors:
        return None
    wire = {"uid": evse.uid}
    put(wire, "evse_id", evse.evse_id)
    wire["status"] = evse.status
    put_list(wire, "status_schedule", evse.status_schedule)
    put_list(wire, "capabilities", [c for c in evse.capabilities if c in CAPABILITIES])
    wire["connectors"] = connectors
    put(wire, "floor_level", evse.floor_level)
    if evse.latitude:
        wire["coordinates"] = {"latitude": _six_decimals(evse.latitude), "longitude": _six_decimals(evse.longitude)}
    put(wire, "physical_reference", evse.physical_reference)
    put_list(wire, "directions", evse.directions)
    put_list(wire, "parking_restrictions", evse.parking_restrictions)
    put_list(wire, "images", evse.images)
    wire["last_updated"] = format_datetime(evse.last_updated)
    return wire


def _hours_to_wire(location) -> dict | None:
    if location.opening_times_211 is not None:
        return location.opening_times_211
    hours = location.opening_times
    if hours is None:
        return None
    wire = (
        {"twentyfourseven": True} if hours.get("twentyfourseven") else {"regular_hours": hours.get("regular_hours", [])}
    )
    put_list(wire, "exceptional_openings", hours.get("exceptional_openings"))
    put_list(wire, "exceptional_closings", hours.get("exceptional_closings"))
    return wire


def _energy_mix_to_wire(mix: dict | None) -> dict | None:
    if mix is None:
        return None
    wire = dict(mix)
    if mix.get("environ_impact"):
        wire["environ_impact"] = [{"source": e["category"], "amount": e["amount"]} for e in mix["environ_impact"]]
    return wire


def location_to_wire(location) -> dict:
    wire = {"id": location.location_id}
    if location.parking_type:
        wire["type"] = location.parking_type if location.parking_type in PARKING_TYPES else "OTHER"
    else:
        wire["type"] = location.location_type or "UNKNOWN"
    put(wire, "name", location.name)
    wire["address"] = location.address[:45]
    wire["city"] = location.city
    wire["postal_code"] = location.postal_code
    wire["country"] = location.country
    wire["coordinates"] = {"latitude": _six_decimals(location.latitude), "longitude": _six_decimals(location.longitude)}
    put_list(
        wire,
        "related_locations",
        [
            {**r, "latitude": _six_decimals(r["latitude"]), "longitude": _six_decimals(r["longitude"])}
            for r in location.related_locations
        ],
    )
    put_list(wire, "evses", [w for w in (evse_to_wire(e) for e in location.evses.all()) if w is not None])
    put_list(wire, "directions", location.directions)
    put(wire, "operator", location.operator)
    put(wire, "suboperator", location.suboperator)
    put(wire, "owner", location.owner)
    put_list(wire, "facilities", [f for f in location.facilities if f in FACILITIES])
    put(wire, "time_zone", location.time_zone)
    put(wire, "opening_times", _hours_to_wire(location))
    put(wire, "charging_when_closed", location.charging_when_closed)
    put_list(wire, "images", location.images)
    put(wire, "energy_mix", _energy_mix_to_wire(location.energy_mix))
    wire["last_updated"] = format_datetime(location.last_updated)
    return wire


_SCHEMAS = {"location": LocationWire, "evse": EvseWire, "connector": ConnectorWire}
_FIELDS = {"location": _location_fields, "evse": _evse_fields, "connector": _connector_fields}
_TO_WIRE = {"location": location_to_wire, "evse": evse_to_wire, "connector": connector_to_wire}
_WIRE_NAME = {
    "location_id": "id",
    "connector_id": "id",
    "latitude": "coordinates",
    "longitude": "coordinates",
    "max_voltage": "voltage",
    "max_amperage": "amperage",
    "tariff_ids": "tariff_id",
    "parking_type": "type",
    "location_type": "type",
    "opening_times_211": "opening_times",
}


@dialect.register("locations")
class Locations:
    """Translators of the locations module; `level` is "location", "evse" or "connector"."""

    schemas = _SCHEMAS

    def to_wire(self, obj, level: str = "location") -> dict | None:
        return _TO_WIRE[level](obj)

    def from_wire(self, data, *, level: str = "location", owner: tuple[str, str] | None = None) -> dict:
        """Validate a whole object into internal fields; 2.1.1 objects take their owner from the URL or connection."""
        fields = _FIELDS[level](fields_of(validate(_SCHEMAS[level], data)))
        if level == "location":
            fields.update(publish=True, publish_allowed_to=[], state="")
            if owner is not None:
                fields["country_code"], fields["party_id"] = owner
        return fields

    def patch_from_wire(self, data, *, level: str = "location") -> dict:
        """Validate a PATCH body; 2.1.1 does not require last_updated (the service stamps the time received)."""
        return _FIELDS[level](validate_partial(_SCHEMAS[level], data))

    def patch_to_wire(self, obj, *, level: str, fields: list[str]) -> dict | None:
        whole = _TO_WIRE[level](obj)
        if whole is None:
            return None
        wanted = {_WIRE_NAME.get(f, f) for f in fields} | {"last_updated"}
        return {k: v for k, v in whole.items() if k in wanted}

    def owner_of(self, data) -> tuple[str, str] | None:
        return None

    def may_see(self, location) -> bool:
        """A 2.1.1 partner cannot honour publish=false, so it never gets such a location."""
        return location.publish
