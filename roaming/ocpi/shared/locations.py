"""Locations (mod_locations) as both versions define it, and the translation of what they share.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 6 and 14): the values of ConnectorType, Capability, Facility
and PowerType that 2.1.1 has (2.2.1 adds to each); StatusSchedule, RegularHours (with the regex of the
2.1.1 errata, which 2.2.1 took), ExceptionalPeriod, EnergySource and their enums; Hours but for
twentyfourseven, EnergyMix but for its EnvironmentalImpact; of the Connector its format,
terms_and_conditions and last_updated; of the EVSE all but uid, evse_id, capabilities, connectors and
coordinates; of the Location its name, city, country, directions, operator, suboperator, owner,
charging_when_closed, images and last_updated.

Internal values are dicts keyed by model field names (roaming.models.locations), with `evses` and
`connectors` lists for children; sub-objects keep their 2.2.1 JSON shape.
"""

from __future__ import annotations

import copy
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from roaming.ocpi.common import BusinessDetails, Image, dump, dump_list, fields_of, put, put_list, read_fields
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import URL, DateTime, DisplayText, Number, String, WireModel, validate, validate_partial

# Enum values both versions define: 2.1.1 has these, 2.2.1 adds to them. PARKING_TYPES are those that
# LocationType (2.1.1) and ParkingType (2.2.1) share.
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

EvseStatusValue = Literal[
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED", "UNKNOWN"
]
ParkingRestriction = Literal["EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"]
ConnectorFormat = Literal["SOCKET", "CABLE"]
EnergySourceCategory = Literal["NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER"]
EnvironmentalImpactCategory = Literal["NUCLEAR_WASTE", "CARBON_DIOXIDE"]
TimeOfDay = Annotated[str, StringConstraints(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$", strict=True)]


class StatusSchedule(WireModel):
    period_begin: DateTime
    period_end: DateTime | None = None
    status: EvseStatusValue


class RegularHours(WireModel):
    weekday: Annotated[int, Field(ge=1, le=7, strict=True)]
    period_begin: TimeOfDay
    period_end: TimeOfDay


class ExceptionalPeriod(WireModel):
    period_begin: DateTime
    period_end: DateTime


class Hours(WireModel):
    """A version adds twentyfourseven: one of the two with regular_hours in 2.1.1, always there in 2.2.1."""

    regular_hours: list[RegularHours] = []
    exceptional_openings: list[ExceptionalPeriod] = []
    exceptional_closings: list[ExceptionalPeriod] = []


class EnergySource(WireModel):
    source: EnergySourceCategory
    percentage: Number


class EnergyMix(WireModel):
    """A version adds environ_impact: its EnvironmentalImpact calls the category `source` in 2.1.1."""

    is_green_energy: bool
    energy_sources: list[EnergySource] = []
    supplier_name: String(64) | None = None
    energy_product_name: String(64) | None = None


class Connector(WireModel):
    format: ConnectorFormat
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class Evse(WireModel):
    status: EvseStatusValue
    status_schedule: list[StatusSchedule] = []
    floor_level: String(4) | None = None
    physical_reference: String(16) | None = None
    directions: list[DisplayText] = []
    parking_restrictions: list[ParkingRestriction] = []
    images: list[Image] = []
    last_updated: DateTime


class Location(WireModel):
    name: String(255) | None = None
    city: String(45)
    country: String(3)
    directions: list[DisplayText] = []
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    charging_when_closed: bool | None = None
    images: list[Image] = []
    last_updated: DateTime


class Locations:
    """The locations module's translators; `level` is "location", "evse" or "connector".

    A version sets `schemas`, writes the Location and Connector fields it defines its own way
    (`location_fields_to_wire`, `connector_fields_to_wire`), reads them (`read_*_field`, handing the
    others back here), and says where its coordinates and vocabularies differ. An object the version
    cannot express is written as None.
    """

    dialect: Dialect
    schemas: dict[str, type[WireModel]]
    supports_patch = True
    #: Fields a PATCH body must carry.
    patch_requires: tuple[str, ...] = ()
    #: Internal field → the wire field carrying it, so that a PATCH sends what changed.
    wire_names = {"location_id": "id", "connector_id": "id", "latitude": "coordinates", "longitude": "coordinates"}
    #: Vocabulary → the values the version can name. Internal values are the newest version's, whose
    #: vocabularies are open; a version names its closed ones here and values outside them are left out
    #: (a connector of an unknown standard, and an EVSE left without connectors, are not written; an
    #: image of an unknown category is written as OTHER).
    known_values: dict[str, tuple[str, ...]] = {}
    #: Level → the internal fields of the newest version's additions, as a version without them leaves them:
    #: not given. A whole object it PUTs replaces them as it replaces any field left out (mod_locations PUT).
    not_given: dict[str, dict] = {
        "location": {"parking_places": [], "help_phone": ""},
        "evse": {"parking": [], "accepted_service_providers": []},
        "connector": {"capabilities": []},
    }
    _known_sets: dict[str, frozenset[str]] = {}

    def to_wire(self, obj, level: str = "location") -> dict | None:
        """A location, EVSE or connector (a model instance with its children) in the version's wire form."""
        if level == "connector":
            return self.connector_to_wire(obj)
        if level == "evse":
            return self.evse_to_wire(obj, obj.connectors.all())
        return self.location_to_wire(obj, [(evse, evse.connectors.all()) for evse in obj.evses.all()])

    def from_wire(self, data, *, level: str = "location", owner: tuple[str, str] | None = None) -> dict:
        """Validate a whole object (PUT, pull) into internal fields, those the version cannot say not given."""
        return {
            **copy.deepcopy(self.not_given.get(level, {})),
            **self.fields(level, fields_of(validate(self.schemas[level], data))),
        }

    def patch_from_wire(self, data, *, level: str = "location") -> dict:
        return self.fields(level, validate_partial(self.schemas[level], data, required=self.patch_requires))

    def patch_to_wire(self, obj, *, level: str, fields: list[str]) -> dict | None:
        """The PATCH body carrying `fields` of `obj`, and its last_updated."""
        whole = self.to_wire(obj, level)
        if whole is None:
            return None
        wanted = {self.wire_names.get(f, f) for f in fields} | {"last_updated"}
        return {k: v for k, v in whole.items() if k in wanted}

    # -- wire -> internal ------------------------------------------------------------------------------

    def fields(self, level: str, values: dict) -> dict:
        """Internal fields from the validated wire values of one object."""
        read = {
            "location": self.read_location_field,
            "evse": self.read_evse_field,
            "connector": self.read_connector_field,
        }
        return read_fields(values, read[level])

    def read_location_field(self, fields: dict, name: str, value) -> None:
        if name == "id":
            fields["location_id"] = value
        elif name == "evses":
            fields["evses"] = [self.fields("evse", dict(e)) for e in value]
        elif name == "coordinates":
            fields["latitude"], fields["longitude"] = value.latitude, value.longitude
        elif name in ("related_locations", "directions", "images"):
            fields[name] = dump_list(value)
        elif name in ("operator", "suboperator", "owner"):
            fields[name] = dump(value)
        elif name == "facilities":
            fields[name] = list(value or [])
        elif name in ("charging_when_closed", "last_updated"):
            fields[name] = value
        else:  # name, address, city, postal_code, country, time_zone and a version's other strings
            fields[name] = value or ""

    def read_evse_field(self, fields: dict, name: str, value) -> None:
        if name == "connectors":
            fields["connectors"] = [self.fields("connector", dict(c)) for c in value]
        elif name == "coordinates":
            fields["latitude"] = value.latitude if value else ""
            fields["longitude"] = value.longitude if value else ""
        elif name in ("status_schedule", "directions", "images"):
            fields[name] = dump_list(value)
        elif name in ("capabilities", "parking_restrictions"):
            fields[name] = list(value or [])
        elif name == "last_updated":
            fields[name] = value
        else:  # uid, evse_id, status, floor_level, physical_reference
            fields[name] = value or ""

    def read_connector_field(self, fields: dict, name: str, value) -> None:
        if name == "id":
            fields["connector_id"] = value
        elif name == "last_updated":
            fields[name] = value
        else:  # standard, format, power_type, terms_and_conditions
            fields[name] = value or ""

    # -- internal -> wire ------------------------------------------------------------------------------

    # A location, EVSE or connector is anything with the model's fields: a model instance, or a row a page reads
    # straight from the database (roaming.services.locations.read_page), whose JSON lists are None when empty.

    def location_to_wire(self, location, evses: list[tuple]) -> dict:
        """`location` with `evses`, each an EVSE with its connectors."""
        wire = {"id": location.location_id, **self.location_fields_to_wire(location)}
        put(wire, "name", location.name)
        wire["city"] = location.city
        wire["country"] = location.country
        wire["coordinates"] = self.coordinates_to_wire(location.latitude, location.longitude)
        if location.related_locations:
            wire["related_locations"] = [
                {**r, **self.coordinates_to_wire(r["latitude"], r["longitude"])} for r in location.related_locations
            ]
        put_list(wire, "evses", [w for w in (self.evse_to_wire(e, c) for e, c in evses) if w is not None])
        put_list(wire, "directions", location.directions)
        put(wire, "operator", self.business_details_to_wire(location.operator))
        put(wire, "suboperator", self.business_details_to_wire(location.suboperator))
        put(wire, "owner", self.business_details_to_wire(location.owner))
        put_list(wire, "facilities", self.facilities_to_wire(location.facilities))
        put(wire, "charging_when_closed", location.charging_when_closed)
        put_list(wire, "images", self.images_to_wire(location.images))
        wire["last_updated"] = format_datetime(location.last_updated)
        return wire

    # EVSEs and connectors are most of a page (4,000 and 8,000 in a page of 1000 locations): their optional
    # fields are tested inline, as put() and put_list() would (their values are strings or lists), and what the
    # version cannot name is filtered only when there is something to filter.

    def evse_to_wire(self, evse, connectors: list) -> dict | None:
        """`evse` with its `connectors`; None when the version can name none of them."""
        to_wire = self.connector_to_wire
        written = [w for w in map(to_wire, connectors) if w is not None]
        if not written:
            return None
        wire = {"uid": evse.uid}
        if evse.evse_id:
            wire["evse_id"] = evse.evse_id
        wire["status"] = evse.status
        if evse.status_schedule:
            wire["status_schedule"] = evse.status_schedule
        if evse.capabilities:
            put_list(wire, "capabilities", self.capabilities_to_wire(evse.capabilities))
        wire["connectors"] = written
        if evse.floor_level:
            wire["floor_level"] = evse.floor_level
        if evse.latitude:
            wire["coordinates"] = self.coordinates_to_wire(evse.latitude, evse.longitude)
        if evse.physical_reference:
            wire["physical_reference"] = evse.physical_reference
        if evse.directions:
            wire["directions"] = evse.directions
        if evse.parking_restrictions:
            put_list(wire, "parking_restrictions", self.known("parking_restrictions", evse.parking_restrictions))
        if evse.images:
            wire["images"] = self.images_to_wire(evse.images)
        wire["last_updated"] = format_datetime(evse.last_updated)
        return wire

    def connector_to_wire(self, connector) -> dict | None:
        """`connector`; None when its standard is one the version cannot name."""
        standards = self._known_sets.get("standards")
        if standards is not None and connector.standard not in standards:
            return None
        wire = {"id": connector.connector_id, "standard": connector.standard, "format": connector.format}
        self.connector_fields_to_wire(wire, connector)
        if connector.terms_and_conditions:
            wire["terms_and_conditions"] = connector.terms_and_conditions
        wire["last_updated"] = format_datetime(connector.last_updated)
        return wire

    def location_fields_to_wire(self, location) -> dict:
        """The Location fields the version defines its own way."""
        raise NotImplementedError

    def connector_fields_to_wire(self, wire: dict, connector) -> None:
        """Add to `wire` the Connector fields the version defines its own way (power type, voltage and amperage,
        tariffs)."""
        raise NotImplementedError

    # Internal values are valid in the newest version; an older one writes only what it can.

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # As sets: a page of 1000 locations asks some 18,000 times whether a value is known.
        cls._known_sets = {vocabulary: frozenset(values) for vocabulary, values in cls.known_values.items()}

    def known(self, vocabulary: str, values: list[str]) -> list[str]:
        """`values` less those the version cannot name in `vocabulary` (known_values)."""
        allowed = self._known_sets.get(vocabulary)
        if not values:
            return []
        if allowed is None or allowed.issuperset(values):  # the common case, tested in C
            return values
        return [v for v in values if v in allowed]

    def is_known(self, vocabulary: str, value: str) -> bool:
        """Whether the version can name `value` in `vocabulary` (known_values)."""
        allowed = self._known_sets.get(vocabulary)
        return allowed is None or value in allowed

    def coordinates_to_wire(self, latitude: str, longitude: str) -> dict:
        return {"latitude": latitude, "longitude": longitude}

    def capabilities_to_wire(self, capabilities: list[str]) -> list[str]:
        return self.known("capabilities", capabilities)

    def facilities_to_wire(self, facilities: list[str]) -> list[str]:
        return self.known("facilities", facilities)

    def images_to_wire(self, images: list[dict] | None) -> list[dict]:
        if not images:
            return []
        return [
            image if self.is_known("image_categories", image["category"]) else {**image, "category": "OTHER"}
            for image in images
        ]

    def energy_mix_to_wire(self, mix: dict | None) -> dict | None:
        """The mix less the environmental impacts of categories the version cannot name (tariffs' too)."""
        if not mix or not mix.get("environ_impact"):
            return mix
        impacts = [e for e in mix["environ_impact"] if self.is_known("environmental_impact_categories", e["category"])]
        wire = {**mix, "environ_impact": impacts}
        if not impacts:
            del wire["environ_impact"]
        return wire

    def business_details_to_wire(self, details: dict | None) -> dict | None:
        if not details or not details.get("logo"):
            return details
        return {**details, "logo": self.images_to_wire([details["logo"]])[0]}
