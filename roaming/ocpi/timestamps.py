"""OCPI DateTime: emitted as RFC 3339 UTC with Z and no fraction; parsed in every form the spec allows.

Both versions (types, DateTime): "The absence of the timezone designator implies a UTC timestamp";
2.2.1: "Fractional seconds MAY be used". Read more leniently than the spec promises, since partners
send it: fractions of any length (kept to the microsecond), a lowercase t or z (RFC 3339 5.6
allows them), and offsets such as +01:00 or +0100, converted to UTC rather than refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE | re.ASCII
)


def format_datetime(value: datetime | str) -> str:
    """RFC 3339 UTC with Z. Also takes a timestamp as the database's UTC text ('2026-01-02 03:04:05[.ffffff][+00]'),
    which pages read directly for speed."""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}Z"
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat is several times faster than strftime, and pages format thousands of these.
    return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def rewrite_datetime(value: datetime | str) -> str:
    """A DateTime in any form we read (a stored JSON value may carry an offset or a fraction) written as we
    write it."""
    return format_datetime(parse_datetime(value) if isinstance(value, str) else value)


def parse_datetime(value: str) -> datetime:
    """Parse an OCPI DateTime into an aware UTC datetime; ValueError names what is wrong."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        shown = value[:40] if isinstance(value, str) else value
        raise ValueError(f"not an RFC 3339 date-time: {shown!r}")
    moment, fraction, zone = match.groups()
    text = moment.upper()
    if fraction:  # datetime keeps microseconds: a longer fraction is cut, a shorter one padded
        text += "." + fraction[:6].ljust(6, "0")
    if zone:
        text += zone.upper()
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)
