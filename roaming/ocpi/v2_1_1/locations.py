"""2.1.1 Locations (mod_locations.md): what 2.1.1 defines its own way (roaming.ocpi.shared.locations has the rest).

2.1.1 knows only the enum values both versions define. What it cannot carry is handled here, once
(VERSION-DIFFERENCES 6 and 15.1):
- owner fields travel in URL segments, never in bodies; `publish`, `publish_allowed_to`, `state`,
  `max_electric_power` and tariff ids beyond the first are dropped;
- ParkingType ALONG_MOTORWAY / ON_DRIVEWAY become LocationType OTHER, no type becomes UNKNOWN;
- enum values 2.1.1 does not know are dropped (facilities, capabilities, parking restrictions); a
  connector with a newer standard is left out, and an EVSE left without connectors with it; an image
  of a category of a partner's own is sent as OTHER; AC_2_PHASE and
  AC_2_PHASE_SPLIT are sent as AC_1_PHASE (never overstates power);
- coordinates carry exactly 6 decimals; a missing postal code is sent as ""; the address is cut to 45;
- a 2.1.1 partner's own opening-hours form is kept and sent back unchanged.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from roaming.ocpi.common import ImageCategory, dump, dump_list, put, put_list
from roaming.ocpi.shared import locations as shared
from roaming.ocpi.shared.locations import CAPABILITIES, CONNECTOR_TYPES, FACILITIES, PARKING_TYPES, POWER_TYPES
from roaming.ocpi.types import DisplayText, NonNegativeInt, Number, String, WireModel

LOCATION_TYPES = (*PARKING_TYPES, "OTHER", "UNKNOWN")

ConnectorType = Literal[CONNECTOR_TYPES]
Capability = Literal[CAPABILITIES]
Facility = Literal[FACILITIES]
PowerType = Literal[POWER_TYPES]
LocationType = Literal[LOCATION_TYPES]


class GeoLocation(WireModel):
    """Exactly 6 decimals (mod_locations.md §4.12) where 2.2.1 takes 5 to 7 (roaming.ocpi.types.GeoLocation)."""

    latitude: Annotated[str, StringConstraints(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{6}$", strict=True)]
    longitude: Annotated[str, StringConstraints(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{6}$", strict=True)]


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class Hours(shared.Hours):
    twentyfourseven: bool | None = None

    @model_validator(mode="after")
    def one_of_the_two(self):
        if not self.regular_hours and self.twentyfourseven is None:
            raise ValueError("needs regular_hours or twentyfourseven")
        if self.regular_hours and self.twentyfourseven:
            raise ValueError("regular_hours and twentyfourseven: true exclude each other")
        return self


class EnvironmentalImpact(WireModel):
    source: shared.EnvironmentalImpactCategory  # `category` in 2.2.1
    amount: Number


class EnergyMix(shared.EnergyMix):
    environ_impact: list[EnvironmentalImpact] = []


class ConnectorWire(shared.Connector):
    id: String(36)
    standard: ConnectorType
    power_type: PowerType
    voltage: NonNegativeInt
    amperage: NonNegativeInt
    tariff_id: String(36) | None = None


class EvseWire(shared.Evse):
    uid: String(39)
    evse_id: String(48) | None = None
    capabilities: list[Capability] = []
    connectors: Annotated[list[ConnectorWire], Field(min_length=1)]
    coordinates: GeoLocation | None = None


class LocationWire(shared.Location):
    id: String(39)
    type: LocationType
    address: String(45)
    postal_code: String(10)
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = []
    evses: list[EvseWire] = []
    facilities: list[Facility] = []
    time_zone: String(255) | None = None
    opening_times: Hours | None = None
    energy_mix: EnergyMix | None = None


def _hours_internal(hours: Hours) -> dict:
    """2.2.1 Hours always carries twentyfourseven; only regular_hours given means false."""
    internal = {"twentyfourseven": bool(hours.twentyfourseven)}
    put_list(internal, "regular_hours", dump_list(hours.regular_hours))
    put_list(internal, "exceptional_openings", dump_list(hours.exceptional_openings))
    put_list(internal, "exceptional_closings", dump_list(hours.exceptional_closings))
    return internal


def _hours_to_wire(location) -> dict | None:
    """The partner's own 2.1.1 form when it sent one, else regular_hours or twentyfourseven: true."""
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


def energy_mix_from_wire(mix: EnergyMix) -> dict:
    """The internal (2.2.1) EnergyMix: environ_impact names its `category`."""
    internal = dump(mix)
    internal["environ_impact"] = [
        {"category": e["source"], "amount": e["amount"]} for e in internal.get("environ_impact", [])
    ]
    if not internal["environ_impact"]:
        del internal["environ_impact"]
    return internal


def energy_mix_to_wire(mix: dict | None) -> dict | None:
    if mix is None:
        return None
    wire = dict(mix)
    if mix.get("environ_impact"):
        wire["environ_impact"] = [{"source": e["category"], "amount": e["amount"]} for e in mix["environ_impact"]]
    return wire


def _six_decimals(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


class Locations(shared.Locations):
    schemas = {"location": LocationWire, "evse": EvseWire, "connector": ConnectorWire}
    #: A PATCH need not carry last_updated: the service stamps the time received.
    patch_requires = ()
    wire_names = {
        **shared.Locations.wire_names,
        "max_voltage": "voltage",
        "max_amperage": "amperage",
        "tariff_ids": "tariff_id",
        "parking_type": "type",
        "location_type": "type",
        "opening_times_211": "opening_times",
    }
    known_values = {
        "capabilities": CAPABILITIES,
        "facilities": FACILITIES,
        "standards": CONNECTOR_TYPES,
        "parking_restrictions": shared.ParkingRestriction.__args__,
        "image_categories": ImageCategory.__args__,
        "environmental_impact_categories": shared.EnvironmentalImpactCategory.__args__,
    }

    def from_wire(self, data, *, level: str = "location", owner: tuple[str, str] | None = None) -> dict:
        """2.1.1 objects take their owner from the URL or connection; 2.1.1 publishes all it sends."""
        fields = super().from_wire(data, level=level)
        if level == "location":
            fields.update(publish=True, publish_allowed_to=[], state="")
            if owner is not None:
                fields["country_code"], fields["party_id"] = owner
        return fields

    def read_location_field(self, fields: dict, name: str, value) -> None:
        if name == "type":
            fields["parking_type"] = value if value in PARKING_TYPES else ""
            fields["location_type"] = "" if value in PARKING_TYPES else value
        elif name == "opening_times":
            fields["opening_times"] = _hours_internal(value) if value else None
            fields["opening_times_211"] = dump(value)
        elif name == "energy_mix":
            fields[name] = energy_mix_from_wire(value) if value else None
        else:
            super().read_location_field(fields, name, value)

    def read_connector_field(self, fields: dict, name: str, value) -> None:
        if name == "voltage":
            fields["max_voltage"] = value
        elif name == "amperage":
            fields["max_amperage"] = value
        elif name == "tariff_id":
            fields["tariff_ids"] = [value] if value else []
        else:
            super().read_connector_field(fields, name, value)

    def location_fields_to_wire(self, location) -> dict:
        if location.parking_type:
            wire = {"type": location.parking_type if location.parking_type in PARKING_TYPES else "OTHER"}
        else:
            wire = {"type": location.location_type or "UNKNOWN"}
        wire["address"] = location.address[:45]
        wire["postal_code"] = location.postal_code
        put(wire, "time_zone", location.time_zone)
        put(wire, "opening_times", _hours_to_wire(location))
        put(wire, "energy_mix", self.energy_mix_to_wire(location.energy_mix))
        return wire

    def connector_fields_to_wire(self, wire: dict, connector) -> None:
        wire["power_type"] = connector.power_type if connector.power_type in POWER_TYPES else "AC_1_PHASE"
        wire["voltage"] = connector.max_voltage
        wire["amperage"] = connector.max_amperage
        if connector.tariff_ids:
            wire["tariff_id"] = connector.tariff_ids[0]

    def energy_mix_to_wire(self, mix: dict | None) -> dict | None:
        return energy_mix_to_wire(super().energy_mix_to_wire(mix))

    def coordinates_to_wire(self, latitude: str, longitude: str) -> dict:
        return {"latitude": _six_decimals(latitude), "longitude": _six_decimals(longitude)}

    def owner_of(self, data) -> tuple[str, str] | None:
        return None

    def may_see(self, location) -> bool:
        """A 2.1.1 partner cannot honour publish=false, so it never gets such a location."""
        return location.publish
