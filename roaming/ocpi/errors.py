"""Errors as types, and the one exception handler that maps them to the OCPI envelope.

Per status_codes (both versions): a body that is not JSON is HTTP 400; JSON that reaches an
existing resource from an authenticated partner answers HTTP 200 with the OCPI code; an unknown
object on GET is HTTP 404; a missing or unknown token is HTTP 401.

Two kinds of error leave here. The protocol's own (OcpiError and its subclasses: a body that is no
JSON object, a malformed header, a wire field a translator refuses) carry their status code.
Services raise domain errors (roaming.errors), which know nothing of the wire: DOMAIN_ANSWERS,
the one table of them, says which OCPI status code and HTTP status each is answered with; the
dialect then maps a code its version lacks to its fallback (Dialect.status_code).
"""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from roaming import errors as domain
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


class InvalidParameters(OcpiError, domain.Invalid):
    """2001: a field or parameter is missing or invalid; the message names it. Also a domain Invalid, so a
    service that runs a translator refuses what it refuses as it refuses its own invalid input."""

    status_code = status.INVALID_PARAMETERS


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


#: Each domain error as (OCPI status code, HTTP status): the most specific entry of the error's classes applies.
#: An unknown object is HTTP 404 (on GET per status_codes; kept for writes below a missing parent), with
#: 2003 "Unknown Location" for locations, EVSEs and connectors and 2004 "Unknown Token" for tokens; an
#: object of a party the partner does not speak for is HTTP 403.
DOMAIN_ANSWERS: dict[type[domain.DomainError], tuple[int, int]] = {
    domain.UnknownLocation: (status.UNKNOWN_LOCATION, 404),
    domain.UnknownToken: (status.UNKNOWN_TOKEN, 404),
    domain.UnknownObject: (status.CLIENT_ERROR, 404),
    domain.NotYours: (status.CLIENT_ERROR, 403),
    domain.Invalid: (status.INVALID_PARAMETERS, 200),
    domain.NotEnoughInformation: (status.NOT_ENOUGH_INFORMATION, 200),
    domain.NotOffered: (status.INVALID_PARAMETERS, 404),
    domain.UnknownReceiver: (status.HUB_UNKNOWN_RECEIVER, 200),
    domain.ReceiverNotConnected: (status.HUB_CONNECTION_PROBLEM, 200),
    domain.RoutingTimeout: (status.HUB_TIMEOUT, 200),
    domain.RoutingFailed: (status.HUB_ERROR, 200),
    # Not applied, answered as success (decisions.md, "Stale writes").
    domain.StaleWrite: (status.SUCCESS, 200),
}


def status_code_of(error: type[domain.DomainError]) -> int:
    """The OCPI status code a domain error is answered with, for answers that carry data beside it."""
    return next(DOMAIN_ANSWERS[cls][0] for cls in error.__mro__ if cls in DOMAIN_ANSWERS)


def answer_for(error: domain.DomainError) -> OcpiError:
    """The OCPI error a domain error is answered with (DOMAIN_ANSWERS)."""
    for cls in type(error).__mro__:
        if cls in DOMAIN_ANSWERS:
            status_code, http_status = DOMAIN_ANSWERS[cls]
            return OcpiError(error.message, status_code=status_code, http_status=http_status)
    return OcpiError(error.message)


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
    elif isinstance(exc, domain.DomainError):
        error = answer_for(exc)
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
