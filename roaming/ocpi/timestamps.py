"""OCPI DateTime: emitted as RFC 3339 UTC with Z and no fraction; parsed in every form the spec allows.

Both versions: no zone designator means UTC; 2.2.1 allows fractional seconds. Offsets such as
+01:00 are outside the spec but converted to UTC rather than refused, since partners send them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$", re.IGNORECASE)


def format_datetime(value: datetime | str) -> str:
    """RFC 3339 UTC with Z. Also takes a timestamp as the database's UTC text ('2026-01-02 03:04:05[.ffffff][+00]'),
    which pages read directly for speed."""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}Z"
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat is several times faster than strftime, and pages format thousands of these.
    return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_datetime(value: str) -> datetime:
    """Parse an OCPI DateTime into an aware UTC datetime; ValueError names what is wrong."""
    if not isinstance(value, str) or len(value) > 35 or not _DATETIME.match(value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    text = value.upper()
    fraction = re.search(r"\.(\d+)", text)
    if fraction and len(fraction.group(1)) > 6:  # datetime keeps microseconds
        text = text.replace(fraction.group(0), "." + fraction.group(1)[:6])
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)
