"""2.1.1 credentials (credentials.md §2.1): one party, whose role the object does not carry.

The role comes from the connection: VERSION-DIFFERENCES 5.1 — a 2.1.1 connection binds one of
our parties to one of theirs, in the opposite role. roaming.ocpi.shared.credentials has the rest.
"""

from __future__ import annotations

from roaming.ocpi.common import BusinessDetails
from roaming.ocpi.credentials import CredentialsRole
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.shared import credentials as shared
from roaming.ocpi.types import String


class CredentialsWire(shared.CredentialsObject):
    business_details: BusinessDetails
    party_id: String(3)
    country_code: String(2)


class CredentialsTranslator(shared.CredentialsTranslator):
    schema = CredentialsWire

    def roles_to_wire(self, roles: tuple[CredentialsRole, ...]) -> dict:
        return self.role_to_wire(roles[0])

    def roles_from_wire(self, wire, *, peer_role: str | None) -> tuple[CredentialsRole, ...]:
        if peer_role is None:
            raise InvalidParameters("The partner's role is not configured: bind the partner to one of our parties")
        return (self.role_from_wire(peer_role, wire),)
