"""2.1.1 version details: endpoints have no role; it follows from the module and the party's role.

VERSION-DIFFERENCES 2: a 2.1.1 "CPO interface" is a Sender for locations, sessions, cdrs and
tariffs but a Receiver for tokens and commands; the eMSP interface is the opposite.
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.ocpi.dialect import Endpoint
from roaming.ocpi.v2_1_1 import dialect

_CPO_RECEIVES = {"tokens", "commands"}


def interface_role(identifier: str, party_role: str) -> str:
    """The internal interface role of a 2.1.1 module implemented by a party of `party_role`."""
    if identifier == "credentials":
        return InterfaceRole.SENDER
    cpo_side = InterfaceRole.RECEIVER if identifier in _CPO_RECEIVES else InterfaceRole.SENDER
    if party_role == Role.CPO:
        return cpo_side
    return InterfaceRole.SENDER if cpo_side == InterfaceRole.RECEIVER else InterfaceRole.RECEIVER


@dialect.register("versions")
class Versions:
    def details_to_wire(self, endpoints: list[Endpoint]) -> dict:
        return {
            "version": dialect.version,
            "endpoints": [{"identifier": e.identifier, "url": e.url} for e in endpoints],
        }

    def details_from_wire(self, data, *, peer_role: str | None = None) -> list[Endpoint]:
        if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
            raise ValueError("version details carry no 'endpoints' list")
        endpoints = []
        for entry in data["endpoints"]:
            if not isinstance(entry, dict):
                raise ValueError("an endpoint is not an object")
            identifier, url = entry.get("identifier"), entry.get("url")
            if not isinstance(identifier, str) or not isinstance(url, str):
                raise ValueError(f"endpoint {entry!r} lacks identifier or url")
            role = interface_role(identifier, peer_role or Role.CPO)
            endpoints.append(Endpoint(identifier=identifier, role=role, url=url))
        return endpoints
