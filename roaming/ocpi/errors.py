"""Errors as types, and the one exception handler that maps them to the OCPI envelope.

Per status_codes (both versions): a body that is not JSON is HTTP 400; JSON that reaches an
existing resource from an authenticated partner answers HTTP 200 with the OCPI code; an unknown
object on GET is HTTP 404; a missing or unknown token is HTTP 401.
"""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from roaming.ocpi import status
from roaming.ocpi.envelope import envelope

logger = logging.getLogger(__name__)


class OcpiError(Exception):
    """An error answered in the OCPI envelope with `status_code` and `http_status`."""

    status_code = status.CLIENT_ERROR
    http_status = 200

    def __init__(self, message: str = "", *, status_code: int | None = None, http_status: int | None = None):
        if status_code is not None:
            self.status_code = status_code
        if http_status is not None:
            self.http_status = http_status
        self.message = message or status.MESSAGES.get(self.status_code, "Error")
        super().__init__(self.message)


class StaleWrite(OcpiError):
    """A PUT or PATCH whose last_updated is older than the object we hold: not applied, yet answered as success
    (decisions.md, "Stale writes"), so a sender retrying old states in order is not told it failed."""

    status_code = status.SUCCESS
    http_status = 200

    def __init__(self, message: str = "", *, object_path: str = ""):
        super().__init__(message)
        self.object_path = object_path  # of the object we hold, which a full pull must still count as listed


class InvalidParameters(OcpiError):
    """2001: a field or parameter is missing or invalid; the message names it."""

    status_code = status.INVALID_PARAMETERS


class NotEnoughInformation(OcpiError):
    status_code = status.NOT_ENOUGH_INFORMATION


class UnknownLocation(OcpiError):
    status_code = status.UNKNOWN_LOCATION


class UnknownToken(OcpiError):
    status_code = status.UNKNOWN_TOKEN


class HubError(OcpiError):
    """4000: a hub could not route the request for a reason none of the other 4xxx codes names."""

    status_code = status.HUB_ERROR


class HubTimeout(OcpiError):
    """4002: the request was forwarded, but the addressee did not answer in time."""

    status_code = status.HUB_TIMEOUT


class UnknownReceiver(OcpiError):
    """4001: the party in OCPI-to is not one this platform serves or, as a hub, connects."""

    status_code = status.HUB_UNKNOWN_RECEIVER


class HubConnectionProblem(OcpiError):
    """4003: the party in OCPI-to is known to the hub but not connected to it."""

    status_code = status.HUB_CONNECTION_PROBLEM


class BodyTooLarge(OcpiError):
    """The body is over OCPI_MAX_BODY_BYTES: refused unread, an HTTP-layer error (HTTP 413)."""

    status_code = status.CLIENT_ERROR
    http_status = 413


class NotFound(OcpiError):
    """The addressed object does not exist (HTTP 404)."""

    http_status = 404


class Unauthorized(OcpiError):
    http_status = 401


class Forbidden(OcpiError):
    """The partner may not touch this object, e.g. it belongs to a party that is not theirs."""

    http_status = 403


class MethodNotAllowed(OcpiError):
    http_status = 405


class ServerError(OcpiError):
    status_code = status.SERVER_ERROR


class UnableToUseClientApi(ServerError):
    status_code = status.UNABLE_TO_USE_CLIENT_API


class UnsupportedVersion(ServerError):
    status_code = status.UNSUPPORTED_VERSION


class NoMatchingEndpoints(ServerError):
    status_code = status.NO_MATCHING_ENDPOINTS


def ocpi_error_response(error: OcpiError, dialect=None) -> Response:
    code = dialect.status_code(error.status_code) if dialect is not None else error.status_code
    return Response(envelope(None, status_code=code, message=error.message), status=error.http_status)


_AUTH_ERRORS = (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed, drf_exceptions.PermissionDenied)


def ocpi_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every error of an OCPI view leaves in the envelope."""
    request = context.get("request")
    dialect = getattr(request, "dialect", None)
    if isinstance(exc, OcpiError):
        error = exc
    elif isinstance(exc, drf_exceptions.ParseError):
        error = InvalidParameters(f"Body is not valid JSON: {exc.detail}", http_status=400)
    elif isinstance(exc, drf_exceptions.UnsupportedMediaType):
        error = InvalidParameters("Body must be application/json", http_status=415)
    elif isinstance(exc, _AUTH_ERRORS):
        error = Unauthorized(str(exc.detail))
    elif isinstance(exc, drf_exceptions.MethodNotAllowed):
        error = MethodNotAllowed(f"Method {exc.args[0] if exc.args else ''} not allowed".strip())
    elif isinstance(exc, drf_exceptions.Throttled):
        response = ocpi_error_response(OcpiError("Too many requests", http_status=429), dialect)
        if exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response
    elif isinstance(exc, (Http404, drf_exceptions.NotFound)):
        error = NotFound("Not found")
    elif isinstance(exc, drf_exceptions.APIException):
        error = OcpiError(str(exc.detail), http_status=exc.status_code)
    else:
        logger.exception("Unhandled error in OCPI view")
        error = ServerError("Internal server error", http_status=500)
    response = ocpi_error_response(error, dialect)
    if error.http_status == 401:
        response["WWW-Authenticate"] = "Token"
    return response
