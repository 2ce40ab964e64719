"""2.1.1 Commands (mod_commands.md): what 2.1.1 defines its own way (roaming.ocpi.shared.commands has the rest).

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

from roaming.ocpi.shared import commands as shared
from roaming.ocpi.types import String, WireModel, validate
from roaming.ocpi.v2_1_1.tokens import TokenWire

CommandType = Literal[shared.COMMAND_TYPES]
CommandResponseType = Literal[shared.COMMAND_RESPONSE_TYPES + ("TIMEOUT",)]

# 2.2.1 CommandResultType -> 2.1.1 CommandResponseType, and back (VERSION-DIFFERENCES 11.2).
_RESULT_TO_WIRE = {
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
    "NOT_SUPPORTED": "NOT_SUPPORTED",
    "TIMEOUT": "TIMEOUT",
}
_RESULT_FROM_WIRE = {**_RESULT_TO_WIRE, "UNKNOWN_SESSION": "FAILED"}


class ReserveNow(shared.ReserveNow):
    token: TokenWire
    reservation_id: int = Field(ge=0)
    location_id: String(39)
    evse_uid: String(39) | None = None


class StartSession(shared.Request):
    token: TokenWire
    location_id: String(39)
    evse_uid: String(39) | None = None


class StopSession(shared.Request):
    session_id: String(36)


class UnlockConnector(shared.Request):
    location_id: String(39)
    evse_uid: String(39)
    connector_id: String(36)


class CommandResponse(WireModel):
    result: CommandResponseType


class Commands(shared.Commands):
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    requests = {
        "RESERVE_NOW": ReserveNow,
        "START_SESSION": StartSession,
        "STOP_SESSION": StopSession,
        "UNLOCK_CONNECTOR": UnlockConnector,
    }
    response_schema = CommandResponse
    result_schema = CommandResponse  # 2.1.1 sends the asynchronous result as a CommandResponse too
    commands = CommandType.__args__

    def response_to_wire(self, *, result: str, timeout: int, message: list) -> dict:
        return {"result": result}

    def response_from_wire(self, data) -> dict:
        result = validate(CommandResponse, data).result
        return {"result": "REJECTED" if result == "TIMEOUT" else result, "timeout": None, "message": []}

    def result_to_wire(self, *, result: str, message: list) -> dict:
        return {"result": _RESULT_TO_WIRE.get(result, "REJECTED")}

    def result_from_wire(self, data) -> dict:
        return {"result": _RESULT_FROM_WIRE[validate(CommandResponse, data).result], "message": []}
