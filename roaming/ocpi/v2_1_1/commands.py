"""2.1.1 Commands (mod_commands.md): four request objects and CommandResponse, both ways.

VERSION-DIFFERENCES 11: no CANCEL_RESERVATION; StartSession has no connector_id and no
authorization_reference (dropped towards 2.1.1); reservation_id is an int (its decimal string
internally); the synchronous CommandResponse is only {result}, its TIMEOUT read as REJECTED and
the timeout left to our own setting; the asynchronous result is a CommandResponse too, mapped to
and from 2.2.1 CommandResultType by the table of 11.2 (UNKNOWN_SESSION read as FAILED; results
2.1.1 cannot name sent as REJECTED).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from roaming.ocpi.common import ResponseUrl, command_request_from_wire, command_request_to_wire
from roaming.ocpi.types import DateTime, String, WireModel, validate
from roaming.ocpi.v2_1_1 import dialect
from roaming.ocpi.v2_1_1.tokens import TokenWire

CommandType = Literal["RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"]
CommandResponseType = Literal["ACCEPTED", "NOT_SUPPORTED", "REJECTED", "TIMEOUT", "UNKNOWN_SESSION"]

# 2.2.1 CommandResultType -> 2.1.1 CommandResponseType, and back (VERSION-DIFFERENCES 11.2).
_RESULT_TO_WIRE = {
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
    "NOT_SUPPORTED": "NOT_SUPPORTED",
    "TIMEOUT": "TIMEOUT",
}
_RESULT_FROM_WIRE = {**_RESULT_TO_WIRE, "UNKNOWN_SESSION": "FAILED"}


class ReserveNow(WireModel):
    response_url: ResponseUrl
    token: TokenWire
    expiry_date: DateTime
    reservation_id: int = Field(ge=0)
    location_id: String(39)
    evse_uid: String(39) | None = None


class StartSession(WireModel):
    response_url: ResponseUrl
    token: TokenWire
    location_id: String(39)
    evse_uid: String(39) | None = None


class StopSession(WireModel):
    response_url: ResponseUrl
    session_id: String(36)


class UnlockConnector(WireModel):
    response_url: ResponseUrl
    location_id: String(39)
    evse_uid: String(39)
    connector_id: String(36)


class CommandResponse(WireModel):
    result: CommandResponseType


REQUESTS: dict[str, type[WireModel]] = {
    "RESERVE_NOW": ReserveNow,
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "UNLOCK_CONNECTOR": UnlockConnector,
}


@dialect.register("commands")
class Commands:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    requests = REQUESTS
    response_schema = CommandResponse
    result_schema = CommandResponse  # 2.1.1 sends the asynchronous result as a CommandResponse too
    commands = CommandType.__args__

    def parse_request(self, command: str, data) -> WireModel:
        return validate(REQUESTS[command], data)

    def request_from_wire(self, command: str, data, *, token_owner: tuple[str, str] | None = None) -> tuple[dict, str]:
        """(internal request, response_url); the token's owner is the connection's eMSP party (`token_owner`)."""
        parsed = self.parse_request(command, data)
        token = None
        if "token" in type(parsed).model_fields:
            token = dialect.module("tokens").from_wire(data["token"], owner=token_owner)
        return command_request_from_wire(parsed, token=token)

    def request_to_wire(self, command: str, request: dict, response_url: str) -> dict:
        tokens = dialect.module("tokens")
        return command_request_to_wire(REQUESTS[command], request, response_url, token_to_wire=tokens.to_wire)

    def response_to_wire(self, *, result: str, timeout: int, message: list) -> dict:
        return {"result": result}

    def response_from_wire(self, data) -> dict:
        result = validate(CommandResponse, data).result
        return {"result": "REJECTED" if result == "TIMEOUT" else result, "timeout": None, "message": []}

    def result_to_wire(self, *, result: str, message: list) -> dict:
        return {"result": _RESULT_TO_WIRE.get(result, "REJECTED")}

    def result_from_wire(self, data) -> dict:
        return {"result": _RESULT_FROM_WIRE[validate(CommandResponse, data).result], "message": []}
