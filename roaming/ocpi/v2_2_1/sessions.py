"""2.2.1 Sessions (mod_sessions): Session, CdrToken, ChargingPeriod, ChargingPreferences, and translators."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roaming.ocpi.common import (
    AuthMethod221,
    SessionStatus221,
    dump,
    dump_list,
    fields_of,
    owner_from_body,
    put,
    put_list,
)
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import format_datetime, rewrite_datetime
from roaming.ocpi.types import CiString, DateTime, Number, String, WireModel, validate, validate_partial
from roaming.ocpi.v2_2_1 import dialect
from roaming.ocpi.v2_2_1.tariffs import Price
from roaming.ocpi.v2_2_1.tokens import TokenType

CdrDimensionType = Literal[
    "CURRENT",
    "ENERGY",
    "ENERGY_EXPORT",
    "ENERGY_IMPORT",
    "MAX_CURRENT",
    "MIN_CURRENT",
    "MAX_POWER",
    "MIN_POWER",
    "PARKING_TIME",
    "POWER",
    "RESERVATION_TIME",
    "STATE_OF_CHARGE",
    "TIME",
]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]


class CdrToken(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    uid: CiString(36)
    type: TokenType
    contract_id: CiString(36)


class CdrDimension(WireModel):
    type: CdrDimensionType
    volume: Number


class ChargingPeriod(WireModel):
    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]
    tariff_id: CiString(36) | None = None


class SessionWire(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod221
    authorization_reference: CiString(36) | None = None
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)
    meter_id: String(255) | None = None
    currency: String(3)
    charging_periods: list[ChargingPeriod] = []
    total_cost: Price | None = None
    status: SessionStatus221
    last_updated: DateTime


ChargingPreferencesResponse = Literal[
    "ACCEPTED", "DEPARTURE_REQUIRED", "ENERGY_NEED_REQUIRED", "NOT_POSSIBLE", "PROFILE_TYPE_NOT_SUPPORTED"
]


class ChargingPreferences(WireModel):
    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    discharge_allowed: bool | None = None


def periods_to_wire(periods: list[dict]) -> list[dict]:
    """Charging periods with only the dimensions 2.2.1 knows (2.1.1's FLAT is left out); empty ones left out."""
    wire = []
    for period in periods:
        dimensions = [d for d in period["dimensions"] if d["type"] in CdrDimensionType.__args__]
        if dimensions:
            wire.append(
                {**period, "start_date_time": rewrite_datetime(period["start_date_time"]), "dimensions": dimensions}
            )
    return wire


def _internal(values: dict) -> dict:
    internal = {}
    for name, value in values.items():
        if name == "id":
            internal["session_id"] = value
        elif name == "cdr_token":
            internal[name] = dump(value)
        elif name == "charging_periods":
            internal[name] = dump_list(value)
        elif name == "total_cost":
            internal[name] = dump(value)
        elif name in ("start_date_time", "end_date_time", "kwh", "last_updated"):
            internal[name] = value
        elif name in ("country_code", "party_id"):
            internal[name] = value.upper()
        else:
            internal[name] = value or ""
    return internal


@dialect.register("sessions")
class Sessions:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = SessionWire
    preferences_schema = ChargingPreferences
    #: A PATCH's charging_periods are added to the stored ones (mod_sessions PATCH).
    patch_appends_charging_periods = True
    supports_charging_preferences = True
    #: Internal fields carry their 2.2.1 names.
    wire_names: dict[str, str] = {}

    def to_wire(self, session) -> dict:
        wire = {
            "country_code": session.country_code,
            "party_id": session.party_id,
            "id": session.session_id,
            "start_date_time": format_datetime(session.start_date_time),
        }
        if session.end_date_time:
            wire["end_date_time"] = format_datetime(session.end_date_time)
        wire["kwh"] = float(session.kwh)
        wire["cdr_token"] = session.cdr_token
        wire["auth_method"] = session.auth_method
        put(wire, "authorization_reference", session.authorization_reference)
        wire.update(location_id=session.location_id, evse_uid=session.evse_uid, connector_id=session.connector_id)
        put(wire, "meter_id", session.meter_id)
        wire["currency"] = session.currency
        put_list(wire, "charging_periods", periods_to_wire(session.charging_periods))
        put(wire, "total_cost", session.total_cost)
        wire["status"] = session.status
        wire["last_updated"] = format_datetime(session.last_updated)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        return _internal(fields_of(validate(SessionWire, data)))

    def patch_from_wire(self, data, *, token_owner=None) -> dict:
        return _internal(validate_partial(SessionWire, data, required=("last_updated",)))

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)

    def charging_preferences_from_wire(self, data) -> dict:
        return dump(validate(ChargingPreferences, data))

    def charging_preferences_to_wire(self, preferences: dict) -> dict:
        """Internal preferences (the 2.2.1 shape, as stored) to the wire, validated as we would validate theirs."""
        return dump(validate(ChargingPreferences, preferences))

    def charging_preferences_response_from_wire(self, data) -> str:
        """The CPO's ChargingPreferencesResponse (a bare enum value in `data`)."""
        if data not in ChargingPreferencesResponse.__args__:
            raise InvalidParameters(f"data: {data!r} is not a ChargingPreferencesResponse")
        return data
