"""2.3.0 credentials (credentials chapter): a hub is no longer a role but `hub_party_id`, its country code
and party id as one five-character string, and the roles list the parties reachable through it.

Internally a hub stays a HUB role (roaming.ocpi.credentials), so the rest of the platform treats a 2.3.0
hub as a 2.2.1 one: read, `hub_party_id` becomes a HUB role beside the listed ones, with the business
details of the first of them (2.3.0 gives the hub none of its own); written, the HUB role becomes
`hub_party_id` and the other roles are listed (the hub itself as OTHER while no party is reachable
through it: roles has one entry at least). The rest is 2.2.1's (roaming.ocpi.v2_2_1.credentials).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from partners.models import Role
from roaming.ocpi.credentials import CredentialsRole
from roaming.ocpi.v2_2_1 import credentials as v221

RoleValue = Literal[tuple(r for r in Role.values if r != Role.HUB)]
HubPartyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}[A-Za-z0-9]{3}$", strict=True)]


class CredentialsRoleWire(v221.CredentialsRoleWire):
    role: RoleValue


class CredentialsWire(v221.CredentialsWire):
    hub_party_id: HubPartyId | None = None
    roles: Annotated[list[CredentialsRoleWire], Field(min_length=1)]


class CredentialsTranslator(v221.CredentialsTranslator):
    schema = CredentialsWire

    def roles_to_wire(self, roles: tuple[CredentialsRole, ...]) -> dict:
        hub = next((role for role in roles if role.role == Role.HUB), None)
        if hub is None:
            return super().roles_to_wire(roles)
        # A hub no party is reachable through yet still lists one role: itself, as OTHER.
        listed = tuple(role for role in roles if role.role != Role.HUB) or (replace(hub, role=Role.OTHER),)
        return {"hub_party_id": hub.country_code + hub.party_id, **super().roles_to_wire(listed)}

    def roles_from_wire(self, wire, *, peer_role: str | None) -> tuple[CredentialsRole, ...]:
        roles = super().roles_from_wire(wire, peer_role=peer_role)
        if wire.hub_party_id is None:
            return roles
        hub_id = wire.hub_party_id.upper()
        hub = CredentialsRole(Role.HUB, hub_id[:2], hub_id[2:], roles[0].business_details)
        clients = tuple(r for r in roles if (r.role, r.country_code + r.party_id) != (Role.OTHER, hub_id))
        return (hub, *clients)
