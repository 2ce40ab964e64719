"""OCPI basic types as pydantic annotations, and validation that answers 2001 naming the field.

Shared by every dialect (types chapter of both versions): string(n) and CiString(n) are
printable text up to n characters, DateTime is RFC 3339 (see timestamps), number is a JSON
number. Wire schemas ignore unknown fields, as receivers must for forward compatibility, and
read `null` in an optional field as the field left out, at every depth (terminology, "?" and
"*": "If not set, it might be null, or the field might be omitted"; transport_and_format PUT:
"Optional fields that are not included will revert to their default value ... or NULL").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    create_model,
    model_validator,
)

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import format_datetime, parse_datetime


def String(max_length: int):  # noqa: N802 - reads like the spec's string(n)
    """string(n): printable text, no control characters."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=r"^[^\x00-\x1f\x7f]*$", strict=True)]


def CiString(max_length: int):  # noqa: N802 - reads like the spec's CiString(n)
    """CiString(n): printable ASCII, compared case-insensitively, stored as received."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=r"^[\x20-\x7e]*$", strict=True)]


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    return parse_datetime(value)


DateTime = Annotated[
    datetime,
    BeforeValidator(_to_datetime),
    PlainSerializer(format_datetime),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


# number (types): "4 decimals and a sufficiently large amount of digits"; stored as numeric(14, 4), so
# a magnitude from 10^10 on could not be kept.
NUMBER_LIMIT = 10**10


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a JSON number")
    if not -NUMBER_LIMIT < value < NUMBER_LIMIT:
        raise ValueError(f"must be between -{NUMBER_LIMIT} and {NUMBER_LIMIT}")
    return Decimal(str(value))


# The JSON schema says what the wire carries (a number), not the Decimal it becomes.
Number = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(float),
    WithJsonSchema({"type": "number", "exclusiveMinimum": -NUMBER_LIMIT, "exclusiveMaximum": NUMBER_LIMIT}),
]
URL = String(255)

# int (types) where a count or a quantity is stored in a PostgreSQL integer column: 2^31 - 1 at most.
INT_LIMIT = 2**31 - 1
NonNegativeInt = Annotated[int, Field(ge=0, le=INT_LIMIT)]


class WireModel(BaseModel):
    """Base of every wire schema: unknown fields ignored, values validated strictly, and `null` in an
    optional field read as the field left out (its default), in this object and every object within.
    A required field sent as null is still refused, naming the field."""

    model_config = ConfigDict(extra="ignore", strict=True)

    #: The fields this schema lets a sender leave out (those with a default).
    optional_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.optional_fields = frozenset(name for name, info in cls.model_fields.items() if not info.is_required())

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        # `None in values()` is one C-level scan: objects without nulls (nearly all) are not copied.
        if type(data) is dict and None in data.values():
            optional = cls.optional_fields
            return {name: value for name, value in data.items() if value is not None or name not in optional}
        return data


class DisplayText(WireModel):
    language: String(2)
    text: String(512)


class GeoLocation(WireModel):
    """mod_locations GeoLocation (Location, EVSE, 2.2.1 CdrLocation): 5 to 7 decimals, as 2.2.1 has it;
    2.1.1 narrows it to exactly 6."""

    latitude: Annotated[str, StringConstraints(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$", strict=True)]
    longitude: Annotated[str, StringConstraints(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$", strict=True)]


def _path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def describe(error: ValidationError) -> str:
    """One message naming each offending field path, e.g. `evses[0].connectors[1].standard: ...`."""
    parts = []
    for item in error.errors()[:10]:
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = item["msg"]
        if item["type"] == "missing":
            message = "required field is missing"
        elif item.get("input", ...) is None and loc:
            message = "may not be null"
        parts.append(f"{_path(loc)}: {message}")
    more = len(error.errors()) - 10
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def validate(schema: type[BaseModel], data: Any) -> BaseModel:
    """Validate a whole object (PUT, POST), raising 2001 that names the field path."""
    if not isinstance(data, dict):
        raise InvalidParameters("Body must be a JSON object")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(describe(exc)) from None


@cache
def partial_schema(schema: type[BaseModel]) -> type[BaseModel]:
    """The same schema with every field optional, for PATCH bodies."""
    fields = {
        name: ((Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation) | None, None)
        for name, info in schema.model_fields.items()
    }
    return create_model(f"Partial{schema.__name__}", __base__=WireModel, **fields)


def validate_partial(schema: type[BaseModel], data: Any, *, required: tuple[str, ...] = ()) -> dict:
    """Validate the fields a PATCH carries; returns {field: validated value} for those present.

    A field present with null is refused when the full schema requires it; an optional one sent as
    null is left out like any absent field, so it stays unchanged (transport_and_format PATCH: "Any
    fields ... that are left out remain unchanged"); a partner clears an optional field with a PUT.
    """
    if not isinstance(data, dict):
        raise InvalidParameters("Body must be a JSON object")
    nulls = [name for name, value in data.items() if value is None and name in schema.model_fields]
    refused = [name for name in nulls if schema.model_fields[name].is_required()]
    if refused:
        raise InvalidParameters(f"{refused[0]}: may not be null")
    missing = [name for name in required if data.get(name) is None]
    if missing:
        raise InvalidParameters(f"{missing[0]}: required field is missing")
    try:
        parsed = partial_schema(schema).model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(describe(exc)) from None
    return {name: getattr(parsed, name) for name in parsed.model_fields_set}
