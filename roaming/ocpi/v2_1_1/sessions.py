"""2.1.1 Sessions (mod_sessions.md) and translators.

VERSION-DIFFERENCES 7: `auth_id` is the cdr_token's contract_id (the token's owner is the eMSP of
the connection; its uid and type are filled from the token store by the service when known);
`start_datetime`/`end_datetime` are renamed; the session embeds a whole Location with only its
EVSE and connector (kept as received, in our own writing: no nulls, timestamps in UTC with Z; built
from the stored location when there is none);
`total_cost` is a number excluding VAT; RESERVATION is sent as PENDING, COMMAND as AUTH_REQUEST;
charging-period dimensions 2.1.1 does not know, and tariff_id, are left out. PATCH lists replace.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roaming.ocpi.common import dump, put, put_list
from roaming.ocpi.timestamps import format_datetime, rewrite_datetime
from roaming.ocpi.types import DateTime, Number, String, WireModel, validate, validate_partial
from roaming.ocpi.v2_1_1 import dialect
from roaming.ocpi.v2_1_1.locations import LocationWire

AuthMethod = Literal["AUTH_REQUEST", "WHITELIST"]
SessionStatus = Literal["ACTIVE", "COMPLETED", "INVALID", "PENDING"]
CdrDimensionType = Literal["ENERGY", "FLAT", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"]


class CdrDimension(WireModel):
    type: CdrDimensionType
    volume: Number


class ChargingPeriod(WireModel):
    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]  # "+" in mod_cdrs 4.4


class SessionWire(WireModel):
    id: String(36)
    start_datetime: DateTime
    end_datetime: DateTime | None = None
    kwh: Number
    auth_id: String(36)
    auth_method: AuthMethod
    location: LocationWire
    meter_id: String(255) | None = None
    currency: String(3)
    charging_periods: list[ChargingPeriod] = []
    total_cost: Number | None = None
    status: SessionStatus
    last_updated: DateTime


def periods_to_wire(periods: list[dict]) -> list[dict]:
    """Charging periods with only the dimensions 2.1.1 knows, and no tariff_id; empty periods left out."""
    wire = []
    for period in periods:
        dimensions = [d for d in period["dimensions"] if d["type"] in CdrDimensionType.__args__]
        if dimensions:
            wire.append({"start_date_time": rewrite_datetime(period["start_date_time"]), "dimensions": dimensions})
    return wire


def _internal(values: dict, *, token_owner) -> dict:
    internal = {}
    for name, value in values.items():
        if name == "id":
            internal["session_id"] = value
        elif name == "start_datetime":
            internal["start_date_time"] = value
        elif name == "end_datetime":
            internal["end_date_time"] = value
        elif name == "auth_id":
            owner = token_owner or ("", "")
            internal["cdr_token"] = {
                "country_code": owner[0],
                "party_id": owner[1],
                "uid": value,
                "type": "OTHER",
                "contract_id": value,
            }
        elif name == "charging_periods":
            internal[name] = [p.model_dump(mode="json", exclude_defaults=True) for p in value or []]
        elif name == "total_cost":
            internal[name] = None if value is None else {"excl_vat": float(value)}
        elif name in ("kwh", "last_updated"):
            internal[name] = value
        else:
            internal[name] = value or ""
    return internal


def _embedded_location(session) -> dict | None:
    if session.location_211:
        return session.location_211
    location = getattr(session, "location_object", None)
    if location is None:
        return None
    wire = dialect.module("locations").to_wire(location)
    evses = [e for e in wire.get("evses", []) if e["uid"].upper() == session.evse_uid.upper()]
    for evse in evses:
        evse["connectors"] = [c for c in evse["connectors"] if c["id"].upper() == session.connector_id.upper()]
    wire["evses"] = evses
    return wire


@dialect.register("sessions")
class Sessions:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = SessionWire
    patch_appends_charging_periods = False
    supports_charging_preferences = False
    #: Internal field → the 2.1.1 field carrying it, so a PATCH sends what changed under its 2.1.1 name.
    wire_names = {
        "start_date_time": "start_datetime",
        "end_date_time": "end_datetime",
        "cdr_token": "auth_id",
        "location_id": "location",
        "evse_uid": "location",
        "connector_id": "location",
    }

    def to_wire(self, session) -> dict:
        wire = {"id": session.session_id, "start_datetime": format_datetime(session.start_date_time)}
        if session.end_date_time:
            wire["end_datetime"] = format_datetime(session.end_date_time)
        wire["kwh"] = float(session.kwh)
        wire["auth_id"] = session.cdr_token["contract_id"]
        wire["auth_method"] = "AUTH_REQUEST" if session.auth_method == "COMMAND" else session.auth_method
        wire["location"] = _embedded_location(session)
        put(wire, "meter_id", session.meter_id)
        wire["currency"] = session.currency
        put_list(wire, "charging_periods", periods_to_wire(session.charging_periods))
        if session.total_cost is not None:
            wire["total_cost"] = session.total_cost["excl_vat"]
        wire["status"] = "PENDING" if session.status == "RESERVATION" else session.status
        wire["last_updated"] = format_datetime(session.last_updated)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        wire = validate(SessionWire, data)
        internal = _internal(
            {n: getattr(wire, n) for n in SessionWire.model_fields if n != "location"}, token_owner=token_owner
        )
        location = wire.location
        internal["location_211"] = dump(location)
        internal["location_id"] = location.id
        internal["evse_uid"] = location.evses[0].uid if location.evses else "#NA"
        internal["connector_id"] = location.evses[0].connectors[0].id if location.evses else "#NA"
        internal["authorization_reference"] = ""
        if owner is not None:
            internal["country_code"], internal["party_id"] = owner
        return internal

    def patch_from_wire(self, data, *, token_owner=None) -> dict:
        values = validate_partial(SessionWire, data)
        location = values.pop("location", None)
        internal = _internal(values, token_owner=token_owner)
        if location is not None:
            internal["location_211"] = dump(location)
        return internal

    def owner_of(self, data) -> tuple[str, str] | None:
        return None
