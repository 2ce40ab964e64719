"""2.1.1 Tokens (mod_tokens.md): what 2.1.1 defines its own way (roaming.ocpi.shared.tokens has the rest).

VERSION-DIFFERENCES 10: `auth_id` is 2.2.1's `contract_id`; owner fields travel in URL segments;
`group_id`, `default_profile_type` and `energy_contract` are dropped; types AD_HOC_USER and
APP_USER are sent as OTHER; AuthorizationInfo carries no token and no authorization_reference;
LocationReferences may name connectors.
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.shared import tokens as shared
from roaming.ocpi.types import String, WireModel

TokenType = Literal["OTHER", "RFID"]


class TokenWire(shared.Token):
    uid: String(36)
    type: TokenType
    auth_id: String(36)


class LocationReferences(WireModel):
    location_id: String(39)
    evse_uids: list[String(39)] = []
    connector_ids: list[String(36)] = []


class AuthorizationInfoWire(shared.AuthorizationInfo):
    location: LocationReferences | None = None


class Tokens(shared.Tokens):
    schema = TokenWire
    location_references_schema = LocationReferences
    authorization_schema = AuthorizationInfoWire
    types = TokenType.__args__
    #: Receiver URLs name no type (mod_tokens.md 2.1): a token is its uid, its type is in the body.
    type_in_url = False
    wire_names = {"contract_id": "auth_id"}

    def fields_to_wire(self, token) -> dict:
        return {"type": token.type if token.type in self.types else "OTHER", "auth_id": token.contract_id}

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        """The owner comes from the URL or the connection; what 2.1.1 lacks is left empty."""
        internal = super().from_wire(data)
        internal.update(group_id="", default_profile_type="", energy_contract=None)
        if owner is not None:
            internal["country_code"], internal["party_id"] = owner
        return internal

    def read_field(self, internal: dict, name: str, value) -> None:
        if name == "auth_id":
            internal["contract_id"] = value
        else:
            super().read_field(internal, name, value)

    def owner_of(self, data) -> tuple[str, str] | None:
        return None

    def authorization_fields_to_wire(self, result) -> dict:
        return {"location": {k: v for k, v in result.location.items() if v}} if result.location else {}
