"""2.2.1 CDRs (mod_cdrs): CDR, CdrLocation, SignedData, and translators.

Internal tariffs are the tariffs module's internal dicts (JSON-safe); sub-objects keep their
2.2.1 shape.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated

from pydantic import Field

from roaming.ocpi.common import (
    AuthMethod221,
    dump,
    dump_list,
    fields_of,
    jsonable,
    owner_from_body,
    put,
    put_list,
)
from roaming.ocpi.shared.locations import ConnectorFormat
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, Number, String, WireModel, validate
from roaming.ocpi.v2_2_1 import dialect
from roaming.ocpi.v2_2_1.locations import ConnectorType, GeoLocation, PowerType
from roaming.ocpi.v2_2_1.sessions import CdrToken, ChargingPeriod, periods_to_wire
from roaming.ocpi.v2_2_1.tariffs import Price, TariffWire

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


class CdrWire(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(39)
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString(36) | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod221
    authorization_reference: CiString(36) | None = None
    cdr_location: CdrLocation
    meter_id: String(255) | None = None
    currency: String(3)
    tariffs: list[TariffWire] = []
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String(255) | None = None
    invoice_reference_id: CiString(39) | None = None
    credit: bool | None = None
    credit_reference_id: CiString(39) | None = None
    home_charging_compensation: bool | None = None
    last_updated: DateTime


@dialect.register("cdrs")
class Cdrs:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = CdrWire
    #: 2.2.1 can express credit CDRs.
    carries_credit = True

    def to_wire(self, cdr) -> dict:
        tariffs = dialect.module("tariffs")
        wire = {
            "country_code": cdr.country_code,
            "party_id": cdr.party_id,
            "id": cdr.cdr_id,
            "start_date_time": format_datetime(cdr.start_date_time),
            "end_date_time": format_datetime(cdr.end_date_time),
        }
        put(wire, "session_id", cdr.session_id)
        wire["cdr_token"] = cdr.cdr_token
        wire["auth_method"] = cdr.auth_method
        put(wire, "authorization_reference", cdr.authorization_reference)
        wire["cdr_location"] = cdr.cdr_location
        put(wire, "meter_id", cdr.meter_id)
        wire["currency"] = cdr.currency
        put_list(wire, "tariffs", [tariffs.to_wire(SimpleNamespace(**t)) for t in cdr.tariffs])
        wire["charging_periods"] = periods_to_wire(cdr.charging_periods)
        put(wire, "signed_data", cdr.signed_data)
        wire["total_cost"] = cdr.total_cost
        put(wire, "total_fixed_cost", cdr.total_fixed_cost)
        wire["total_energy"] = float(cdr.total_energy)
        put(wire, "total_energy_cost", cdr.total_energy_cost)
        wire["total_time"] = float(cdr.total_time)
        put(wire, "total_time_cost", cdr.total_time_cost)
        if cdr.total_parking_time is not None:
            wire["total_parking_time"] = float(cdr.total_parking_time)
        put(wire, "total_parking_cost", cdr.total_parking_cost)
        put(wire, "total_reservation_cost", cdr.total_reservation_cost)
        put(wire, "remark", cdr.remark)
        put(wire, "invoice_reference_id", cdr.invoice_reference_id)
        put(wire, "credit", cdr.credit)
        put(wire, "credit_reference_id", cdr.credit_reference_id)
        put(wire, "home_charging_compensation", cdr.home_charging_compensation)
        wire["last_updated"] = format_datetime(cdr.last_updated)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        wire = validate(CdrWire, data)
        internal = {}
        tariffs = dialect.module("tariffs")
        for name, value in fields_of(wire).items():
            if name == "id":
                internal["cdr_id"] = value
            elif name == "tariffs":
                internal[name] = [
                    jsonable(tariffs.from_wire(t.model_dump(mode="json", exclude_defaults=True))) for t in value
                ]
            elif name == "charging_periods":
                internal[name] = dump_list(value)
            elif name in ("cdr_token", "cdr_location", "signed_data", *PRICES):
                internal[name] = dump(value)
            elif name in ("country_code", "party_id"):
                internal[name] = value.upper()
            elif name in (
                "start_date_time",
                "end_date_time",
                "total_energy",
                "total_time",
                "total_parking_time",
                "credit",
                "home_charging_compensation",
                "last_updated",
            ):
                internal[name] = value
            else:
                internal[name] = value or ""
        internal["location_211"] = None
        return internal

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)
