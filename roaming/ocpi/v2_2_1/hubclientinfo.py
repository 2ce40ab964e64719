"""2.2.1 Hub Client Info (mod_hub_client_info): the ClientInfo object and its translators.

A configuration module between a platform and its hub: no routing headers, no owner in the URL
beyond the party it describes. Internal values are dicts keyed by ClientInfo field names.
"""

from __future__ import annotations

from typing import Literal

from partners.models import Role
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, WireModel, validate

RoleValue = Literal[tuple(Role.values)]
ConnectionStatusValue = Literal["CONNECTED", "OFFLINE", "PLANNED", "SUSPENDED"]


class ClientInfoWire(WireModel):
    party_id: CiString(3)
    country_code: CiString(2)
    role: RoleValue
    status: ConnectionStatusValue
    last_updated: DateTime


class HubClientInfo:
    #: The wire schema of the ClientInfo this module takes and answers with (validation, OpenAPI).
    schema = ClientInfoWire

    def to_wire(self, info) -> dict:
        return {
            "party_id": info.party_id,
            "country_code": info.country_code,
            "role": info.role,
            "status": info.status,
            "last_updated": format_datetime(info.last_updated),
        }

    def from_wire(self, data) -> dict:
        parsed = validate(self.schema, data)
        return {
            "country_code": parsed.country_code.upper(),
            "party_id": parsed.party_id.upper(),
            "role": parsed.role,
            "status": parsed.status,
            "last_updated": parsed.last_updated,
        }
