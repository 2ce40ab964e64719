"""2.2.1 Locations (mod_locations): wire schemas and translators for Location, EVSE and Connector.

Internal values are dicts keyed by model field names (roaming.models.locations), with `evses`
and `connectors` lists for children; sub-objects keep their 2.2.1 JSON shape.
"""

from __future__ import annotations

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
    owner_from_body,
    put,
    put_list,
)
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import (
    URL,
    CiString,
    DateTime,
    DisplayText,
    NonNegativeInt,
    Number,
    String,
    WireModel,
    validate,
    validate_partial,
)
from roaming.ocpi.v2_2_1 import dialect

ConnectorType = Literal[
    "CHADEMO",
    "CHAOJI",
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
    "DOMESTIC_M",
    "DOMESTIC_N",
    "DOMESTIC_O",
    "GBT_AC",
    "GBT_DC",
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
    "NEMA_5_20",
    "NEMA_6_30",
    "NEMA_6_50",
    "NEMA_10_30",
    "NEMA_10_50",
    "NEMA_14_30",
    "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP",
    "PANTOGRAPH_TOP_DOWN",
    "TESLA_R",
    "TESLA_S",
]
PowerType = Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]
Capability = Literal[
    "CHARGING_PROFILE_CAPABLE",
    "CHARGING_PREFERENCES_CAPABLE",
    "CHIP_CARD_SUPPORT",
    "CONTACTLESS_CARD_SUPPORT",
    "CREDIT_CARD_PAYABLE",
    "DEBIT_CARD_PAYABLE",
    "PED_TERMINAL",
    "REMOTE_START_STOP_CAPABLE",
    "RESERVABLE",
    "RFID_READER",
    "START_SESSION_CONNECTOR_REQUIRED",
    "TOKEN_GROUP_CAPABLE",
    "UNLOCK_CAPABLE",
]
Facility = Literal[
    "HOTEL",
    "RESTAURANT",
    "CAFE",
    "MALL",
    "SUPERMARKET",
    "SPORT",
    "RECREATION_AREA",
    "NATURE",
    "MUSEUM",
    "BIKE_SHARING",
    "BUS_STOP",
    "TAXI_STAND",
    "TRAM_STOP",
    "METRO_STATION",
    "TRAIN_STATION",
    "AIRPORT",
    "PARKING_LOT",
    "CARPOOL_PARKING",
    "FUEL_STATION",
    "WIFI",
]
ParkingType = Literal[
    "ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"
]
TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]

Latitude = Annotated[str, StringConstraints(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$", strict=True)]
Longitude = Annotated[str, StringConstraints(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$", strict=True)]
Id36 = CiString(36)


class GeoLocation(WireModel):
    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class PublishTokenType(WireModel):
    uid: CiString(36) | None = None
    type: TokenType | None = None
    visual_number: String(64) | None = None
    issuer: String(64) | None = None
    group_id: CiString(36) | None = None

    @model_validator(mode="after")
    def identifies_someone(self):
        if not (self.uid or self.visual_number or self.group_id):
            raise ValueError("needs uid, visual_number or group_id")
        if self.uid and not self.type:
            raise ValueError("type is required with uid")
        if self.visual_number and not self.issuer:
            raise ValueError("issuer is required with visual_number")
        return self


class Hours(WireModel):
    twentyfourseven: bool
    regular_hours: list[RegularHours] = []
    exceptional_openings: list[ExceptionalPeriod] = []
    exceptional_closings: list[ExceptionalPeriod] = []

    @model_validator(mode="after")
    def regular_hours_only_when_not_always_open(self):
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("regular_hours must be empty when twentyfourseven is true")
        return self


class EnvironmentalImpact(WireModel):
    category: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(WireModel):
    is_green_energy: bool
    energy_sources: list[EnergySource] = []
    environ_impact: list[EnvironmentalImpact] = []
    supplier_name: String(64) | None = None
    energy_product_name: String(64) | None = None


class ConnectorWire(WireModel):
    id: Id36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: NonNegativeInt
    max_amperage: NonNegativeInt
    max_electric_power: NonNegativeInt | None = None
    tariff_ids: list[Id36] = []
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EvseWire(WireModel):
    uid: Id36
    evse_id: CiString(48) | None = None
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
    country_code: CiString(2)
    party_id: CiString(3)
    id: Id36
    publish: bool
    publish_allowed_to: list[PublishTokenType] = []
    name: String(255) | None = None
    address: String(255)  # 45 in 2.2.1-d2, 255 by the erratum
    city: String(45)
    postal_code: String(10) | None = None
    state: String(45) | None = None  # 20 in 2.2.1-d2, 45 by the erratum
    country: String(3)
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = []
    parking_type: ParkingType | None = None
    evses: list[EvseWire] = []
    directions: list[DisplayText] = []
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] = []
    time_zone: String(255)
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] = []
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def publish_allowed_to_only_when_unpublished(self):
        if self.publish and self.publish_allowed_to:
            raise ValueError("publish_allowed_to may only be used when publish is false")
        return self


# -- wire -> internal ------------------------------------------------------------------------------


def _connector_fields(values: dict) -> dict:
    fields = {}
    for name, value in values.items():
        if name == "id":
            fields["connector_id"] = value
        elif name in ("max_electric_power", "last_updated", "max_voltage", "max_amperage"):
            fields[name] = value
        elif name == "tariff_ids":
            fields[name] = list(value or [])
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
        elif name == "evses":
            fields["evses"] = [_evse_fields(dict(e)) for e in value]
        elif name == "coordinates":
            fields["latitude"], fields["longitude"] = value.latitude, value.longitude
        elif name in ("publish_allowed_to", "related_locations", "directions", "images"):
            fields[name] = dump_list(value)
        elif name in ("operator", "suboperator", "owner", "opening_times", "energy_mix"):
            fields[name] = dump(value)
            if name == "opening_times":
                fields["opening_times_211"] = None
        elif name == "parking_type":
            fields["parking_type"], fields["location_type"] = value or "", ""
        elif name == "facilities":
            fields[name] = list(value or [])
        elif name in ("publish", "charging_when_closed", "last_updated"):
            fields[name] = value
        elif name in ("country_code", "party_id"):
            fields[name] = value.upper()
        else:  # name, address, city, postal_code, state, country, time_zone
            fields[name] = value or ""
    return fields


# -- internal -> wire ------------------------------------------------------------------------------


def connector_to_wire(connector) -> dict:
    wire = {
        "id": connector.connector_id,
        "standard": connector.standard,
        "format": connector.format,
        "power_type": connector.power_type,
        "max_voltage": connector.max_voltage,
        "max_amperage": connector.max_amperage,
    }
    put(wire, "max_electric_power", connector.max_electric_power)
    put_list(wire, "tariff_ids", connector.tariff_ids)
    put(wire, "terms_and_conditions", connector.terms_and_conditions)
    wire["last_updated"] = format_datetime(connector.last_updated)
    return wire


def evse_to_wire(evse) -> dict:
    wire = {"uid": evse.uid}
    put(wire, "evse_id", evse.evse_id)
    wire["status"] = evse.status
    put_list(wire, "status_schedule", evse.status_schedule)
    put_list(wire, "capabilities", evse.capabilities)
    wire["connectors"] = [connector_to_wire(c) for c in evse.connectors.all()]
    put(wire, "floor_level", evse.floor_level)
    if evse.latitude:
        wire["coordinates"] = {"latitude": evse.latitude, "longitude": evse.longitude}
    put(wire, "physical_reference", evse.physical_reference)
    put_list(wire, "directions", evse.directions)
    put_list(wire, "parking_restrictions", evse.parking_restrictions)
    put_list(wire, "images", evse.images)
    wire["last_updated"] = format_datetime(evse.last_updated)
    return wire


def location_to_wire(location) -> dict:
    wire = {
        "country_code": location.country_code,
        "party_id": location.party_id,
        "id": location.location_id,
        "publish": location.publish,
    }
    put_list(wire, "publish_allowed_to", location.publish_allowed_to)
    put(wire, "name", location.name)
    wire["address"] = location.address
    wire["city"] = location.city
    put(wire, "postal_code", location.postal_code)
    put(wire, "state", location.state)
    wire["country"] = location.country
    wire["coordinates"] = {"latitude": location.latitude, "longitude": location.longitude}
    put_list(wire, "related_locations", location.related_locations)
    put(wire, "parking_type", location.parking_type)
    put_list(wire, "evses", [evse_to_wire(e) for e in location.evses.all()])
    put_list(wire, "directions", location.directions)
    put(wire, "operator", location.operator)
    put(wire, "suboperator", location.suboperator)
    put(wire, "owner", location.owner)
    put_list(wire, "facilities", location.facilities)
    wire["time_zone"] = location.time_zone
    put(wire, "opening_times", location.opening_times)
    put(wire, "charging_when_closed", location.charging_when_closed)
    put_list(wire, "images", location.images)
    put(wire, "energy_mix", location.energy_mix)
    wire["last_updated"] = format_datetime(location.last_updated)
    return wire


_SCHEMAS = {"location": LocationWire, "evse": EvseWire, "connector": ConnectorWire}
_FIELDS = {"location": _location_fields, "evse": _evse_fields, "connector": _connector_fields}
_TO_WIRE = {"location": location_to_wire, "evse": evse_to_wire, "connector": connector_to_wire}


@dialect.register("locations")
class Locations:
    """Translators of the locations module; `level` is "location", "evse" or "connector"."""

    schemas = _SCHEMAS

    def to_wire(self, obj, level: str = "location") -> dict:
        return _TO_WIRE[level](obj)

    def from_wire(self, data, *, level: str = "location", owner: tuple[str, str] | None = None) -> dict:
        """Validate a whole object (PUT, pull) into internal fields; the owner is in the object itself."""
        return _FIELDS[level](fields_of(validate(_SCHEMAS[level], data)))

    def patch_from_wire(self, data, *, level: str = "location") -> dict:
        """Validate a PATCH body (last_updated required, mod_locations PATCH) into internal fields."""
        return _FIELDS[level](validate_partial(_SCHEMAS[level], data, required=("last_updated",)))

    def patch_to_wire(self, obj, *, level: str, fields: list[str]) -> dict:
        """The PATCH body carrying `fields` of `obj` (plus last_updated, which 2.2.1 requires)."""
        whole = _TO_WIRE[level](obj)
        wanted = {_WIRE_NAME.get(f, f) for f in fields} | {"last_updated"}
        return {k: v for k, v in whole.items() if k in wanted}

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)

    def may_see(self, location) -> bool:
        """publish=false hides a location unless publish_allowed_to names who may see it (the eMSP filters)."""
        return location.publish or bool(location.publish_allowed_to)


_WIRE_NAME = {"location_id": "id", "connector_id": "id", "latitude": "coordinates", "longitude": "coordinates"}
