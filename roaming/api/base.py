"""The base of every OCPI view: tenant and dialect come from the URL, errors leave in the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.response import Response
from rest_framework.views import APIView

from roaming.api.routing import Forwarded, forward_if_addressed
from roaming.ocpi import inbound, status
from roaming.ocpi.auth import authenticate
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.envelope import OcpiJSONRenderer, envelope
from roaming.ocpi.errors import InvalidParameters, NotFound, OcpiError
from roaming.ocpi.headers import PartyRef, log_context_var, routing_from_request, routing_headers
from roaming.ocpi.pagination import paginate
from roaming.services.ownership import check_addressing, check_owner

if TYPE_CHECKING:
    from partners.models import Tenant


_RENDERER = OcpiJSONRenderer()


def check_segments(kwargs: dict, limits) -> None:
    """URL segments are CiStrings of the lengths the module's route declares: a longer one is refused (2001)."""
    for name, limit in limits.items():
        value = kwargs.get(name)
        if value is not None and len(value) > limit:
            raise InvalidParameters(f"URL segment {name} is longer than {limit} characters")


class OcpiView(APIView):
    """Resolves `request.dialect` from the URL; authentication resolves `request.tenant` with the token."""

    #: versions and credentials accept the registration token (token A); nothing else does.
    allows_registration_token = False
    #: the module route this view serves (set by the URLconf).
    route = None
    #: the OCPI module this view belongs to, for logs and metrics (module routes take the route's).
    module_name = "-"
    #: module routes of functional modules answer with routing headers; configuration modules do not.
    routed = True

    def initial(self, request, *args, **kwargs):
        request._request.tenant_slug = kwargs.get("tenant")
        request._request.ocpi_module = self.route.identifier if self.route is not None else self.module_name
        version = kwargs.get("version")
        if version is not None:
            dialect = get_dialect(version)
            if dialect is None:
                raise NotFound(f"Unsupported OCPI version {version!r}")
            request._request.dialect = dialect
        super().initial(request, *args, **kwargs)  # authentication sets request.tenant
        # Every later log line of this request names the tenant and the partner (never a token).
        log_context_var.set({**log_context_var.get(), "tenant": self.tenant.slug, "partner": request.user.name})
        if self.route is not None:
            check_segments(kwargs, self.route.segment_limits)
        if self.route is not None and self.routed:
            # A hub tenant forwards what is addressed to a party it connects (Message Routing).
            forward_if_addressed(self)
        if self.route is not None and self.routed and self.dialect.routing_headers and not self.checks_owner:
            # Views that check an owner check the addressee with it, in the statement that reads the token.
            routing = self.routing
            check_addressing(partner=self.partner, to_party=routing.to_party, from_party=routing.from_party)

    def handle_exception(self, exc):
        if isinstance(exc, Forwarded):
            return exc.response
        return super().handle_exception(exc)

    def perform_authentication(self, request):
        """Authenticate the caller. A view whose URL names the owner of what it writes has the statement that
        reads the token also read the partner's parties its ownership check needs (ensure_owner): one
        statement for both on the write hot path (an EVSE status PATCH)."""
        written = self.written_owner()
        if written is None:
            super().perform_authentication(request)
            return
        request.user, request.auth = authenticate(request, owner=written[0], to_party=written[1])

    def perform_content_negotiation(self, request, force=False):
        """OCPI speaks only JSON: every answer is the JSON envelope, whatever the Accept header asks for
        (no 406, no parsing of Accept on every request)."""
        return _RENDERER, _RENDERER.media_type

    @property
    def tenant(self) -> Tenant:
        return self.request.tenant

    @property
    def dialect(self):
        return self.request.dialect

    @property
    def partner(self):
        return self.request.user

    @property
    def routing(self):
        """The request's routing headers, read once (a malformed one raises each time it is asked for)."""
        routing = getattr(self.request, "_routing", None)
        if routing is None:
            routing = self.request._routing = routing_from_request(self.request)
        return routing

    def tenant_url(self, *parts: str) -> str:
        base = f"{settings.OCPI_BASE_URL.rstrip('/')}/ocpi/{self.tenant.slug}"
        return "/".join([base, *parts])

    def ok(
        self, data=None, *, http_status: int = 200, headers: dict | None = None, message=None, status_code=None
    ) -> Response:
        """A success-shaped answer; `status_code` for the few answers that carry data with another code."""
        code = status.SUCCESS if status_code is None else self.dialect.status_code(status_code)
        return Response(envelope(data, message=message, status_code=code), status=http_status, headers=headers)

    def paginated(self, queryset, to_wire, *, date_field: str = "last_updated", fetch=list, keep=None) -> Response:
        """A sender list page: `fetch` reads the page's objects, `to_wire` turns them into wire dicts."""
        page = paginate(self.request, queryset, date_field=date_field, fetch=fetch, keep=keep)
        return self.ok(to_wire(page.items), headers=page.headers)

    def received(self, module: str, wire: dict, data: dict, *, level: str = "location") -> dict:
        """`data` translated from the whole object `wire` this partner sent, completed as its profile says
        (extension fields kept, a default time zone: roaming.ocpi.inbound)."""
        return inbound.received(self.partner.profile, module, wire, data, level=level)

    def body(self) -> dict:
        """The JSON object of a PUT/PATCH/POST (DRF already answered 400 to a body that is not JSON)."""
        data = self.request.data
        if not isinstance(data, dict):
            raise InvalidParameters("Body must be a JSON object")
        return data

    #: views whose URL names the party that owns what they write (country_code, party_id) check it with
    #: ensure_owner(); perform_authentication() then reads the parties that check needs with the caller's token.
    checks_owner = False

    def written_owner(self) -> tuple[tuple[str, str], tuple[str, str] | None] | None:
        """((country_code, party_id) of the URL, the OCPI-to party or None) for views that check the owner."""
        if not self.checks_owner or "country_code" not in self.kwargs or "party_id" not in self.kwargs:
            return None
        to_party = self.addressed_party()
        addressed = (to_party.country_code, to_party.party_id) if to_party is not None else None
        return (self.kwargs["country_code"], self.kwargs["party_id"]), addressed

    def ensure_owner(self, country_code: str, party_id: str) -> None:
        """A partner writes only under its own parties' country_code/party_id (transport_and_format); a hub
        under those it serves, for the party its OCPI-from headers name."""
        read = getattr(self.request.auth, "owner_and_hub_parties", None)
        written = self.written_owner()  # what perform_authentication() read them for
        check_owner(
            self.partner,
            country_code=country_code,
            party_id=party_id,
            sender=self.sending_party,
            to_party=self.addressed_party(),
            parties=read if written is not None and written[0] == (country_code, party_id) else None,
        )

    def sending_party(self) -> PartyRef | None:
        """The party a request is from, as its OCPI-from headers name it (versions with routing headers)."""
        return self.routing.from_party if self.dialect.routing_headers else None

    def addressed_party(self) -> PartyRef | None:
        """The party OCPI-to names, if well-formed (only a hub's requests must carry well-formed headers)."""
        if not self.dialect.routing_headers:
            return None
        try:
            return self.routing.to_party
        except OcpiError:
            return None

    def finalize_response(self, request, response, *args, **kwargs):
        """A functional module's response is addressed back: OCPI-to is the request's from, OCPI-from its to."""
        response = super().finalize_response(request, response, *args, **kwargs)
        dialect = getattr(request, "dialect", None)
        if self.route is not None and self.routed and dialect is not None and dialect.routing_headers:
            try:
                routing = self.routing
            except OcpiError:
                return response
            for name, value in routing_headers(from_party=routing.to_party, to_party=routing.from_party).items():
                response[name] = value
        return response
