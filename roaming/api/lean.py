"""The lean path of real-time authorization (mod_tokens POST {uid}/authorize): a plain Django view in front of
the endpoint's DRF view, for the one request a CPO waits on while a driver stands at the charger.

It takes OcpiView's steps in OcpiView's order, through the same functions: the dialect of the URL's version;
the caller's token, looked up by hash within the URL's tenant and compared in constant time; token A refused;
the partner's rate limit; the URL segments' lengths; the OCPI-from header's check; the body's storable text;
then the view's answer in the envelope, or the error through the one exception handler (roaming.ocpi.errors),
with the Allow header DRF sends and the routing headers addressed back. What it leaves out is DRF's own
machinery around those steps (the Request wrapper, parser, authenticator, permission and throttle instances,
content negotiation, the template response), about a quarter of the CPU an authorization costs.

A request it does not take is handed, before anything is read or counted, to the DRF view, which answers it as
it always has: any method but POST, a version this platform does not speak, OCPI-to or malformed routing
headers (what a hub routes), and a body that is not small plain JSON (declared application/json without a
charset, within OCPI_MAX_BODY_BYTES, read by orjson, few brackets, no floats) so that DRF's parser alone decides every
answer to a body it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import Throttled

from roaming.api.base import check_segments
from roaming.ocpi.auth import authenticate_header, check_token_kind
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.envelope import OcpiJSONRenderer, envelope
from roaming.ocpi.errors import OcpiError, ocpi_exception_handler
from roaming.ocpi.headers import Routing, log_context_var, routing_from_request, routing_headers
from roaming.ocpi.parsers import check_storable
from roaming.ocpi.throttling import rate_limit_wait
from roaming.services.ownership import check_addressing

if TYPE_CHECKING:
    from partners.models import AccessToken
    from roaming.api.routes import Route
    from roaming.ocpi.dialect import Dialect

_RENDERER = OcpiJSONRenderer()
#: A body with more brackets than this goes to DRF's parser, whose decoder alone says how deep is too deep.
_MAX_BRACKETS = 64
_NOT_PLAIN = object()


@dataclass
class LeanCall:
    """What a view's lean answer is given: the request, the URL's arguments and what the path resolved."""

    request: HttpRequest
    kwargs: dict
    dialect: Dialect
    token: AccessToken  # the caller's credentials token, with its partner and tenant

    @property
    def query(self):
        return self.request.GET


def as_view(view_class, route: Route):
    """The URLconf's view of `view_class` on `route`: its DRF view, behind the lean path when the class has a
    `lean_post` (a function of a LeanCall and the body's JSON that returns the envelope's data)."""
    drf_view = view_class.as_view(route=route)
    answer = getattr(view_class, "lean_post", None)
    if answer is None:
        return drf_view
    # The lean path implements OcpiView.initial's steps for a routed view that checks no owner.
    assert view_class.routed and not view_class.checks_owner and not view_class.allows_registration_token
    allow = ", ".join(view_class().allowed_methods)  # DRF's Allow header
    caller_tokens = getattr(view_class, "caller_tokens", None)  # the view's own reader of the caller's token

    @csrf_exempt
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        dialect = get_dialect(kwargs["version"]) if request.method == "POST" else None
        routing = _plain_routing(request, dialect) if dialect is not None else _NOT_PLAIN
        body = _plain_body(request) if routing is not _NOT_PLAIN else _NOT_PLAIN
        if body is _NOT_PLAIN:
            return drf_view(request, **kwargs)
        read_tokens = caller_tokens(kwargs, request.GET) if caller_tokens is not None else None
        request.tenant_slug = kwargs["tenant"]
        request.ocpi_module = route.identifier
        request.dialect = dialect
        try:
            call = _initial(request, kwargs, route, dialect, routing, read_tokens)
            check_storable(body)  # where DRF's parser refuses such text: once the caller is known
            data = answer(call, body)
            response = HttpResponse(_RENDERER.render(envelope(data)), content_type=_RENDERER.media_type)
        except Exception as exc:
            response = ocpi_exception_handler(exc, {"request": request, "view": None})
            response.accepted_renderer, response.accepted_media_type = _RENDERER, _RENDERER.media_type
            response.renderer_context = {}
        response["Allow"] = allow
        if routing is not None:
            for name, value in routing_headers(from_party=routing.to_party, to_party=routing.from_party).items():
                response[name] = value
        return response

    return view


def _initial(
    request: HttpRequest, kwargs: dict, route: Route, dialect: Dialect, routing: Routing | None, read_tokens
) -> LeanCall:
    """OcpiView.initial and DRF's authentication, permission and throttle steps, in their order."""
    token = authenticate_header(
        request.headers.get("Authorization", ""), tenant_slug=request.tenant_slug, dialect=dialect, read=read_tokens
    )
    request.tenant, request.user, request.auth = token.tenant, token.partner, token
    check_token_kind(token, allows_registration_token=False)
    wait = rate_limit_wait(token.partner)
    if wait is not None:
        raise Throttled(wait)
    log_context_var.set({**log_context_var.get(), "tenant": token.tenant.slug, "partner": token.partner.name})
    check_segments(kwargs, route.segment_limits)
    if routing is not None:
        check_addressing(partner=token.partner, to_party=None, from_party=routing.from_party)
    return LeanCall(request, kwargs, dialect, token)


def _plain_routing(request: HttpRequest, dialect: Dialect):
    """The routing headers of a version that reads them (None for one that does not); _NOT_PLAIN when they are
    malformed or name an addressee (OCPI-to), which only the DRF view answers."""
    if not dialect.routing_headers:
        return None
    try:
        routing = routing_from_request(request)
    except OcpiError:
        return _NOT_PLAIN
    return routing if routing.to_party is None else _NOT_PLAIN


def _plain_body(request: HttpRequest):
    """The body's JSON as DRF's parser would read it ({} for none), checked for storable text later in the
    view's order; _NOT_PLAIN for a body only that parser answers."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > settings.OCPI_MAX_BODY_BYTES:
        return _NOT_PLAIN
    content_type = request.META.get("CONTENT_TYPE", "")
    if int(declared) == 0:
        return {} if content_type in ("", "application/json") else _NOT_PLAIN
    if content_type != "application/json":
        return _NOT_PLAIN
    raw = request.body
    if raw.count(b"{") + raw.count(b"[") > _MAX_BRACKETS:
        return _NOT_PLAIN
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_PLAIN
    return data if _without_floats(data) else _NOT_PLAIN


def _without_floats(value) -> bool:
    """No float anywhere (LocationReferences has none): orjson reads an integer past 64 bits as a float where
    json, DRF's decoder, keeps it an integer."""
    if isinstance(value, dict):
        return all(_without_floats(item) for item in value.values())
    if isinstance(value, list):
        return all(_without_floats(item) for item in value)
    return not isinstance(value, float)
