"""Wire pieces that are the same in 2.1.1 and 2.2.1, shared by both dialects.

BusinessDetails and Image have one shape in both versions (credentials, locations): one
schema, one translation.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Literal

from pydantic import StringConstraints

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import format_datetime, parse_datetime
from roaming.ocpi.types import URL, CiString, String, WireModel

ImageCategory = Literal["CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"]


class Image(WireModel):
    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    # string(4) in 2.1.1, CiString(4) in 2.2.1: printable ASCII in both (2.1.1 types §1.5), differing only
    # in case sensitivity, which nothing compares.
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


def read_fields(values: dict, read, **context) -> dict:
    """Internal fields from validated wire values, each read by `read(internal, name, value, **context)`: a
    version's reader takes the fields it defines its own way and hands the others to the shared one."""
    internal = {}
    for name, value in values.items():
        read(internal, name, value, **context)
    return internal


def fields_of(model: WireModel) -> dict:
    """Every field of a validated wire object, absent optional ones with their defaults (a PUT resets them)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def owner_from_body(data) -> tuple[str, str] | None:
    """The owner (country_code, party_id) a 2.2.1 object names in its body, upper-cased."""
    if isinstance(data, dict) and isinstance(data.get("country_code"), str) and isinstance(data.get("party_id"), str):
        return data["country_code"].upper(), data["party_id"].upper()
    return None


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
