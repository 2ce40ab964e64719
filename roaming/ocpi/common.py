"""What translators of every module use: wire pieces several modules carry, and how fields are written and read.

BusinessDetails and Image have one shape in both versions (credentials, locations), ResponseUrl is the
response_url of commands and charging profiles. What one module shares across versions is in
roaming.ocpi.shared.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

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


#: response_url (commands, chargingprofiles): a URL (string(255)) the partner will POST to, so only http(s).
ResponseUrl = Annotated[str, StringConstraints(max_length=255, pattern=r"^https?://[\x21-\x7e]+$", strict=True)]
