"""2.3.0 Locations (mod_locations): what 2.3.0 adds to 2.2.1 (roaming.ocpi.v2_2_1.locations has the rest).

The Location's parking_places (Parking objects, with their VehicleTypes) and help_phone; the EVSE's
parking (EVSEParking references into parking_places) and accepted_service_providers; the Connector's
capabilities (ConnectorCapability); a publish_allowed_to entry's token type (TokenType, EMAID among
its values); MCS and SAE_J3400 connectors and the EMPLOYEES, TAXIS and TENANTS
parking restrictions. ConnectorType, Capability, ConnectorCapability, Facility, ParkingType,
ParkingRestriction, ImageCategory, EnvironmentalImpactCategory and VehicleType are OpenEnums: a value
of a partner's own is kept (the older versions leave out what they cannot name).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roaming.ocpi.common import BusinessDetails as BusinessDetails221
from roaming.ocpi.common import Image as Image221
from roaming.ocpi.common import dump_list, put, put_list
from roaming.ocpi.types import CiString, Number, String, WireModel
from roaming.ocpi.v2_2_1 import locations as v221
from roaming.ocpi.v2_3_0.tokens import TokenType
from roaming.ocpi.v2_3_0.types import OpenEnum

# OpenEnums, each no longer than the column keeping it (roaming.models.locations).
ConnectorType = OpenEnum((*v221.ConnectorType.__args__, "MCS", "SAE_J3400"), max_length=30)
Capability = OpenEnum(v221.Capability.__args__)
ConnectorCapability = OpenEnum(("ISO_15118_2_PLUG_AND_CHARGE", "ISO_15118_20_PLUG_AND_CHARGE"))
Facility = OpenEnum(v221.Facility.__args__)
ParkingType = OpenEnum(v221.ParkingType.__args__, max_length=20)
ParkingRestriction = OpenEnum(
    (*v221.shared.ParkingRestriction.__args__, "EMPLOYEES", "TAXIS", "TENANTS"),
)
ImageCategory = OpenEnum(Image221.model_fields["category"].annotation.__args__)
EnvironmentalImpactCategory = OpenEnum(v221.shared.EnvironmentalImpactCategory.__args__)
VehicleType = OpenEnum(
    (
        "MOTORCYCLE",
        "PERSONAL_VEHICLE",
        "PERSONAL_VEHICLE_WITH_TRAILER",
        "VAN",
        "SEMI_TRACTOR",
        "RIGID",
        "TRUCK_WITH_TRAILER",
        "BUS",
        "DISABLED",
    )
)
ParkingDirection = Literal["PARALLEL", "PERPENDICULAR", "ANGLE"]
EvsePosition = Literal["LEFT", "RIGHT", "CENTER"]
Id36 = CiString(36)


class PublishTokenType(v221.PublishTokenType):
    type: TokenType | None = None


class Image(Image221):
    category: ImageCategory


class BusinessDetails(BusinessDetails221):
    logo: Image | None = None


class EnvironmentalImpact(v221.EnvironmentalImpact):
    category: EnvironmentalImpactCategory


class EnergyMix(v221.EnergyMix):
    environ_impact: list[EnvironmentalImpact] = []


class Parking(WireModel):
    id: Id36
    physical_reference: String(12) | None = None
    vehicle_types: Annotated[list[VehicleType], Field(min_length=1)]
    max_vehicle_weight: Number | None = None
    max_vehicle_height: Number | None = None
    max_vehicle_length: Number | None = None
    max_vehicle_width: Number | None = None
    parking_space_length: Number | None = None
    parking_space_width: Number | None = None
    dangerous_goods_allowed: bool | None = None
    direction: ParkingDirection | None = None
    drive_through: bool | None = None
    restricted_to_type: bool
    reservation_required: bool
    time_limit: Number | None = None
    roofed: bool | None = None
    images: list[Image] = []
    lighting: bool | None = None
    refrigeration_outlet: bool | None = None
    standards: list[Id36] = []
    apds_reference: CiString(255) | None = None


class EvseParking(WireModel):
    parking_id: Id36
    evse_position: EvsePosition | None = None


class ConnectorWire(v221.ConnectorWire):
    standard: ConnectorType
    capabilities: list[ConnectorCapability] = []


class EvseWire(v221.EvseWire):
    capabilities: list[Capability] = []
    connectors: Annotated[list[ConnectorWire], Field(min_length=1)]
    parking_restrictions: list[ParkingRestriction] = []
    parking: list[EvseParking] = []
    images: list[Image] = []
    accepted_service_providers: list[String(50)] = []


class LocationWire(v221.LocationWire):
    publish_allowed_to: list[PublishTokenType] = []
    parking_type: ParkingType | None = None
    parking_places: list[Parking] = []
    evses: list[EvseWire] = []
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] = []
    images: list[Image] = []
    help_phone: CiString(25) | None = None
    energy_mix: EnergyMix | None = None


class Locations(v221.Locations):
    schemas = {"location": LocationWire, "evse": EvseWire, "connector": ConnectorWire}
    #: Every vocabulary is open: internal values are written as kept.
    known_values = {}
    #: 2.3.0 says every field.
    not_given = {}

    def read_location_field(self, fields: dict, name: str, value) -> None:
        if name == "parking_places":
            fields[name] = dump_list(value)
        elif name == "help_phone":
            fields[name] = value or ""
        else:
            super().read_location_field(fields, name, value)

    def read_evse_field(self, fields: dict, name: str, value) -> None:
        if name == "parking":
            fields[name] = dump_list(value)
        elif name == "accepted_service_providers":
            fields[name] = list(value or [])
        else:
            super().read_evse_field(fields, name, value)

    def read_connector_field(self, fields: dict, name: str, value) -> None:
        if name == "capabilities":
            fields[name] = list(value or [])
        else:
            super().read_connector_field(fields, name, value)

    def location_fields_to_wire(self, location) -> dict:
        wire = super().location_fields_to_wire(location)
        put_list(wire, "parking_places", location.parking_places)
        put(wire, "help_phone", location.help_phone)
        return wire

    def evse_to_wire(self, evse, connectors: list) -> dict | None:
        wire = super().evse_to_wire(evse, connectors)
        if wire is not None:
            put_list(wire, "parking", evse.parking)
            put_list(wire, "accepted_service_providers", evse.accepted_service_providers)
        return wire

    def connector_fields_to_wire(self, wire: dict, connector) -> None:
        super().connector_fields_to_wire(wire, connector)
        put_list(wire, "capabilities", connector.capabilities)
