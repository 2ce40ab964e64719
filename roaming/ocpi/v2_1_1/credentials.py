"""2.1.1 credentials (credentials.md §2.1): one party, whose role the object does not carry.

The role comes from the connection: VERSION-DIFFERENCES 5.1 — a 2.1.1 connection binds one of
our parties to one of theirs, in the opposite role.
"""

from __future__ import annotations

from pydantic import field_validator

from roaming.ocpi.common import BusinessDetails, business_details_from_wire, business_details_to_wire
from roaming.ocpi.credentials import Credentials, CredentialsRole
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.types import URL, String, WireModel, validate
from roaming.ocpi.v2_1_1 import dialect


class CredentialsWire(WireModel):
    token: String(64)
    url: URL
    business_details: BusinessDetails
    party_id: String(3)
    country_code: String(2)

    @field_validator("token")
    @classmethod
    def printable_ascii(cls, value: str) -> str:
        if not value or any(not 0x21 <= ord(c) <= 0x7E for c in value):
            raise ValueError("must be printable ASCII without whitespace")
        return value


@dialect.register("credentials")
class CredentialsTranslator:
    schema = CredentialsWire

    def to_wire(self, credentials: Credentials) -> dict:
        role = credentials.roles[0]
        return {
            "token": credentials.token,
            "url": credentials.url,
            "business_details": business_details_to_wire(role.business_details),
            "party_id": role.party_id,
            "country_code": role.country_code,
        }

    def from_wire(self, data, *, peer_role: str | None = None) -> Credentials:
        wire = validate(CredentialsWire, data)
        if peer_role is None:
            raise InvalidParameters("The partner's role is not configured: bind the partner to one of our parties")
        return Credentials(
            token=wire.token,
            url=wire.url,
            roles=(
                CredentialsRole(
                    role=peer_role,
                    country_code=wire.country_code.upper(),
                    party_id=wire.party_id.upper(),
                    business_details=business_details_from_wire(wire.business_details),
                ),
            ),
        )
