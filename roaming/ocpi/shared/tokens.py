"""Tokens (mod_tokens) as both versions define it, and the translation of what they share.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 10): WhitelistType and AllowedType (2.1.1's Allowed, the
same values); of the Token its visual_number, issuer, valid, whitelist, language and last_updated; of the
AuthorizationInfo its allowed and info. LocationReferences differ in every field.
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.common import fields_of, put, read_fields
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import DateTime, DisplayText, String, WireModel, validate, validate_partial

WhitelistType = Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]
AllowedType = Literal["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"]


class Token(WireModel):
    visual_number: String(64) | None = None
    issuer: String(64)
    valid: bool
    whitelist: WhitelistType
    language: String(2) | None = None
    last_updated: DateTime


class AuthorizationInfo(WireModel):
    allowed: AllowedType
    info: DisplayText | None = None


class Tokens:
    """The tokens module's translators. A version sets the schemas and says how its URLs name a token;
    it writes the fields it defines its own way (`fields_to_wire`, `authorization_fields_to_wire`) and
    reads them (`read_field`, handing the others back here)."""

    dialect: Dialect
    schema: type[WireModel]
    location_references_schema: type[WireModel]
    authorization_schema: type[WireModel]
    supports_patch = True
    #: Token types a connection of this version can name.
    types: tuple[str, ...]
    #: Receiver URLs name the token's type in ?type=.
    type_in_url: bool
    #: Internal field → the wire field carrying it, so that a PATCH sends what changed under its name.
    wire_names: dict[str, str] = {}
    #: Fields a PATCH body must carry.
    patch_requires: tuple[str, ...] = ()

    def to_wire(self, token) -> dict:
        wire = {"uid": token.uid, **self.fields_to_wire(token)}
        put(wire, "visual_number", token.visual_number)
        wire["issuer"] = token.issuer
        wire["valid"] = token.valid
        wire["whitelist"] = token.whitelist
        put(wire, "language", token.language)
        wire["last_updated"] = format_datetime(token.last_updated)
        return wire

    def fields_to_wire(self, token) -> dict:
        """The Token fields the version defines its own way: type, the contract id and what it adds."""
        raise NotImplementedError

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        return read_fields(fields_of(validate(self.schema, data)), self.read_field)

    def patch_from_wire(self, data) -> dict:
        return read_fields(validate_partial(self.schema, data, required=self.patch_requires), self.read_field)

    def read_field(self, internal: dict, name: str, value) -> None:
        if name in ("valid", "last_updated"):
            internal[name] = value
        else:  # uid, type, visual_number, issuer, whitelist, language and a version's other strings
            internal[name] = value or ""

    def location_references_from_wire(self, data) -> dict | None:
        """The LocationReferences of an authorization request; None when it names none."""
        if data is None or data == {}:
            return None
        refs = fields_of(validate(self.location_references_schema, data))
        # connector_ids only where the version has them (2.2.1 removed them: not unique within a location).
        return {
            "location_id": refs["location_id"],
            "evse_uids": refs["evse_uids"],
            "connector_ids": refs.get("connector_ids", []),
        }

    def authorization_to_wire(self, result) -> dict:
        wire = {"allowed": result.allowed, **self.authorization_fields_to_wire(result)}
        put(wire, "info", result.info)
        return wire

    def authorization_fields_to_wire(self, result) -> dict:
        """The AuthorizationInfo fields the version defines its own way: location and what it adds."""
        raise NotImplementedError

    def authorization_from_wire(self, data) -> dict:
        """The eMSP's decision; the authorization_reference only where the version has one (2.2.1)."""
        info = fields_of(validate(self.authorization_schema, data))
        return {"allowed": info["allowed"], "authorization_reference": info.get("authorization_reference") or ""}
