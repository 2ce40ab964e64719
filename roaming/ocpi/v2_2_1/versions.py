"""2.2.1 version details: endpoints carry their InterfaceRole (version_information_endpoint)."""

from __future__ import annotations

from roaming.ocpi.dialect import Endpoint
from roaming.ocpi.v2_2_1 import dialect


@dialect.register("versions")
class Versions:
    def details_to_wire(self, endpoints: list[Endpoint]) -> dict:
        return {
            "version": dialect.version,
            "endpoints": [{"identifier": e.identifier, "role": e.role, "url": e.url} for e in endpoints],
        }

    def details_from_wire(self, data, *, peer_role: str | None = None) -> list[Endpoint]:
        if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
            raise ValueError("version details carry no 'endpoints' list")
        endpoints = []
        for entry in data["endpoints"]:
            if not isinstance(entry, dict):
                raise ValueError("an endpoint is not an object")
            identifier, role, url = entry.get("identifier"), entry.get("role"), entry.get("url")
            if not isinstance(identifier, str) or not isinstance(url, str) or role not in ("SENDER", "RECEIVER"):
                raise ValueError(f"endpoint {entry!r} lacks identifier, role or url")
            endpoints.append(Endpoint(identifier=identifier, role=role, url=url))
        return endpoints
