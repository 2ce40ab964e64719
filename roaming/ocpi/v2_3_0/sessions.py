"""2.3.0 Sessions (mod_sessions): total_cost is a 2.3.0 Price (roaming.ocpi.v2_3_0.types) and the
CdrToken's type an OpenEnum; the rest is 2.2.1's (roaming.ocpi.v2_2_1.sessions)."""

from __future__ import annotations

from roaming.ocpi.v2_2_1 import sessions as v221
from roaming.ocpi.v2_3_0.tokens import TokenType
from roaming.ocpi.v2_3_0.types import Price, price_from_wire, price_to_wire


class CdrToken(v221.CdrToken):
    type: TokenType


class SessionWire(v221.SessionWire):
    cdr_token: CdrToken
    total_cost: Price | None = None


class Sessions(v221.Sessions):
    schema = SessionWire

    def fields_to_wire(self, session) -> dict:
        wire = super().fields_to_wire(session)
        wire.pop("total_cost", None)
        if session.total_cost:
            wire["total_cost"] = price_to_wire(session.total_cost)
        return wire

    def read_field(self, internal: dict, name: str, value, *, token_owner) -> None:
        if name == "total_cost":
            internal[name] = price_from_wire(value)
        else:
            super().read_field(internal, name, value, token_owner=token_owner)
