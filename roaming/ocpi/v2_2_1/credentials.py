"""2.2.1 credentials (credentials chapter): a list of roles, each with its business details."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from partners.models import Role
from roaming.ocpi.common import BusinessDetails, business_details_from_wire, business_details_to_wire
from roaming.ocpi.credentials import Credentials, CredentialsRole
from roaming.ocpi.types import URL, CiString, String, WireModel, validate
from roaming.ocpi.v2_2_1 import dialect

_TOKEN = String(64)


RoleValue = Literal[tuple(Role.values)]


class CredentialsRoleWire(WireModel):
    role: RoleValue
    business_details: BusinessDetails
    party_id: CiString(3)
    country_code: CiString(2)


class CredentialsWire(WireModel):
    token: _TOKEN
    url: URL
    roles: Annotated[list[CredentialsRoleWire], Field(min_length=1)]  # in the JSON schema too (OpenAPI)

    @field_validator("token")
    @classmethod
    def printable_ascii(cls, value: str) -> str:
        if not value or any(not 0x21 <= ord(c) <= 0x7E for c in value):
            raise ValueError("must be printable ASCII without whitespace")
        return value

    @field_validator("roles")
    @classmethod
    def unique_roles(cls, roles: list) -> list:
        keys = [(r.role, r.country_code.upper(), r.party_id.upper()) for r in roles]
        if len(set(keys)) != len(keys):
            raise ValueError("each role, country_code and party_id combination must be unique")
        return roles


@dialect.register("credentials")
class CredentialsTranslator:
    schema = CredentialsWire

    def to_wire(self, credentials: Credentials) -> dict:
        return {
            "token": credentials.token,
            "url": credentials.url,
            "roles": [
                {
                    "role": role.role,
                    "business_details": business_details_to_wire(role.business_details),
                    "party_id": role.party_id,
                    "country_code": role.country_code,
                }
                for role in credentials.roles
            ],
        }

    def from_wire(self, data, *, peer_role: str | None = None) -> Credentials:
        wire = validate(CredentialsWire, data)
        return Credentials(
            token=wire.token,
            url=wire.url,
            roles=tuple(
                CredentialsRole(
                    role=str(r.role),
                    country_code=r.country_code.upper(),
                    party_id=r.party_id.upper(),
                    business_details=business_details_from_wire(r.business_details),
                )
                for r in wire.roles
            ),
        )
