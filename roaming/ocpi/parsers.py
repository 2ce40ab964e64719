"""The JSON parser of OCPI requests: a body over OCPI_MAX_BODY_BYTES is refused before it is read.

Too large is an HTTP-layer error (transport_and_format: HTTP error codes, with the envelope): HTTP 413
with 2000. JSON nested past what the decoder can follow is not a body we can read: HTTP 400 like
any other body that is not JSON (status_codes).
"""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from roaming.ocpi.errors import BodyTooLarge


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
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply") from None
