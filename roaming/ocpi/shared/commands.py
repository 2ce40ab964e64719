"""Commands (mod_commands) as both versions define it, and the translation of the request objects.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 11): the CommandType values 2.1.1 has (2.2.1 adds
CANCEL_RESERVATION) and the CommandResponseType values both have (2.1.1 adds TIMEOUT); every request
object's response_url, ReserveNow's expiry_date. The request objects share their field names, not their
types (the token, ids and reservation_id are the version's), so they are translated field by field
from the version's schema: a field the version lacks is left out.
"""

from __future__ import annotations

from types import SimpleNamespace

from roaming.ocpi.common import ResponseUrl, jsonable, put
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import format_datetime, parse_datetime
from roaming.ocpi.types import DateTime, WireModel, validate

# Enum values both versions define; each adds its own.
COMMAND_TYPES = ("RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR")
COMMAND_RESPONSE_TYPES = ("ACCEPTED", "NOT_SUPPORTED", "REJECTED", "UNKNOWN_SESSION")

#: Request fields that hold a DateTime (kept as RFC 3339 text in the JSON column).
_DATETIMES = ("expiry_date",)


class Request(WireModel):
    response_url: ResponseUrl


class ReserveNow(Request):
    expiry_date: DateTime


class Commands:
    """The commands module's translators. A version sets `requests` (command → request schema), its
    answer schemas and `commands`, and translates its answers; requests are translated here."""

    dialect: Dialect
    requests: dict[str, type[WireModel]]
    response_schema: type[WireModel]
    result_schema: type[WireModel]
    #: The commands this version knows.
    commands: tuple[str, ...]
    #: Whether a command outside CommandType's values is a command of the caller's own (2.3.0's OpenEnum:
    #: answered NOT_SUPPORTED) rather than bad input (2001).
    open_command_type: bool = False

    def parse_request(self, command: str, data) -> WireModel:
        """The validated request object; 2001 naming the field when it is not one."""
        return validate(self.requests[command], data)

    def request_from_wire(self, command: str, data, *, token_owner: tuple[str, str] | None = None) -> tuple[dict, str]:
        """(internal request, response_url); the token in internal form, owned by `token_owner` where the
        version's token does not name its owner."""
        parsed = self.parse_request(command, data)
        internal, response_url = {}, ""
        for name in type(parsed).model_fields:
            value = getattr(parsed, name)
            if name == "response_url":
                response_url = value
            elif name == "token":
                internal["token"] = jsonable(self.dialect.module("tokens").from_wire(data["token"], owner=token_owner))
            elif name in _DATETIMES:
                internal[name] = format_datetime(value)
            elif value is not None:
                internal[name] = str(value)
        return internal, response_url

    def request_to_wire(self, command: str, request: dict, response_url: str) -> dict:
        """The request object of `command` from an internal request: fields the version lacks are left out."""
        tokens = self.dialect.module("tokens")
        wire = {}
        for name, info in self.requests[command].model_fields.items():
            if name == "response_url":
                wire[name] = response_url
            elif name == "token":
                if request.get("token"):
                    wire[name] = tokens.to_wire(SimpleNamespace(**request["token"]))
            elif name in _DATETIMES and request.get(name):
                wire[name] = format_datetime(parse_datetime(request[name]))
            elif info.annotation is int and name in request:
                try:
                    wire[name] = int(request[name])
                except ValueError:
                    message = f"{name}: {request[name]!r} must be an integer in this OCPI version"
                    raise InvalidParameters(message) from None
            else:
                put(wire, name, request.get(name))
        return wire
