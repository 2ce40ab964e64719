"""2.2.1 Tokens (mod_tokens): Token, AuthorizationInfo and LocationReferences, and their translators."""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.common import AllowedType, WhitelistType, dump, fields_of, owner_from_body, put
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, DisplayText, String, WireModel, validate, validate_partial
from roaming.ocpi.v2_2_1 import dialect

TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]


class EnergyContract(WireModel):
    supplier_name: String(64)
    contract_id: String(64) | None = None


class TokenWire(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    uid: CiString(36)
    type: TokenType
    contract_id: CiString(36)
    visual_number: String(64) | None = None
    issuer: String(64)
    group_id: CiString(36) | None = None
    valid: bool
    whitelist: WhitelistType
    language: String(2) | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class LocationReferences(WireModel):
    location_id: CiString(36)
    evse_uids: list[CiString(36)] = []


class AuthorizationInfoWire(WireModel):
    allowed: AllowedType
    token: TokenWire
    location: LocationReferences | None = None
    authorization_reference: CiString(36) | None = None
    info: DisplayText | None = None


def _internal(values: dict) -> dict:
    internal = {}
    for name, value in values.items():
        if name == "energy_contract":
            internal[name] = dump(value)
        elif name in ("valid", "last_updated"):
            internal[name] = value
        elif name in ("country_code", "party_id"):
            internal[name] = value.upper()
        else:
            internal[name] = value or ""
    return internal


def token_to_wire(token) -> dict:
    wire = {
        "country_code": token.country_code,
        "party_id": token.party_id,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
    }
    put(wire, "visual_number", token.visual_number)
    wire["issuer"] = token.issuer
    put(wire, "group_id", token.group_id)
    wire["valid"] = token.valid
    wire["whitelist"] = token.whitelist
    put(wire, "language", token.language)
    put(wire, "default_profile_type", token.default_profile_type)
    put(wire, "energy_contract", token.energy_contract)
    wire["last_updated"] = format_datetime(token.last_updated)
    return wire


@dialect.register("tokens")
class Tokens:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = TokenWire
    location_references_schema = LocationReferences
    authorization_schema = AuthorizationInfoWire
    #: Token types a connection of this version can name (the ?type= of token URLs).
    types = TokenType.__args__
    #: Receiver URLs name the token's type in ?type=, RFID when absent (mod_tokens Receiver interface).
    type_in_url = True
    #: Internal fields carry their 2.2.1 names.
    wire_names: dict[str, str] = {}

    def to_wire(self, token) -> dict:
        return token_to_wire(token)

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        return _internal(fields_of(validate(TokenWire, data)))

    def patch_from_wire(self, data) -> dict:
        return _internal(validate_partial(TokenWire, data, required=("last_updated",)))

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)

    def location_references_from_wire(self, data) -> dict | None:
        if data is None or data == {}:
            return None
        refs = validate(LocationReferences, data)
        return {"location_id": refs.location_id, "evse_uids": list(refs.evse_uids), "connector_ids": []}

    def authorization_to_wire(self, result) -> dict:
        wire = {"allowed": result.allowed, "token": token_to_wire(result.token)}
        if result.location:
            wire["location"] = {"location_id": result.location["location_id"]}
            if result.location["evse_uids"]:
                wire["location"]["evse_uids"] = result.location["evse_uids"]
        put(wire, "authorization_reference", result.authorization_reference)
        put(wire, "info", result.info)
        return wire

    def authorization_from_wire(self, data) -> dict:
        info = validate(AuthorizationInfoWire, data)
        return {"allowed": info.allowed, "authorization_reference": info.authorization_reference or ""}
