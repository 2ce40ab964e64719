"""2.2.1 Charging Profiles (mod_charging_profiles): the request objects and parameters, both answers, and
the ActiveChargingProfile a CPO pushes.

The internal shape is the wire's: a ChargingProfile is kept as its JSON object, an ActiveChargingProfile
as {start_date_time: datetime, charging_profile}. Results are {result, profile}, profile only for a
GET's ActiveChargingProfileResult. 2.1.1 has no such module (VERSION-DIFFERENCES 12).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from roaming.ocpi.common import ResponseUrl
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.types import CiString, DateTime, NonNegativeInt, Number, WireModel, validate

ChargingRateUnit = Literal["W", "A"]
ChargingProfileResponseType = Literal["ACCEPTED", "NOT_SUPPORTED", "REJECTED", "TOO_OFTEN", "UNKNOWN_SESSION"]
ChargingProfileResultType = Literal["ACCEPTED", "REJECTED", "UNKNOWN"]


def _one_fraction_digit(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -1:
        raise ValueError("accepts at most one digit fraction (e.g. 8.1)")
    return value


#: A rate: a JSON number with at most one digit after the point (ChargingProfile, ChargingProfilePeriod).
Rate = Annotated[Number, AfterValidator(_one_fraction_digit)]


class ChargingProfilePeriod(WireModel):
    start_period: int = Field(ge=0)
    limit: Rate


class ChargingProfile(WireModel):
    start_date_time: DateTime | None = None
    duration: NonNegativeInt | None = None
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: Rate | None = None
    charging_profile_period: list[ChargingProfilePeriod] = []


class SetChargingProfile(WireModel):
    charging_profile: ChargingProfile
    response_url: ResponseUrl


class ActiveChargingProfile(WireModel):
    start_date_time: DateTime
    charging_profile: ChargingProfile


class ChargingProfileResponse(WireModel):
    result: ChargingProfileResponseType
    timeout: NonNegativeInt


class ActiveChargingProfileResult(WireModel):
    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(WireModel):
    result: ChargingProfileResultType


class ClearProfileResult(WireModel):
    result: ChargingProfileResultType


class GetParameters(WireModel):
    """The query of a GET: numbers arrive as text there, so not strict."""

    model_config = ConfigDict(extra="ignore", strict=False)

    duration: NonNegativeInt
    response_url: ResponseUrl


class DeleteParameters(WireModel):
    response_url: ResponseUrl


#: The asynchronous result object of each kind of request.
RESULTS: dict[str, type[WireModel]] = {
    "SET": ChargingProfileResult,
    "GET": ActiveChargingProfileResult,
    "CLEAR": ClearProfileResult,
}

SessionId = CiString(36)


class _SessionSegment(WireModel):
    session_id: SessionId


class ChargingProfiles:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    set_schema = SetChargingProfile
    active_schema = ActiveChargingProfile
    response_schema = ChargingProfileResponse
    results = RESULTS

    def session_id(self, value: str) -> str:
        """The session_id URL segment, a CiString(36); 2001 when it is not one."""
        try:
            return validate(_SessionSegment, {"session_id": value}).session_id
        except InvalidParameters as exc:
            raise InvalidParameters(f"URL segment {exc.message}") from None

    def profile_from_wire(self, data) -> dict:
        return _dump(validate(ChargingProfile, data))

    def profile_to_wire(self, profile: dict) -> dict:
        return _dump(validate(ChargingProfile, profile))

    # -- the Receiver interface's requests (PUT body, GET and DELETE query) ----------------------------------

    def set_to_wire(self, *, profile: dict, response_url: str) -> dict:
        return {"charging_profile": self.profile_to_wire(profile), "response_url": response_url}

    def set_from_wire(self, data) -> tuple[dict, str]:
        """(ChargingProfile, response_url) of a SetChargingProfile."""
        parsed = validate(SetChargingProfile, data)
        return _dump(parsed.charging_profile), parsed.response_url

    def get_to_wire(self, *, duration: int, response_url: str) -> dict:
        return {"duration": duration, "response_url": response_url}

    def get_from_wire(self, query) -> tuple[int, str]:
        """(duration, response_url) of a GET's query parameters."""
        parsed = validate(GetParameters, dict(query.items()))
        return parsed.duration, parsed.response_url

    def clear_to_wire(self, *, response_url: str) -> dict:
        return {"response_url": response_url}

    def clear_from_wire(self, query) -> str:
        """The response_url of a DELETE's query parameters."""
        return validate(DeleteParameters, dict(query.items())).response_url

    # -- the synchronous ChargingProfileResponse ------------------------------------------------------------

    def response_to_wire(self, *, result: str, timeout: int) -> dict:
        return {"result": result, "timeout": timeout}

    def response_from_wire(self, data) -> dict:
        parsed = validate(ChargingProfileResponse, data)
        return {"result": parsed.result, "timeout": parsed.timeout}

    # -- the asynchronous results, and the ActiveChargingProfile -------------------------------------------

    def result_to_wire(self, kind: str, *, result: str, profile: dict | None = None) -> dict:
        wire = {"result": result}
        if kind == "GET" and profile is not None:
            wire["profile"] = self.active_profile_to_wire(profile)
        return wire

    def result_from_wire(self, kind: str, data) -> dict:
        """{result, profile}: profile is the internal ActiveChargingProfile of a GET's result, else None."""
        parsed = validate(RESULTS[kind], data)
        profile = getattr(parsed, "profile", None)
        return {"result": parsed.result, "profile": _active(profile) if profile is not None else None}

    def active_profile_to_wire(self, active: dict) -> dict:
        return _dump(validate(ActiveChargingProfile, active))

    def active_profile_from_wire(self, data) -> dict:
        return _active(validate(ActiveChargingProfile, data))


def _dump(model: WireModel) -> dict:
    """The JSON object of a validated model, absent optional fields left out."""
    return model.model_dump(mode="json", exclude_none=True)


def _active(parsed: ActiveChargingProfile) -> dict:
    return {"start_date_time": parsed.start_date_time, "charging_profile": _dump(parsed.charging_profile)}
