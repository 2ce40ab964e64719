"""2.2.1 Sessions (mod_sessions): what 2.2.1 defines its own way (roaming.ocpi.shared.sessions has the rest).

Owner fields, `start_date_time`/`end_date_time`, the CdrToken for 2.1.1's auth_id, the location, EVSE and
connector ids for 2.1.1's embedded Location, authorization_reference, total_cost as a Price; COMMAND and
RESERVATION; tariff_id in charging periods and the dimension types 2.2.1 has; ChargingPreferences.
A PATCH's charging_periods are added to the stored ones (VERSION-DIFFERENCES 7).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roaming.ocpi.common import dump, owner_from_body, put
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.shared import sessions as shared
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, Number, WireModel, validate
from roaming.ocpi.v2_2_1.tariffs import Price, price_to_wire
from roaming.ocpi.v2_2_1.tokens import ProfileType, TokenType

AuthMethod = Literal[shared.AUTH_METHODS + ("COMMAND",)]
SessionStatus = Literal[shared.SESSION_STATUSES + ("RESERVATION",)]
CdrDimensionType = Literal[
    shared.CDR_DIMENSION_TYPES
    + (
        "CURRENT",
        "ENERGY_EXPORT",
        "ENERGY_IMPORT",
        "MAX_POWER",
        "MIN_POWER",
        "POWER",
        "RESERVATION_TIME",
        "STATE_OF_CHARGE",
    )
]


class CdrToken(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    uid: CiString(36)
    type: TokenType
    contract_id: CiString(36)


class CdrDimension(shared.CdrDimension):
    type: CdrDimensionType


class ChargingPeriod(shared.ChargingPeriod):
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]
    tariff_id: CiString(36) | None = None


class SessionWire(shared.Session):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString(36) | None = None
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)
    charging_periods: list[ChargingPeriod] = []
    total_cost: Price | None = None
    status: SessionStatus


ChargingPreferencesResponse = Literal[
    "ACCEPTED", "DEPARTURE_REQUIRED", "ENERGY_NEED_REQUIRED", "NOT_POSSIBLE", "PROFILE_TYPE_NOT_SUPPORTED"
]


class ChargingPreferences(WireModel):
    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    discharge_allowed: bool | None = None


class Sessions(shared.Sessions):
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = SessionWire
    preferences_schema = ChargingPreferences
    dimension_types = CdrDimensionType.__args__
    #: A PATCH's charging_periods are added to the stored ones (mod_sessions PATCH).
    patch_appends_charging_periods = True
    supports_charging_preferences = True
    #: mod_sessions PATCH: last_updated required.
    patch_requires = ("last_updated",)

    def fields_to_wire(self, session) -> dict:
        wire = {
            "country_code": session.country_code,
            "party_id": session.party_id,
            "start_date_time": format_datetime(session.start_date_time),
        }
        if session.end_date_time:
            wire["end_date_time"] = format_datetime(session.end_date_time)
        wire["cdr_token"] = session.cdr_token
        wire["auth_method"] = session.auth_method
        put(wire, "authorization_reference", session.authorization_reference)
        wire.update(location_id=session.location_id, evse_uid=session.evse_uid, connector_id=session.connector_id)
        put(wire, "total_cost", price_to_wire(session.total_cost))
        wire["status"] = session.status
        return wire

    def read_field(self, internal: dict, name: str, value, *, token_owner) -> None:
        if name in ("country_code", "party_id"):
            internal[name] = value.upper()
        elif name in ("cdr_token", "total_cost"):
            internal[name] = dump(value)
        elif name in ("start_date_time", "end_date_time"):
            internal[name] = value
        else:
            super().read_field(internal, name, value, token_owner=token_owner)

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
