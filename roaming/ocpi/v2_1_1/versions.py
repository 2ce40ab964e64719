"""2.1.1 version details: endpoints have no role; it follows from the module and the party's role.

VERSION-DIFFERENCES 2: a 2.1.1 "CPO interface" is a Sender for locations, sessions, cdrs and
tariffs but a Receiver for tokens and commands; the eMSP interface is the opposite.
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.ocpi.dialect import Endpoint
from roaming.ocpi.shared import versions as shared

_CPO_RECEIVES = {"tokens", "commands"}


def interface_role(identifier: str, party_role: str) -> str:
    """The internal interface role of a 2.1.1 module implemented by a party of `party_role`."""
    if identifier == "credentials":
        return InterfaceRole.SENDER
    cpo_side = InterfaceRole.RECEIVER if identifier in _CPO_RECEIVES else InterfaceRole.SENDER
    if party_role == Role.CPO:
        return cpo_side
    return InterfaceRole.SENDER if cpo_side == InterfaceRole.RECEIVER else InterfaceRole.RECEIVER


class Versions(shared.Versions):
    endpoint_fields = "identifier or url"

    def endpoint_to_wire(self, endpoint: Endpoint) -> dict:
        return {"identifier": endpoint.identifier, "url": endpoint.url}

    def role_from_wire(self, entry: dict, *, peer_role: str | None) -> str | None:
        return interface_role(entry["identifier"], peer_role or Role.CPO)
