"""Message routing of a hub tenant (2.2.1 transport_and_format, "Message Routing"; status_codes, 4xxx).

A tenant with a HUB party routes a functional module's request whose OCPI-to names a party it connects
(a party of one of its partners) to that party's platform, while the caller waits: the request goes to the
addressee's endpoint of the same module and interface with the headers "Party to Party via Hub" prescribes
(TO the receiving party, FROM the requesting party, a new X-Request-ID, the same X-Correlation-ID), and the
addressee's answer (HTTP status, OCPI status code, data) is the caller's. Where the hub cannot route it
answers with status_codes' hub codes: 4001 Unknown receiver (no connected party of that name), 4003
Connection problem (the party is not CONNECTED per the hub's Hub Client Info, its routing is suspended, or
its platform refuses the connection; answered without trying where the hub knows it), 4002 Timeout on
forwarded request, 4000 for the rest (an answer that is no OCPI envelope, a module the addressee lacks).

A push (PUT, PATCH, POST, DELETE to a receiver interface of a module whose objects the hub also keeps) that
cannot reach its addressee is not refused: the hub takes it as any push and passes it on from its outbox
(route() answers None). Requests addressed to the hub itself or to the tenant's own parties are the hub's own
to answer (Broadcast Push, GET All via Hubs).

An Open Routing Request (no OCPI-to) to a module the hub routes by content (OPEN_ROUTED: commands and charging
profiles) goes to the party that owns what it names: the location of a START_SESSION, RESERVE_NOW or
UNLOCK_CONNECTOR, the session of a STOP_SESSION or a charging profile, as the hub keeps them from the parties'
pushes. What names no object the hub knows of a party it connects is 4001 (the receiver cannot be determined;
a command is not broadcast), a body without the field that names it 2001. Other requests without OCPI-to are
the hub's own.

Commands and charging profile requests carry a response_url; the addressee is given the hub's URL of a
`Relay` instead, and the result it posts there is passed on to the requester's response_url (relay_result).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import orjson
import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from urllib3.exceptions import ReadTimeoutError

from partners.models import InterfaceRole, Partner, PartnerParty, PartnerStatus, Party, Role, Tenant
from roaming.errors import (
    DomainError,
    Invalid,
    NotYours,
    ReceiverNotConnected,
    RoutingFailed,
    RoutingTimeout,
    UnknownObject,
    UnknownReceiver,
)
from roaming.models import ClientInfo, ConnectionStatus, Location, Relay, RouteStat, Session
from roaming.ocpi import status
from roaming.ocpi.client import client_for
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import PartyRef, correlation_id_var, routing_headers
from roaming.ocpi.push import OutgoingRequest
from roaming.services.ownership import on_partner_host, partner_owns

logger = logging.getLogger(__name__)

#: Modules whose pushed objects a hub keeps as well (for GET All via Hubs): a push of one of them that cannot
#: reach its addressee is taken by the hub and passed on from the outbox.
KEPT_MODULES = frozenset({"locations", "tariffs", "sessions", "cdrs", "tokens"})
#: Modules whose objects a hub passes on to everyone as a Broadcast Push of its own.
BROADCAST_MODULES = frozenset({"locations", "tariffs", "tokens"})
#: Modules whose requests without OCPI-to the hub routes by their content (Open Routing Request).
OPEN_ROUTED = frozenset({"commands", "chargingprofiles"})
#: Commands whose location_id names the receiving CPO; STOP_SESSION names a session.
_BY_LOCATION = frozenset({"START_SESSION", "RESERVE_NOW", "UNLOCK_CONNECTOR"})
#: Answer headers passed back to the caller (pagination, where a POSTed CDR is kept).
_PASSED_HEADERS = ("Link", "X-Total-Count", "X-Limit", "Location")


@dataclass(frozen=True)
class Inbound:
    """A functional module's request to a hub tenant, as the boundary read it."""

    dialect: Dialect
    module: str
    interface: str  # InterfaceRole of the hub's endpoint that was called; the addressee's is the same
    method: str
    path: str  # below the module's endpoint ("NL/CPO/LOC1"); "" for its root
    query: str
    body: bytes
    from_party: PartyRef | None
    to_party: PartyRef | None
    #: The hub's URL of the module endpoint that was called, and of this version (for relays).
    endpoint_url: str
    version_url: str

    @property
    def is_push(self) -> bool:
        return (
            self.interface == InterfaceRole.RECEIVER
            and self.module in KEPT_MODULES
            and self.method in ("PUT", "PATCH", "POST", "DELETE")
        )


@dataclass(frozen=True)
class Destination:
    partner: Partner
    party: PartyRef
    url: str  # the addressee's endpoint of the module and interface
    sender: PartyRef  # the requesting party, as OCPI-from named it (or the caller's only party)


@dataclass(frozen=True)
class Answer:
    """The addressee's answer, to be given to the caller as it came."""

    http_status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    #: The party that answered and the one it answered (an Open Routing Request's answer is FROM the party
    #: the hub chose, TO the requesting party).
    addressee: PartyRef | None = None
    requester: PartyRef | None = None


def is_hub(tenant: Tenant | int) -> bool:
    return Party.objects.filter(tenant=tenant, role=Role.HUB).exists()


def destination(*, tenant: Tenant, caller: Partner, inbound: Inbound) -> Destination | None:
    """Where a request to a hub tenant goes: None when the hub answers it itself; else the addressee's
    platform and endpoint, or the hub code that says why it cannot be reached (raised, nothing forwarded)."""
    to_party = inbound.to_party
    if to_party is None and inbound.module not in OPEN_ROUTED:
        return None
    parties = list(Party.objects.for_tenant(tenant).values_list("country_code", "party_id", "role"))
    if Role.HUB not in {role for _, _, role in parties}:
        return None
    if to_party is None:
        to_party = addressee_by_content(tenant=tenant, inbound=inbound)
        if to_party is None:
            return None
    if any((cc.upper(), pid.upper()) == (to_party.country_code, to_party.party_id) for cc, pid, _ in parties):
        return None
    from_party = inbound.from_party or _only_party(caller)
    if from_party is None:
        raise Invalid("OCPI-from-country-code and OCPI-from-party-id are required to route a request")
    if not partner_owns(caller, from_party.country_code, from_party.party_id):
        raise NotYours(f"Party {from_party} in OCPI-from is not one of this partner's parties")
    served = (
        PartnerParty.objects.for_tenant(tenant)
        .filter(country_code__iexact=to_party.country_code, party_id__iexact=to_party.party_id)
        .exclude(role=Role.HUB)
        .exclude(partner=caller)
        .select_related("partner", "partner__bound_party")
        .first()
    )
    if served is None:
        raise UnknownReceiver(f"Party {to_party} in OCPI-to is not connected to this hub")
    partner = served.partner
    statuses = set(
        ClientInfo.objects.for_tenant(tenant)
        .filter(partner__isnull=True, country_code=to_party.country_code, party_id=to_party.party_id)
        .values_list("status", flat=True)
    )
    if partner.status != PartnerStatus.REGISTERED or (statuses and ConnectionStatus.CONNECTED not in statuses):
        shown = "/".join(sorted(statuses)) or partner.get_status_display()
        raise ReceiverNotConnected(f"Party {to_party} in OCPI-to is {shown} at this hub")
    stat = _stat(tenant, partner, to_party)
    if stat.suspended:
        raise ReceiverNotConnected(f"Routing to party {to_party} is suspended at this hub")
    if dialect_of(partner) is not inbound.dialect:
        if inbound.is_push:
            return None  # the outbox sends it in the addressee's version
        raise RoutingFailed(f"Party {to_party} is connected to this hub in OCPI {partner.version}: not routed")
    url = (
        partner.endpoints.filter(identifier=inbound.module, role=inbound.interface)
        .values_list("url", flat=True)
        .first()
    )
    if not url:
        if inbound.is_push:
            return None  # kept by the hub, for the addressee to pull
        raise RoutingFailed(f"Party {to_party} has no {inbound.module} {inbound.interface} endpoint")
    return Destination(partner=partner, party=to_party, url=url, sender=from_party)


def addressee_by_content(*, tenant: Tenant, inbound: Inbound) -> PartyRef | None:
    """The receiving party of an Open Routing Request, from what it names; None for a request that names nothing
    the hub routes by (its own to answer). Raises UnknownReceiver when the named object is not one the hub
    knows, Invalid when the body lacks the field."""
    if inbound.interface != InterfaceRole.RECEIVER:
        return None
    if inbound.module == "commands":
        command = inbound.path.split("/", 1)[0].upper()
        if inbound.method != "POST" or command not in (*_BY_LOCATION, "STOP_SESSION"):
            return None
        name = "session_id" if command == "STOP_SESSION" else "location_id"
        value = _named(inbound.body, name)
        owners = (
            Session.objects.for_tenant(tenant).filter(session_id__iexact=value)
            if command == "STOP_SESSION"
            else Location.objects.for_tenant(tenant).filter(location_id__iexact=value)
        )
    elif inbound.module == "chargingprofiles" and inbound.path:
        name, value = "session_id", inbound.path.split("/", 1)[0]
        owners = Session.objects.for_tenant(tenant).filter(session_id__iexact=value)
    else:
        return None
    found = {PartyRef(cc.upper(), pid.upper()) for cc, pid in owners.values_list("country_code", "party_id")[:2]}
    if len(found) != 1:
        what = "several parties' objects" if found else "no object the hub knows"
        raise UnknownReceiver(f"Open routing: {name} {value!r} names {what}; send OCPI-to to address the party")
    return found.pop()


def _named(body: bytes, name: str) -> str:
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        document = None
    value = document.get(name) if isinstance(document, dict) else None
    if not isinstance(value, str) or not value:
        raise Invalid(f"{name} is required to route a request without OCPI-to", field=name)
    return value


def _only_party(caller: Partner) -> PartyRef | None:
    """The sending party of a request without OCPI-from: the caller's one party, when it has only one."""
    parties = list(PartnerParty.objects.filter(partner=caller).values_list("country_code", "party_id")[:2])
    return PartyRef(*parties[0]) if len(parties) == 1 else None


def route(*, tenant: Tenant, caller: Partner, inbound: Inbound) -> Answer | None:
    """Forward a request addressed to a party the hub connects and return its answer; None when the hub
    answers it itself (addressed to the hub or its own parties, or a push its addressee cannot take now)."""
    target = destination(tenant=tenant, caller=caller, inbound=inbound)
    if target is None:
        return None
    try:
        return forward(tenant=tenant, caller=caller, inbound=inbound, target=target)
    except (RoutingTimeout, ReceiverNotConnected) as exc:
        if not inbound.is_push:
            raise
        logger.warning(
            "%s %s to %s: %s; kept and passed on from the outbox", inbound.method, inbound.module, target.party, exc
        )
        return None


def forward(*, tenant: Tenant, caller: Partner, inbound: Inbound, target: Destination) -> Answer:
    """Send the request on to `target` and return its answer (raises RoutingTimeout, ReceiverNotConnected or
    RoutingFailed when there is no OCPI answer). The forwarded request is counted on the party's route."""
    body, query = _with_relay(tenant=tenant, caller=caller, inbound=inbound, target=target)
    url = target.url.rstrip("/") + (f"/{inbound.path}" if inbound.path else "")
    answer = _send(
        target.partner,
        inbound.method,
        url,
        query=query,
        body=body,
        from_party=target.sender,
        to_party=target.party,
        counted=(tenant, target),
    )
    rebased = _rebased(answer, target.url, inbound.endpoint_url)
    return dataclasses.replace(rebased, addressee=target.party, requester=target.sender)


def relay_result(*, tenant: Tenant, caller: Partner, key: str, body: bytes) -> Answer:
    """The asynchronous result of a command or charging profile request the hub forwarded: POSTed by the
    addressee to the hub's URL of the relay, passed on to the requester's response_url."""
    relay = Relay.objects.for_tenant(tenant).filter(key=key).select_related("requester").first()
    if relay is None:
        raise UnknownObject(f"Unknown response URL {key}")
    to_us = PartyRef(relay.to_country_code, relay.to_party_id)
    if not partner_owns(caller, to_us.country_code, to_us.party_id):
        raise NotYours(f"This response URL is for results of {to_us}")
    requester = PartyRef(relay.from_country_code, relay.from_party_id)
    target = Destination(partner=relay.requester, party=requester, url=relay.response_url, sender=to_us)
    answer = _send(
        relay.requester,
        "POST",
        relay.response_url,
        query="",
        body=body,
        from_party=to_us,
        to_party=requester,
        counted=(tenant, target),
    )
    Relay.objects.filter(pk=relay.pk).update(results=F("results") + 1)
    return answer


def _with_relay(*, tenant: Tenant, caller: Partner, inbound: Inbound, target: Destination) -> tuple[bytes, str]:
    """The body and query to forward: a response_url (commands, charging profiles; in the body of a POST or
    PUT, in the query of a GET or DELETE) becomes the hub's URL of a relay to the requester's."""
    body, query = inbound.body, inbound.query
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        document = None
    params = parse_qsl(query, keep_blank_values=True)
    in_body = isinstance(document, dict) and isinstance(document.get("response_url"), str)
    in_query = any(name == "response_url" for name, _ in params)
    if not in_body and not in_query:
        return body, query
    original = document["response_url"] if in_body else dict(params)["response_url"]
    if not on_partner_host(caller, original):
        # The hub posts the result there with its token to the requester: only to the requester's own host.
        raise Invalid(f"response_url {original!r} is not on a host of this partner")
    relay = Relay.objects.create(
        tenant=tenant,
        module=inbound.module,
        requester=caller,
        response_url=original[:255],
        from_country_code=target.sender.country_code,
        from_party_id=target.sender.party_id,
        to_country_code=target.party.country_code,
        to_party_id=target.party.party_id,
    )
    ours = f"{inbound.version_url.rstrip('/')}/hub/relay/{relay.key}"
    if in_body:
        body = orjson.dumps({**document, "response_url": ours})
    if in_query:
        query = urlencode([(name, ours if name == "response_url" else value) for name, value in params])
    return body, query


def _send(
    partner: Partner,
    method: str,
    url: str,
    *,
    query: str,
    body: bytes,
    from_party: PartyRef | None,
    to_party: PartyRef,
    counted: tuple[Tenant, Destination],
) -> Answer:
    client = client_for(partner)
    correlation = correlation_id_var.get()
    headers = {
        "Authorization": client.authorization(),
        "Accept": "application/json",
        # A hop of its own: a new X-Request-ID, the caller's X-Correlation-ID (unique message IDs).
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": correlation if correlation != "-" else str(uuid.uuid4()),
    }
    if dialect_of(partner).routing_headers:  # a 2.1.1 platform has none (VERSION-DIFFERENCES 3.3)
        headers.update(routing_headers(from_party=from_party, to_party=to_party))
    if body:
        headers["Content-Type"] = "application/json"
    full_url = f"{url}?{query}" if query else url
    tenant, target = counted
    try:
        response = client.session.request(
            method,
            full_url,
            data=body or None,
            headers=headers,
            timeout=(settings.OCPI_CLIENT_CONNECT_TIMEOUT, client.read_timeout),
        )
    except requests.RequestException as exc:
        error = _unreachable(exc, to_party, client.read_timeout)
        _count(tenant, target, error=error.message)
        raise error from exc
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("status_code"), int):
        error = RoutingFailed(f"Party {to_party} answered HTTP {response.status_code} without an OCPI envelope")
        _count(tenant, target, error=error.message)
        raise error
    code = document["status_code"]
    failed = not status.is_success(code) or response.status_code >= 300
    _count(
        tenant,
        target,
        error=f"HTTP {response.status_code}, OCPI {code}: {document.get('status_message', '')}" if failed else "",
    )
    passed = {name: response.headers[name] for name in _PASSED_HEADERS if name in response.headers}
    return Answer(http_status=response.status_code, body=document, headers=passed)


def _unreachable(exc: requests.RequestException, party: PartyRef, timeout: float) -> DomainError:
    """4002 when the addressee took the request and did not answer in time (a read timeout, which arrives
    wrapped as a ConnectionError after the connect retries of the client's adapter), else 4003."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ReadTimeout) or isinstance(reason, ReadTimeoutError):
        return RoutingTimeout(f"Party {party} did not answer within {timeout:g} s")
    return ReceiverNotConnected(f"Party {party} did not accept the connection ({exc.__class__.__name__})")


def _rebased(answer: Answer, theirs: str, ours: str) -> Answer:
    """Links and Locations of the addressee's endpoint made the hub's, which is what the caller may call."""
    theirs = theirs.rstrip("/")
    headers = {}
    for name, value in answer.headers.items():
        if name in ("Link", "Location"):
            if theirs not in value:
                continue  # a URL the caller could not call with its token to the hub
            value = value.replace(theirs, ours.rstrip("/"))
        headers[name] = value
    return Answer(answer.http_status, answer.body, headers)


def _stat(tenant: Tenant, partner: Partner, party: PartyRef) -> RouteStat:
    stat, _ = RouteStat.objects.get_or_create(
        tenant=tenant, partner=partner, country_code=party.country_code, party_id=party.party_id
    )
    return stat


def _count(tenant: Tenant, target: Destination, *, error: str) -> None:
    updates = {"forwarded": F("forwarded") + 1, "last_forwarded_at": timezone.now()}
    if error:
        updates.update(errors=F("errors") + 1, last_error=error[:2000])
    stat = _stat(tenant, target.partner, target.party)
    RouteStat.objects.filter(pk=stat.pk).update(**updates)


def passing_on(tenant_id: int) -> Callable[[OutgoingRequest | None], OutgoingRequest | None]:
    """What a hub tenant sends of another party's location, tariff or token is a broadcast of the hub's: its
    OCPI-from is the hub ("Party to Party Broadcast Push": hub to receiving platform, FROM Hub), while the URL
    keeps the owner. Sessions and CDRs stay addressed from their owner. Anything else passes unchanged; the
    tenant's parties are read once for all the requests the function is given."""
    parties = list(Party.objects.filter(tenant_id=tenant_id).values_list("country_code", "party_id", "role"))
    hub = next((PartyRef(cc, pid) for cc, pid, role in parties if role == Role.HUB), None)
    ours = {PartyRef(cc, pid) for cc, pid, _ in parties}

    def as_sent(request: OutgoingRequest | None) -> OutgoingRequest | None:
        if request is None or hub is None or request.module not in BROADCAST_MODULES:
            return request
        if request.from_party is None or request.from_party in ours:
            return request
        whole = as_sent(request.whole)
        return dataclasses.replace(request, from_party=hub, whole=whole)

    return as_sent


def suspend(*, routes, suspended: bool) -> int:
    """Suspend (or resume) routing to the parties of these routes (a RouteStat queryset of one tenant, as the
    admin's selection is): requests to a suspended one are answered 4003. Returns how many changed."""
    return routes.exclude(suspended=suspended).update(suspended=suspended)


def routes(*, tenant: Tenant) -> list[RouteStat]:
    """Every party the hub routes to, with its counts: one row per party of its partners (created as needed,
    so a party nobody has sent a request yet is shown, and may be suspended before its first one)."""
    for party in PartnerParty.objects.for_tenant(tenant).exclude(role=Role.HUB).select_related("partner"):
        _stat(tenant, party.partner, PartyRef(party.country_code, party.party_id))
    return list(RouteStat.objects.for_tenant(tenant).select_related("partner").order_by("country_code", "party_id"))
