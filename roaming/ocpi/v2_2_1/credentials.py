"""2.2.1 credentials (credentials chapter): a list of roles, each with its business details.

roaming.ocpi.shared.credentials has the rest.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from partners.models import Role
from roaming.ocpi.common import BusinessDetails
from roaming.ocpi.credentials import CredentialsRole
from roaming.ocpi.shared import credentials as shared
from roaming.ocpi.types import CiString, WireModel

RoleValue = Literal[tuple(Role.values)]


class CredentialsRoleWire(WireModel):
    role: RoleValue
    business_details: BusinessDetails
    party_id: CiString(3)
    country_code: CiString(2)


class CredentialsWire(shared.CredentialsObject):
    roles: Annotated[list[CredentialsRoleWire], Field(min_length=1)]  # in the JSON schema too (OpenAPI)

    @field_validator("roles")
    @classmethod
    def unique_roles(cls, roles: list) -> list:
        keys = [(r.role, r.country_code.upper(), r.party_id.upper()) for r in roles]
        if len(set(keys)) != len(keys):
            raise ValueError("each role, country_code and party_id combination must be unique")
        return roles


class CredentialsTranslator(shared.CredentialsTranslator):
    schema = CredentialsWire

    def roles_to_wire(self, roles: tuple[CredentialsRole, ...]) -> dict:
        return {"roles": [{"role": role.role, **self.role_to_wire(role)} for role in roles]}

    def roles_from_wire(self, wire, *, peer_role: str | None) -> tuple[CredentialsRole, ...]:
        return tuple(self.role_from_wire(str(r.role), r) for r in wire.roles)
