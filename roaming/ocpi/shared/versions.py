"""Version details (version_information_endpoint) as both versions define them: {version, endpoints},
each endpoint an identifier and a url; 2.2.1 adds its role, which 2.1.1 leaves to the module and the
party's role (VERSION-DIFFERENCES 4.2)."""

from __future__ import annotations

from roaming.ocpi.dialect import Dialect, Endpoint


class Versions:
    """The version details translator. A version writes and reads each endpoint's role (`endpoint_to_wire`,
    `role_from_wire`) and names what an endpoint must carry (`endpoint_fields`)."""

    dialect: Dialect
    endpoint_fields: str

    def details_to_wire(self, endpoints: list[Endpoint]) -> dict:
        return {"version": self.dialect.version, "endpoints": [self.endpoint_to_wire(e) for e in endpoints]}

    def endpoint_to_wire(self, endpoint: Endpoint) -> dict:
        raise NotImplementedError

    def details_from_wire(self, data, *, peer_role: str | None = None) -> list[Endpoint]:
        """Their endpoints; `peer_role` is the partner's role where the version's details do not say roles."""
        if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
            raise ValueError("version details carry no 'endpoints' list")
        endpoints = []
        for entry in data["endpoints"]:
            if not isinstance(entry, dict):
                raise ValueError("an endpoint is not an object")
            identifier, url = entry.get("identifier"), entry.get("url")
            role = self.role_from_wire(entry, peer_role=peer_role) if isinstance(identifier, str) else None
            if not isinstance(identifier, str) or not isinstance(url, str) or role is None:
                raise ValueError(f"endpoint {entry!r} lacks {self.endpoint_fields}")
            endpoints.append(Endpoint(identifier=identifier, role=role, url=url))
        return endpoints

    def role_from_wire(self, entry: dict, *, peer_role: str | None) -> str | None:
        """The internal interface role of the endpoint `entry`; None when it says none."""
        raise NotImplementedError
