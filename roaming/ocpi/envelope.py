"""The OCPI response envelope {data, status_code, status_message, timestamp} and its renderer."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer

from roaming.ocpi import status
from roaming.ocpi.timestamps import format_datetime, now


def envelope(data: Any, *, status_code: int = status.SUCCESS, message: str | None = None) -> dict:
    body = {"status_code": status_code, "timestamp": format_datetime(now())}
    if data is not None:
        body["data"] = data
    body["status_message"] = message if message is not None else status.MESSAGES.get(status_code, "")
    return body


class OcpiJSONRenderer(BaseRenderer):
    """Renders with orjson: OCPI pages of a thousand locations are the hot path."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
