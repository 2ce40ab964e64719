"""2.1.1 Tokens (mod_tokens.md): Token, AuthorizationInfo and LocationReferences, and their translators.

VERSION-DIFFERENCES 10: `auth_id` is 2.2.1's `contract_id`; owner fields travel in URL segments;
`group_id`, `default_profile_type` and `energy_contract` are dropped; types AD_HOC_USER and
APP_USER are sent as OTHER; AuthorizationInfo carries no token and no authorization_reference;
LocationReferences may name connectors.
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.common import AllowedType, WhitelistType, fields_of, put
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import DateTime, DisplayText, String, WireModel, validate, validate_partial
from roaming.ocpi.v2_1_1 import dialect

TokenType = Literal["OTHER", "RFID"]


class TokenWire(WireModel):
    uid: String(36)
    type: TokenType
    auth_id: String(36)
    visual_number: String(64) | None = None
    issuer: String(64)
    valid: bool
    whitelist: WhitelistType
    language: String(2) | None = None
    last_updated: DateTime


class LocationReferences(WireModel):
    location_id: String(39)
    evse_uids: list[String(39)] = []
    connector_ids: list[String(36)] = []


class AuthorizationInfoWire(WireModel):
    allowed: AllowedType
    location: LocationReferences | None = None
    info: DisplayText | None = None


def _internal(values: dict) -> dict:
    internal = {}
    for name, value in values.items():
        if name == "auth_id":
            internal["contract_id"] = value
        elif name in ("valid", "last_updated"):
            internal[name] = value
        else:
            internal[name] = value or ""
    return internal


@dialect.register("tokens")
class Tokens:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = TokenWire
    location_references_schema = LocationReferences
    authorization_schema = AuthorizationInfoWire
    types = TokenType.__args__
    #: Receiver URLs name no type (mod_tokens.md 2.1): a token is its uid, its type is in the body.
    type_in_url = False
    #: Internal field → the 2.1.1 field carrying it, so a PATCH sends what changed under its 2.1.1 name.
    wire_names = {"contract_id": "auth_id"}

    def to_wire(self, token) -> dict:
        wire = {
            "uid": token.uid,
            "type": token.type if token.type in self.types else "OTHER",
            "auth_id": token.contract_id,
        }
        put(wire, "visual_number", token.visual_number)
        wire["issuer"] = token.issuer
        wire["valid"] = token.valid
        wire["whitelist"] = token.whitelist
        put(wire, "language", token.language)
        wire["last_updated"] = format_datetime(token.last_updated)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        internal = _internal(fields_of(validate(TokenWire, data)))
        internal.update(group_id="", default_profile_type="", energy_contract=None)
        if owner is not None:
            internal["country_code"], internal["party_id"] = owner
        return internal

    def patch_from_wire(self, data) -> dict:
        return _internal(validate_partial(TokenWire, data))

    def owner_of(self, data) -> tuple[str, str] | None:
        return None

    def location_references_from_wire(self, data) -> dict | None:
        if data is None or data == {}:
            return None
        refs = validate(LocationReferences, data)
        return {
            "location_id": refs.location_id,
            "evse_uids": list(refs.evse_uids),
            "connector_ids": list(refs.connector_ids),
        }

    def authorization_to_wire(self, result) -> dict:
        wire = {"allowed": result.allowed}
        if result.location:
            wire["location"] = {k: v for k, v in result.location.items() if v}
        put(wire, "info", result.info)
        return wire

    def authorization_from_wire(self, data) -> dict:
        info = validate(AuthorizationInfoWire, data)
        return {"allowed": info.allowed, "authorization_reference": ""}
