"""Sending one pushed change to a partner, as its compatibility profile says (transport_and_format, both versions).

The outbox hands over an OutgoingRequest built from the object's current state; this module is the
boundary that turns it into HTTP for one partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roaming.ocpi.client import OcpiClient, OcpiResult
from roaming.ocpi.headers import PartyRef


@dataclass(frozen=True)
class OutgoingRequest:
    method: str
    path: str  # below the partner's receiver endpoint URL
    body: Any = None
    to_party: PartyRef | None = None
    from_party: PartyRef | None = None
    module: str = ""
    #: The PUT of the whole object (for a PATCH: its location, session, token or tariff), sent instead when the
    #: partner takes no PATCH for the module, or after a PATCH they answer as an unknown object.
    whole: OutgoingRequest | None = None


def url_of(endpoint_url: str, path: str) -> str:
    """The object URL below a receiver endpoint, whether or not the endpoint ends with a slash."""
    return f"{endpoint_url.rstrip('/')}/{path}" if path else endpoint_url


def send(client: OcpiClient, endpoint_url: str, request: OutgoingRequest) -> OcpiResult:
    """Send `request` to the partner behind `client`."""
    return client.request(
        request.method,
        url_of(endpoint_url, request.path),
        json=request.body,
        to_party=request.to_party,
        from_party=request.from_party,
    )
