"""2.2.1 Locations (mod_locations): what 2.2.1 defines its own way (roaming.ocpi.shared.locations has the rest).

Owner fields, publish and publish_allowed_to in the Location; CiString ids of 36; coordinates of 5 to
7 decimals (roaming.ocpi.types.GeoLocation); enum values added to 2.1.1's; parking_type for 2.1.1's
type; state, and time_zone required; Hours always with twentyfourseven; EnvironmentalImpact's
`category`; Connector max_voltage, max_amperage, max_electric_power and tariff_ids (VERSION-DIFFERENCES 6).
Values of 2.3.0's open vocabularies that 2.2.1 does not name are left out (known_values).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from roaming.ocpi.common import ImageCategory, dump, dump_list, owner_from_body, put, put_list
from roaming.ocpi.shared import locations as shared
from roaming.ocpi.types import CiString, DisplayText, GeoLocation, NonNegativeInt, Number, String, WireModel

ConnectorType = Literal[
    shared.CONNECTOR_TYPES
    + (
        "CHAOJI",
        "DOMESTIC_M",
        "DOMESTIC_N",
        "DOMESTIC_O",
        "GBT_AC",
        "GBT_DC",
        "NEMA_5_20",
        "NEMA_6_30",
        "NEMA_6_50",
        "NEMA_10_30",
        "NEMA_10_50",
        "NEMA_14_30",
        "NEMA_14_50",
        "PANTOGRAPH_BOTTOM_UP",
        "PANTOGRAPH_TOP_DOWN",
    )
]
PowerType = Literal[shared.POWER_TYPES + ("AC_2_PHASE", "AC_2_PHASE_SPLIT")]
Capability = Literal[
    shared.CAPABILITIES
    + (
        "CHARGING_PREFERENCES_CAPABLE",
        "CHIP_CARD_SUPPORT",
        "CONTACTLESS_CARD_SUPPORT",
        "DEBIT_CARD_PAYABLE",
        "PED_TERMINAL",
        "START_SESSION_CONNECTOR_REQUIRED",
        "TOKEN_GROUP_CAPABLE",
    )
]
Facility = Literal[shared.FACILITIES + ("BIKE_SHARING", "TRAM_STOP", "METRO_STATION", "PARKING_LOT")]
ParkingType = Literal[shared.PARKING_TYPES + ("ALONG_MOTORWAY", "ON_DRIVEWAY")]
TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
Id36 = CiString(36)


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


class Hours(shared.Hours):
    twentyfourseven: bool

    @model_validator(mode="after")
    def regular_hours_only_when_not_always_open(self):
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("regular_hours must be empty when twentyfourseven is true")
        return self


class EnvironmentalImpact(WireModel):
    category: shared.EnvironmentalImpactCategory
    amount: Number


class EnergyMix(shared.EnergyMix):
    environ_impact: list[EnvironmentalImpact] = []


class ConnectorWire(shared.Connector):
    id: Id36
    standard: ConnectorType
    power_type: PowerType
    max_voltage: NonNegativeInt
    max_amperage: NonNegativeInt
    max_electric_power: NonNegativeInt | None = None
    tariff_ids: list[Id36] = []


class EvseWire(shared.Evse):
    uid: Id36
    evse_id: CiString(48) | None = None
    capabilities: list[Capability] = []
    connectors: Annotated[list[ConnectorWire], Field(min_length=1)]
    coordinates: GeoLocation | None = None


class LocationWire(shared.Location):
    country_code: CiString(2)
    party_id: CiString(3)
    id: Id36
    publish: bool
    publish_allowed_to: list[PublishTokenType] = []
    address: String(255)  # 45 in 2.2.1-d2, 255 by the erratum
    postal_code: String(10) | None = None
    state: String(45) | None = None  # 20 in 2.2.1-d2, 45 by the erratum
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = []
    parking_type: ParkingType | None = None
    evses: list[EvseWire] = []
    facilities: list[Facility] = []
    time_zone: String(255)
    opening_times: Hours | None = None
    energy_mix: EnergyMix | None = None

    @model_validator(mode="after")
    def publish_allowed_to_only_when_unpublished(self):
        if self.publish and self.publish_allowed_to:
            raise ValueError("publish_allowed_to may only be used when publish is false")
        return self


class Locations(shared.Locations):
    schemas = {"location": LocationWire, "evse": EvseWire, "connector": ConnectorWire}
    known_values = {
        "capabilities": Capability.__args__,
        "facilities": Facility.__args__,
        "standards": ConnectorType.__args__,
        "parking_types": ParkingType.__args__,
        "parking_restrictions": shared.ParkingRestriction.__args__,
        "image_categories": ImageCategory.__args__,
        "environmental_impact_categories": shared.EnvironmentalImpactCategory.__args__,
        "token_types": TokenType.__args__,
    }
    #: mod_locations PATCH: last_updated required.
    patch_requires = ("last_updated",)

    def read_location_field(self, fields: dict, name: str, value) -> None:
        if name in ("country_code", "party_id"):
            fields[name] = value.upper()
        elif name == "publish":
            fields[name] = value
        elif name == "publish_allowed_to":
            fields[name] = dump_list(value)
        elif name == "parking_type":
            fields["parking_type"], fields["location_type"] = value or "", ""
        elif name == "opening_times":
            # A 2.1.1 partner's own form of the hours no longer holds.
            fields["opening_times"], fields["opening_times_211"] = dump(value), None
        elif name == "energy_mix":
            fields[name] = dump(value)
        else:
            super().read_location_field(fields, name, value)

    def read_connector_field(self, fields: dict, name: str, value) -> None:
        if name in ("max_voltage", "max_amperage", "max_electric_power"):
            fields[name] = value
        elif name == "tariff_ids":
            fields[name] = list(value or [])
        else:
            super().read_connector_field(fields, name, value)

    def location_fields_to_wire(self, location) -> dict:
        wire = {"country_code": location.country_code, "party_id": location.party_id, "publish": location.publish}
        # An entry naming a token type the version cannot name is left out: the location is shown to fewer.
        if location.publish_allowed_to:
            allowed = [
                p for p in location.publish_allowed_to if "type" not in p or self.is_known("token_types", p["type"])
            ]
            put_list(wire, "publish_allowed_to", allowed)
        wire["address"] = location.address
        put(wire, "postal_code", location.postal_code)
        put(wire, "state", location.state)
        if self.is_known("parking_types", location.parking_type):
            put(wire, "parking_type", location.parking_type)
        wire["time_zone"] = location.time_zone
        put(wire, "opening_times", location.opening_times)
        put(wire, "energy_mix", self.energy_mix_to_wire(location.energy_mix))
        return wire

    def connector_fields_to_wire(self, wire: dict, connector) -> None:
        wire["power_type"] = connector.power_type
        wire["max_voltage"] = connector.max_voltage
        wire["max_amperage"] = connector.max_amperage
        if connector.max_electric_power is not None:
            wire["max_electric_power"] = connector.max_electric_power
        if connector.tariff_ids:
            wire["tariff_ids"] = connector.tariff_ids

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)

    def may_see(self, location) -> bool:
        """publish=false hides a location unless publish_allowed_to names who may see it (the eMSP filters)."""
        return location.publish or bool(location.publish_allowed_to)
