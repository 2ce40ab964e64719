"""2.2.1 Tokens (mod_tokens): what 2.2.1 defines its own way (roaming.ocpi.shared.tokens has the rest).

Owner fields, `contract_id` (2.1.1's auth_id), group_id, default_profile_type and energy_contract in the
Token; AD_HOC_USER and APP_USER types, named in ?type=; the whole token and an authorization_reference
in AuthorizationInfo; LocationReferences without connector_ids (VERSION-DIFFERENCES 10).
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.common import dump, owner_from_body, put
from roaming.ocpi.shared import tokens as shared
from roaming.ocpi.types import CiString, String, WireModel

TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]


def token_type_to_wire(token_type: str) -> str:
    """A type 2.2.1 names, OTHER for the rest (2.3.0's EMAID, a partner's own)."""
    return token_type if token_type in TokenType.__args__ else "OTHER"


def cdr_token_to_wire(cdr_token: dict) -> dict:
    return {**cdr_token, "type": token_type_to_wire(cdr_token["type"])}


class EnergyContract(WireModel):
    supplier_name: String(64)
    contract_id: String(64) | None = None


class TokenWire(shared.Token):
    country_code: CiString(2)
    party_id: CiString(3)
    uid: CiString(36)
    type: TokenType
    contract_id: CiString(36)
    group_id: CiString(36) | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None


class LocationReferences(WireModel):
    location_id: CiString(36)
    evse_uids: list[CiString(36)] = []


class AuthorizationInfoWire(shared.AuthorizationInfo):
    token: TokenWire
    location: LocationReferences | None = None
    authorization_reference: CiString(36) | None = None


class Tokens(shared.Tokens):
    schema = TokenWire
    location_references_schema = LocationReferences
    authorization_schema = AuthorizationInfoWire
    types = TokenType.__args__
    #: Receiver URLs name the token's type in ?type=, RFID when absent (mod_tokens Receiver interface).
    type_in_url = True
    #: mod_tokens PATCH: last_updated required.
    patch_requires = ("last_updated",)

    def fields_to_wire(self, token) -> dict:
        wire = {
            "country_code": token.country_code,
            "party_id": token.party_id,
            "type": token_type_to_wire(token.type),
            "contract_id": token.contract_id,
        }
        put(wire, "group_id", token.group_id)
        put(wire, "default_profile_type", token.default_profile_type)
        put(wire, "energy_contract", token.energy_contract)
        return wire

    def read_field(self, internal: dict, name: str, value) -> None:
        if name in ("country_code", "party_id"):
            internal[name] = value.upper()
        elif name == "energy_contract":
            internal[name] = dump(value)
        else:
            super().read_field(internal, name, value)

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)

    def authorization_fields_to_wire(self, result) -> dict:
        wire = {"token": self.to_wire(result.token)}
        if result.location:
            wire["location"] = {"location_id": result.location["location_id"]}
            if result.location["evse_uids"]:
                wire["location"]["evse_uids"] = result.location["evse_uids"]
        put(wire, "authorization_reference", result.authorization_reference)
        return wire
