"""2.2.1 Commands (mod_commands): what 2.2.1 defines its own way (roaming.ocpi.shared.commands has the rest).

CANCEL_RESERVATION; CiString ids of 36 and a CiString reservation_id; StartSession's connector_id and
the authorization_reference of ReserveNow and StartSession; CommandResponse with timeout and message,
and the asynchronous CommandResult (VERSION-DIFFERENCES 11). The internal shape is this version's:
the synchronous answer is {result, timeout, message}, the asynchronous one {result, message} in
CommandResultType.
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.shared import commands as shared
from roaming.ocpi.types import CiString, DisplayText, NonNegativeInt, WireModel, validate
from roaming.ocpi.v2_2_1.tokens import TokenWire

CommandType = Literal[("CANCEL_RESERVATION", *shared.COMMAND_TYPES)]
CommandResponseType = Literal[shared.COMMAND_RESPONSE_TYPES]
#: What the charge point did: the internal vocabulary of results.
CommandResultType = Literal[
    "ACCEPTED",
    "CANCELED_RESERVATION",
    "EVSE_OCCUPIED",
    "EVSE_INOPERATIVE",
    "FAILED",
    "NOT_SUPPORTED",
    "REJECTED",
    "TIMEOUT",
    "UNKNOWN_RESERVATION",
]


class CancelReservation(shared.Request):
    reservation_id: CiString(36)


class ReserveNow(shared.ReserveNow):
    token: TokenWire
    reservation_id: CiString(36)
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StartSession(shared.Request):
    token: TokenWire
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    connector_id: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StopSession(shared.Request):
    session_id: CiString(36)


class UnlockConnector(shared.Request):
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)


class CommandResponse(WireModel):
    result: CommandResponseType
    timeout: NonNegativeInt
    message: list[DisplayText] = []


class CommandResult(WireModel):
    result: CommandResultType
    message: list[DisplayText] = []


def _with_message(wire: dict, message: list) -> dict:
    if message:
        wire["message"] = message
    return wire


def _messages(parsed: CommandResponse | CommandResult) -> list[dict]:
    return [m.model_dump() for m in parsed.message]


class Commands(shared.Commands):
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    requests = {
        "CANCEL_RESERVATION": CancelReservation,
        "RESERVE_NOW": ReserveNow,
        "START_SESSION": StartSession,
        "STOP_SESSION": StopSession,
        "UNLOCK_CONNECTOR": UnlockConnector,
    }
    response_schema = CommandResponse
    result_schema = CommandResult
    commands = CommandType.__args__

    def parse_request(self, command: str, data) -> WireModel:
        parsed = super().parse_request(command, data)
        if isinstance(parsed, StartSession) and parsed.connector_id and not parsed.evse_uid:
            raise InvalidParameters("evse_uid: required when connector_id is set")
        return parsed

    def response_to_wire(self, *, result: str, timeout: int, message: list) -> dict:
        return _with_message({"result": result, "timeout": timeout}, message)

    def response_from_wire(self, data) -> dict:
        parsed = validate(CommandResponse, data)
        return {"result": parsed.result, "timeout": parsed.timeout, "message": _messages(parsed)}

    def result_to_wire(self, *, result: str, message: list) -> dict:
        return _with_message({"result": result}, message)

    def result_from_wire(self, data) -> dict:
        parsed = validate(CommandResult, data)
        return {"result": parsed.result, "message": _messages(parsed)}
