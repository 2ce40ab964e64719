"""2.2.1 CDRs (mod_cdrs): what 2.2.1 defines its own way (roaming.ocpi.shared.cdrs has the rest).

Owner fields, `end_date_time` (2.1.1's stop_date_time), session_id, the CdrToken, authorization_reference,
the CdrLocation for 2.1.1's embedded Location, SignedData, costs as Prices and their breakdown, the
invoice and credit fields, home_charging_compensation; CDR ids of 39 (VERSION-DIFFERENCES 8).
Sub-objects keep their 2.2.1 shape.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from roaming.ocpi.common import dump, owner_from_body, put
from roaming.ocpi.shared import cdrs as shared
from roaming.ocpi.shared.locations import ConnectorFormat
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, GeoLocation, String, WireModel
from roaming.ocpi.v2_2_1.locations import ConnectorType, PowerType
from roaming.ocpi.v2_2_1.sessions import AuthMethod, CdrToken, ChargingPeriod
from roaming.ocpi.v2_2_1.tariffs import Price, TariffWire, price_to_wire

PRICES = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


class CdrLocation(WireModel):
    id: CiString(36)
    name: String(255) | None = None
    address: String(45)
    city: String(45)
    postal_code: String(10) | None = None
    state: String(20) | None = None
    country: String(3)
    coordinates: GeoLocation
    evse_uid: CiString(36)
    evse_id: CiString(48)
    connector_id: CiString(36)
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(WireModel):
    nature: CiString(32)
    plain_data: String(5000)  # 512 in 2.2.1-d2, 5000 by the erratum
    signed_data: String(5000)


class SignedData(WireModel):
    encoding_method: CiString(36)
    encoding_method_version: int | None = None
    public_key: String(512) | None = None
    signed_values: Annotated[list[SignedValue], Field(min_length=1)]
    url: String(512) | None = None


class CdrWire(shared.Cdr):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(39)
    end_date_time: DateTime
    session_id: CiString(36) | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString(36) | None = None
    cdr_location: CdrLocation
    tariffs: list[TariffWire] = []
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy_cost: Price | None = None
    total_time_cost: Price | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    invoice_reference_id: CiString(39) | None = None
    credit: bool | None = None
    credit_reference_id: CiString(39) | None = None
    home_charging_compensation: bool | None = None


class Cdrs(shared.Cdrs):
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = CdrWire
    #: 2.2.1 can express credit CDRs.
    carries_credit = True

    def fields_to_wire(self, cdr) -> dict:
        wire = {"country_code": cdr.country_code, "party_id": cdr.party_id}
        wire["end_date_time"] = format_datetime(cdr.end_date_time)
        put(wire, "session_id", cdr.session_id)
        wire["cdr_token"] = cdr.cdr_token
        wire["auth_method"] = cdr.auth_method
        put(wire, "authorization_reference", cdr.authorization_reference)
        wire["cdr_location"] = cdr.cdr_location
        put(wire, "signed_data", cdr.signed_data)
        wire["total_cost"] = price_to_wire(cdr.total_cost)
        for price in PRICES[1:]:
            put(wire, price, price_to_wire(getattr(cdr, price)))
        put(wire, "invoice_reference_id", cdr.invoice_reference_id)
        put(wire, "credit", cdr.credit)
        put(wire, "credit_reference_id", cdr.credit_reference_id)
        put(wire, "home_charging_compensation", cdr.home_charging_compensation)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        internal = super().from_wire(data, owner=owner, token_owner=token_owner)
        internal["location_211"] = None
        return internal

    def read_field(self, internal: dict, name: str, value, *, owner, token_owner) -> None:
        if name in ("country_code", "party_id"):
            internal[name] = value.upper()
        elif name in ("cdr_token", "cdr_location", "signed_data", *PRICES):
            internal[name] = dump(value)
        elif name in ("end_date_time", "credit", "home_charging_compensation"):
            internal[name] = value
        else:
            super().read_field(internal, name, value, owner=owner, token_owner=token_owner)

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)
