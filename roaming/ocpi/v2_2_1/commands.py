"""2.2.1 Commands (mod_commands): the five request objects, CommandResponse and CommandResult.

The internal shape is this version's: requests keep their fields (the token in internal form,
without response_url), the synchronous answer is {result, timeout, message}, the asynchronous
one {result, message} in CommandResultType.
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.common import (
    CommandResultType,
    ResponseUrl,
    command_request_from_wire,
    command_request_to_wire,
    display_texts,
)
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.types import CiString, DateTime, DisplayText, NonNegativeInt, WireModel, validate
from roaming.ocpi.v2_2_1 import dialect
from roaming.ocpi.v2_2_1.tokens import TokenWire

CommandType = Literal["CANCEL_RESERVATION", "RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"]
CommandResponseType = Literal["ACCEPTED", "NOT_SUPPORTED", "REJECTED", "UNKNOWN_SESSION"]


class CancelReservation(WireModel):
    response_url: ResponseUrl
    reservation_id: CiString(36)


class ReserveNow(WireModel):
    response_url: ResponseUrl
    token: TokenWire
    expiry_date: DateTime
    reservation_id: CiString(36)
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StartSession(WireModel):
    response_url: ResponseUrl
    token: TokenWire
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    connector_id: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StopSession(WireModel):
    response_url: ResponseUrl
    session_id: CiString(36)


class UnlockConnector(WireModel):
    response_url: ResponseUrl
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


REQUESTS: dict[str, type[WireModel]] = {
    "CANCEL_RESERVATION": CancelReservation,
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
    result_schema = CommandResult
    #: The commands this version knows.
    commands = CommandType.__args__

    def parse_request(self, command: str, data) -> WireModel:
        """The validated request object; 2001 naming the field when it is not one."""
        parsed = validate(REQUESTS[command], data)
        if isinstance(parsed, StartSession) and parsed.connector_id and not parsed.evse_uid:
            raise InvalidParameters("evse_uid: required when connector_id is set")
        return parsed

    def request_from_wire(self, command: str, data, *, token_owner: tuple[str, str] | None = None) -> tuple[dict, str]:
        """(internal request, response_url); the token names its owner itself in this version."""
        parsed = self.parse_request(command, data)
        token = dialect.module("tokens").from_wire(data["token"]) if "token" in type(parsed).model_fields else None
        return command_request_from_wire(parsed, token=token)

    def request_to_wire(self, command: str, request: dict, response_url: str) -> dict:
        return command_request_to_wire(
            REQUESTS[command], request, response_url, token_to_wire=dialect.module("tokens").to_wire
        )

    def response_to_wire(self, *, result: str, timeout: int, message: list) -> dict:
        wire = {"result": result, "timeout": timeout}
        if message:
            wire["message"] = message
        return wire

    def response_from_wire(self, data) -> dict:
        parsed = validate(CommandResponse, data)
        return {"result": parsed.result, "timeout": parsed.timeout, "message": display_texts(parsed.message)}

    def result_to_wire(self, *, result: str, message: list) -> dict:
        wire = {"result": result}
        if message:
            wire["message"] = message
        return wire

    def result_from_wire(self, data) -> dict:
        parsed = validate(CommandResult, data)
        return {"result": parsed.result, "message": display_texts(parsed.message)}
