"""2.1.1 Sessions (mod_sessions.md): what 2.1.1 defines its own way (roaming.ocpi.shared.sessions has the rest).

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

from roaming.ocpi.common import dump
from roaming.ocpi.shared import sessions as shared
from roaming.ocpi.timestamps import format_datetime, rewrite_datetime
from roaming.ocpi.types import DateTime, Number, String
from roaming.ocpi.v2_1_1.locations import LocationWire

AuthMethod = Literal[shared.AUTH_METHODS]
SessionStatus = Literal[shared.SESSION_STATUSES]
CdrDimensionType = Literal[shared.CDR_DIMENSION_TYPES + ("FLAT",)]


class CdrDimension(shared.CdrDimension):
    type: CdrDimensionType


class ChargingPeriod(shared.ChargingPeriod):
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]  # "+" in mod_cdrs 4.4


class SessionWire(shared.Session):
    id: String(36)
    start_datetime: DateTime
    end_datetime: DateTime | None = None
    auth_id: String(36)
    auth_method: AuthMethod
    location: LocationWire
    charging_periods: list[ChargingPeriod] = []
    total_cost: Number | None = None
    status: SessionStatus


def cdr_token_of(auth_id: str, token_owner: tuple[str, str] | None) -> dict:
    """The CdrToken of a 2.1.1 auth_id (its contract_id), owned by the connection's eMSP; uid and type unknown."""
    country_code, party_id = token_owner or ("", "")
    return {"country_code": country_code, "party_id": party_id, "uid": auth_id, "type": "OTHER", "contract_id": auth_id}


def price_from_number(value) -> dict | None:
    """A 2.1.1 cost (a number excluding VAT) as the internal Price."""
    return None if value is None else {"excl_vat": float(value)}


def auth_method_to_wire(auth_method: str) -> str:
    """COMMAND (2.2.1) as AUTH_REQUEST: the eMSP authorised it."""
    return "AUTH_REQUEST" if auth_method == "COMMAND" else auth_method


def _embedded_location(session, locations) -> dict | None:
    if session.location_211:
        return session.location_211
    location = getattr(session, "location_object", None)
    if location is None:
        return None
    wire = locations.to_wire(location)
    evses = [e for e in wire.get("evses", []) if e["uid"].upper() == session.evse_uid.upper()]
    for evse in evses:
        evse["connectors"] = [c for c in evse["connectors"] if c["id"].upper() == session.connector_id.upper()]
    wire["evses"] = evses
    return wire


class Sessions(shared.Sessions):
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = SessionWire
    dimension_types = CdrDimensionType.__args__
    patch_appends_charging_periods = False
    #: Internal field → the 2.1.1 field carrying it, so a PATCH sends what changed under its 2.1.1 name.
    wire_names = {
        "start_date_time": "start_datetime",
        "end_date_time": "end_datetime",
        "cdr_token": "auth_id",
        "location_id": "location",
        "evse_uid": "location",
        "connector_id": "location",
    }

    def fields_to_wire(self, session) -> dict:
        wire = {"start_datetime": format_datetime(session.start_date_time)}
        if session.end_date_time:
            wire["end_datetime"] = format_datetime(session.end_date_time)
        wire["auth_id"] = session.cdr_token["contract_id"]
        wire["auth_method"] = auth_method_to_wire(session.auth_method)
        wire["location"] = _embedded_location(session, self.dialect.module("locations"))
        if session.total_cost is not None:
            wire["total_cost"] = session.total_cost["excl_vat"]
        wire["status"] = "PENDING" if session.status == "RESERVATION" else session.status
        return wire

    def period_to_wire(self, period: dict, dimensions: list[dict]) -> dict:
        """No tariff_id: 2.1.1 periods do not say which tariff applies."""
        return {"start_date_time": rewrite_datetime(period["start_date_time"]), "dimensions": dimensions}

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        """The owner comes from the URL or the connection; the location, EVSE and connector ids from the
        embedded Location (#NA without an EVSE)."""
        internal = super().from_wire(data, token_owner=token_owner)
        location = internal["location_211"]
        evse = location["evses"][0] if location.get("evses") else None
        internal["location_id"] = location["id"]
        internal["evse_uid"] = evse["uid"] if evse else "#NA"
        internal["connector_id"] = evse["connectors"][0]["id"] if evse else "#NA"
        internal["authorization_reference"] = ""
        if owner is not None:
            internal["country_code"], internal["party_id"] = owner
        return internal

    def read_field(self, internal: dict, name: str, value, *, token_owner) -> None:
        if name == "start_datetime":
            internal["start_date_time"] = value
        elif name == "end_datetime":
            internal["end_date_time"] = value
        elif name == "auth_id":
            internal["cdr_token"] = cdr_token_of(value, token_owner)
        elif name == "location":
            internal["location_211"] = dump(value)
        elif name == "total_cost":
            internal[name] = price_from_number(value)
        else:
            super().read_field(internal, name, value, token_owner=token_owner)

    def owner_of(self, data) -> tuple[str, str] | None:
        return None
