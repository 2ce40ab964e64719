"""The JSON parser of OCPI requests: a body over OCPI_MAX_BODY_BYTES is refused before it is read.

Too large is an HTTP-layer error (transport_and_format: HTTP error codes, with the envelope): HTTP 413
with 2000. JSON nested past what the decoder can follow is not a body we can read: HTTP 400 like
any other body that is not JSON (status_codes). Text holding NUL or an unpaired surrogate is valid
JSON but no text PostgreSQL can store, even in a field we keep without knowing it: 2001 naming it.
"""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from roaming.ocpi.errors import BodyTooLarge, InvalidParameters


def _storable(text: str) -> bool:
    if text.isascii():
        return "\x00" not in text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def unstorable_text(value, path: str = "body") -> str | None:
    """The path of the first string (key or value) holding NUL or an unpaired surrogate, else None."""
    if isinstance(value, str):
        return None if _storable(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path != "body" else key
            if not _storable(key):
                return where
            found = unstorable_text(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{path}[{index}]")
            if found:
                return found
    return None


def check_storable(data) -> None:
    """2001 naming the first string of a parsed body that PostgreSQL cannot store."""
    where = unstorable_text(data)
    if where is not None:
        raise InvalidParameters(f"{where}: text holds a NUL character or an unpaired surrogate")


class OcpiJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.OCPI_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(f"Body of {declared} bytes is over the limit of {limit} bytes")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise BodyTooLarge(f"Body is over the limit of {limit} bytes")
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply") from None
        check_storable(data)
        return data
