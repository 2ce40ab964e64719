"""Credentials (credentials chapter) as both versions define it, and the translation of what they share.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 5.1): the token (string(64), printable ASCII without
whitespace, the same raw value in both) and the url; business_details, party_id and country_code, which
2.2.1 moved into each of its roles (and made CiString).
"""

from __future__ import annotations

from pydantic import field_validator

from roaming.ocpi.common import business_details_from_wire, business_details_to_wire
from roaming.ocpi.credentials import Credentials, CredentialsRole
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.types import URL, String, WireModel, validate


class CredentialsObject(WireModel):
    token: String(64)
    url: URL

    @field_validator("token")
    @classmethod
    def printable_ascii(cls, value: str) -> str:
        if not value or any(not 0x21 <= ord(c) <= 0x7E for c in value):
            raise ValueError("must be printable ASCII without whitespace")
        return value


class CredentialsTranslator:
    """The credentials module's translator. A version sets `schema` and says where its roles are
    (`roles_to_wire`, `roles_from_wire`); each role is written and read here."""

    dialect: Dialect
    schema: type[WireModel]

    def to_wire(self, credentials: Credentials) -> dict:
        return {"token": credentials.token, "url": credentials.url, **self.roles_to_wire(credentials.roles)}

    def from_wire(self, data, *, peer_role: str | None = None) -> Credentials:
        """`peer_role`: the partner's role where the version's credentials do not say it."""
        wire = validate(self.schema, data)
        return Credentials(token=wire.token, url=wire.url, roles=self.roles_from_wire(wire, peer_role=peer_role))

    def roles_to_wire(self, roles: tuple[CredentialsRole, ...]) -> dict:
        raise NotImplementedError

    def roles_from_wire(self, wire, *, peer_role: str | None) -> tuple[CredentialsRole, ...]:
        raise NotImplementedError

    def role_to_wire(self, role: CredentialsRole) -> dict:
        return {
            "business_details": business_details_to_wire(role.business_details),
            "party_id": role.party_id,
            "country_code": role.country_code,
        }

    def role_from_wire(self, role: str, wire) -> CredentialsRole:
        """The role `role` of `wire`, an object carrying business_details, party_id and country_code."""
        return CredentialsRole(
            role=role,
            country_code=wire.country_code.upper(),
            party_id=wire.party_id.upper(),
            business_details=business_details_from_wire(wire.business_details),
        )
