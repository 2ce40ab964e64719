"""2.2.1 version details: endpoints carry their InterfaceRole (version_information_endpoint)."""

from __future__ import annotations

from roaming.ocpi.dialect import Endpoint
from roaming.ocpi.shared import versions as shared


class Versions(shared.Versions):
    endpoint_fields = "identifier, role or url"

    def endpoint_to_wire(self, endpoint: Endpoint) -> dict:
        return {"identifier": endpoint.identifier, "role": endpoint.role, "url": endpoint.url}

    def role_from_wire(self, entry: dict, *, peer_role: str | None) -> str | None:
        role = entry.get("role")
        return role if role in ("SENDER", "RECEIVER") else None
