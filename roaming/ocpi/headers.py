"""Request identity and routing headers.

X-Request-ID and X-Correlation-ID (2.2.1 transport_and_format, unique message IDs) are taken from
the request or generated, echoed on the response and put on every log line of the request.
The OCPI-from/to routing headers (2.2.1 message routing) are parsed into a `Routing` value.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.http import HttpRequest, HttpResponse

from roaming.ocpi.errors import InvalidParameters

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
correlation_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
#: What a log line is about beyond the request: tenant, partner, and for tasks the delivery or pull.
log_context_var: contextvars.ContextVar[Mapping] = contextvars.ContextVar("log_context", default=MappingProxyType({}))


class log_context:  # noqa: N801 - used as a context manager, like contextlib's
    """Add fields to every log line written inside the block (and keep those already set)."""

    def __init__(self, **fields):
        self.fields = {k: v for k, v in fields.items() if v is not None}

    def __enter__(self):
        self.token = log_context_var.set({**log_context_var.get(), **self.fields})
        return self

    def __exit__(self, *exc):
        log_context_var.reset(self.token)
        return False


class correlated:  # noqa: N801 - used as a context manager, like log_context
    """Inside the block, requests sent and log lines written carry this X-Correlation-ID (a delivery's, which
    it took from the request that made its change); an empty one changes nothing."""

    def __init__(self, correlation_id: str):
        self.correlation_id = correlation_id

    def __enter__(self):
        self.token = correlation_id_var.set(self.correlation_id) if self.correlation_id else None
        return self

    def __exit__(self, *exc):
        if self.token is not None:
            correlation_id_var.reset(self.token)
        return False


def current_correlation_id() -> str:
    """The X-Correlation-ID of the request or delivery being handled, "" outside one."""
    value = correlation_id_var.get()
    return "" if value == "-" else value


access_log = logging.getLogger("roaming.access")

_ID = re.compile(r"^[\x21-\x7e]{1,64}$")


def _incoming_id(request: HttpRequest, header: str) -> str:
    value = request.headers.get(header, "")
    return value if _ID.match(value) else str(uuid.uuid4())


class RequestIdMiddleware:
    """Give every OCPI request its X-Request-ID and X-Correlation-ID, in logs and on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = _incoming_id(request, "X-Request-ID")
        request.correlation_id = _incoming_id(request, "X-Correlation-ID")
        tokens = (
            request_id_var.set(request.request_id),
            correlation_id_var.set(request.correlation_id),
            log_context_var.set({}),
        )
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            if request.path.startswith("/ocpi/"):
                response["X-Request-ID"] = request.request_id
                response["X-Correlation-ID"] = request.correlation_id
                access_log.info(
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                )
        finally:
            request_id_var.reset(tokens[0])
            correlation_id_var.reset(tokens[1])
            log_context_var.reset(tokens[2])
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.correlation_id = correlation_id_var.get()
        for name, value in log_context_var.get().items():
            setattr(record, name, value)
        return True


@dataclass(frozen=True)
class PartyRef:
    country_code: str
    party_id: str

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"


@dataclass(frozen=True)
class Routing:
    """OCPI-from-* and OCPI-to-* headers of one request; a side is None when absent."""

    from_party: PartyRef | None
    to_party: PartyRef | None


def _party(request: HttpRequest, side: str) -> PartyRef | None:
    country = request.headers.get(f"OCPI-{side}-country-code", "").strip()
    party = request.headers.get(f"OCPI-{side}-party-id", "").strip()
    if not country and not party:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", country) or not re.fullmatch(r"[A-Za-z0-9]{3}", party):
        raise InvalidParameters(f"Malformed OCPI-{side}-country-code / OCPI-{side}-party-id headers")
    return PartyRef(country.upper(), party.upper())


def routing_from_request(request: HttpRequest) -> Routing:
    return Routing(from_party=_party(request, "from"), to_party=_party(request, "to"))


def routing_headers(*, from_party: PartyRef | None, to_party: PartyRef | None) -> dict[str, str]:
    headers = {}
    if from_party:
        headers["OCPI-from-country-code"] = from_party.country_code
        headers["OCPI-from-party-id"] = from_party.party_id
    if to_party:
        headers["OCPI-to-country-code"] = to_party.country_code
        headers["OCPI-to-party-id"] = to_party.party_id
    return headers
