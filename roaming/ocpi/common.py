"""Wire pieces that are the same in 2.1.1 and 2.2.1, shared by both dialects.

BusinessDetails and Image have one shape in both versions (credentials, locations): one
schema, one translation.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import format_datetime, parse_datetime
from roaming.ocpi.types import URL, CiString, DateTime, Number, String, WireModel

ImageCategory = Literal["CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"]


class Image(WireModel):
    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: CiString(4)
    width: int | None = None
    height: int | None = None


class BusinessDetails(WireModel):
    name: String(100)
    website: URL | None = None
    logo: Image | None = None


def business_details_to_wire(details: dict) -> dict:
    """Internal business details {name, website, logo} to the wire, leaving out what is empty."""
    wire = {"name": details["name"]}
    if details.get("website"):
        wire["website"] = details["website"]
    logo = details.get("logo")
    if logo and logo.get("url"):
        wire["logo"] = {k: v for k, v in logo.items() if v not in (None, "")}
    return wire


def business_details_from_wire(details: BusinessDetails) -> dict:
    return details.model_dump(exclude_none=True)


# -- Locations pieces with one shape in both versions (mod_locations §4 / 2.2.1 classes) ------------

EvseStatusValue = Literal[
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED", "UNKNOWN"
]
ParkingRestriction = Literal["EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"]
ConnectorFormat = Literal["SOCKET", "CABLE"]
EnergySourceCategory = Literal["NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER"]
EnvironmentalImpactCategory = Literal["NUCLEAR_WASTE", "CARBON_DIOXIDE"]
TIME_OF_DAY = r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$"


class StatusSchedule(WireModel):
    period_begin: DateTime
    period_end: DateTime | None = None
    status: EvseStatusValue


class RegularHours(WireModel):
    weekday: Annotated[int, Field(ge=1, le=7, strict=True)]
    period_begin: Annotated[str, StringConstraints(pattern=TIME_OF_DAY, strict=True)]
    period_end: Annotated[str, StringConstraints(pattern=TIME_OF_DAY, strict=True)]


class ExceptionalPeriod(WireModel):
    period_begin: DateTime
    period_end: DateTime


class EnergySource(WireModel):
    source: EnergySourceCategory
    percentage: Number


def dump(model: WireModel | None):
    """A validated wire sub-object as plain JSON values (DateTime as RFC 3339, numbers as numbers),
    leaving out optional fields that were absent or empty."""
    return None if model is None else model.model_dump(mode="json", exclude_defaults=True)


def dump_list(models: list | None) -> list:
    return [m.model_dump(mode="json", exclude_defaults=True) for m in models or []]


def put_list(wire: dict, key: str, values) -> None:
    """Emit a `*` list only when it has entries: absent and empty carry the same information."""
    if values:
        wire[key] = values


def put(wire: dict, key: str, value) -> None:
    """Emit an optional field only when it has a value."""
    if value not in (None, ""):
        wire[key] = value


# -- Tariffs pieces with one shape in both versions (mod_tariffs) ---------------------------------------

TariffDimensionType = Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
DATE = r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
TimeOfDay = Annotated[str, StringConstraints(pattern=TIME_OF_DAY, strict=True)]
Date = Annotated[str, StringConstraints(pattern=DATE, strict=True)]
StepSize = Annotated[int, Field(ge=0, strict=True)]
Seconds = Annotated[int, Field(ge=0, strict=True)]


def fields_of(model: WireModel) -> dict:
    """Every field of a validated wire object, absent optional ones with their defaults (a PUT resets them)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def owner_from_body(data) -> tuple[str, str] | None:
    """The owner (country_code, party_id) a 2.2.1 object names in its body, upper-cased."""
    if isinstance(data, dict) and isinstance(data.get("country_code"), str) and isinstance(data.get("party_id"), str):
        return data["country_code"].upper(), data["party_id"].upper()
    return None


def evse_fields(values: dict, connector_fields) -> dict:
    """Internal EVSE fields from validated wire values: the EVSE object has one shape in both versions;
    only its connectors differ, which `connector_fields` maps."""
    fields = {}
    for name, value in values.items():
        if name == "connectors":
            fields["connectors"] = [connector_fields(dict(c)) for c in value]
        elif name == "coordinates":
            fields["latitude"] = value.latitude if value else ""
            fields["longitude"] = value.longitude if value else ""
        elif name in ("status_schedule", "directions", "images"):
            fields[name] = dump_list(value)
        elif name in ("capabilities", "parking_restrictions"):
            fields[name] = list(value or [])
        elif name == "last_updated":
            fields[name] = value
        else:  # uid, evse_id, status, floor_level, physical_reference
            fields[name] = value or ""
    return fields


# -- Tokens pieces with one shape in both versions (mod_tokens) ------------------------------------------

WhitelistType = Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]
AllowedType = Literal["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"]


# -- Sessions and CDRs pieces -----------------------------------------------------------------------------

AuthMethod221 = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]
SessionStatus221 = Literal["ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"]


def jsonable(internal: dict) -> dict:
    """An internal dict with datetimes as ISO strings, to keep inside a JSON column (format_datetime reads them)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in internal.items()}


def price_from_number(value) -> dict | None:
    """2.1.1 costs are numbers excluding VAT; 2.2.1 makes them a Price."""
    return None if value is None else {"excl_vat": float(value)}


# -- Commands pieces (mod_commands): the request objects share their fields, differing in types -----------

#: 2.2.1 CommandResultType: what the charge point did, the internal vocabulary of results.
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
#: response_url: a URL (string(255)) the CPO will POST to, so only http(s).
ResponseUrl = Annotated[str, StringConstraints(max_length=255, pattern=r"^https?://[\x21-\x7e]+$", strict=True)]
#: Request fields that hold a DateTime (kept as RFC 3339 text in the JSON column).
_COMMAND_DATETIMES = ("expiry_date",)


def command_request_from_wire(parsed: WireModel, *, token: dict | None) -> tuple[dict, str]:
    """(internal request, response_url) from a validated request object; `token` is its internal token."""
    internal = {}
    response_url = ""
    for name in type(parsed).model_fields:
        value = getattr(parsed, name)
        if name == "response_url":
            response_url = value
        elif name == "token":
            internal["token"] = jsonable(token)
        elif name in _COMMAND_DATETIMES:
            internal[name] = format_datetime(value)
        elif value is not None:
            internal[name] = str(value)
    return internal, response_url


def command_request_to_wire(schema: type[WireModel], request: dict, response_url: str, *, token_to_wire) -> dict:
    """The wire request object of `schema` from an internal request: fields the version lacks are left out."""
    wire = {}
    for name, info in schema.model_fields.items():
        if name == "response_url":
            wire[name] = response_url
        elif name == "token":
            if request.get("token"):
                wire[name] = token_to_wire(SimpleNamespace(**request["token"]))
        elif name in _COMMAND_DATETIMES and request.get(name):
            wire[name] = format_datetime(parse_datetime(request[name]))
        elif info.annotation is int and name in request:
            try:
                wire[name] = int(request[name])
            except ValueError:
                raise InvalidParameters(f"{name}: {request[name]!r} must be an integer in this OCPI version") from None
        else:
            put(wire, name, request.get(name))
    return wire


def display_texts(messages) -> list[dict]:
    """DisplayText `*` fields as plain dicts."""
    return [m.model_dump() for m in messages or []]
