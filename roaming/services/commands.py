"""Commands services (mod_commands, both versions): both sides of the asynchronous command flow.

eMSP side: send_command() POSTs a command to the partner's commands receiver with a response_url
of ours, records the synchronous CommandResponse, and record_result() takes the charge point's
result at that URL. CPO side: receive_command() checks a partner's command against the tenant's
own locations and sessions, answers it, and hands an accepted one to the charge point backend;
charge_point_result() takes the backend's answer, owed to the eMSP's response_url as a delivery of the
outbox (durable, retried by the partner's policy). expire_overdue() ends, on both sides, commands whose
result is past its deadline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.models import InterfaceRole, Partner, Role, Tenant
from roaming.errors import DomainError, Invalid, UnknownLocation, UnknownObject
from roaming.models import (
    Command,
    CommandDirection,
    CommandStatus,
    CommandType,
    Connector,
    DeliveryMethod,
    Evse,
    Location,
    Session,
    SessionStatus,
    Token,
)
from roaming.models.commands import WAITING
from roaming.ocpi.client import OcpiClient, PartnerError, client_for
from roaming.ocpi.common import jsonable
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.push import OutgoingRequest, url_of
from roaming.services import awaiting, outbox, ownership
from roaming.services.backend import backend
from roaming.services.ownership import partner_owns

logger = logging.getLogger(__name__)

MODULE = "commands"
_TOKEN_FIELDS = [
    f.name for f in Token._meta.concrete_fields if f.name not in ("id", "tenant", "partner") and not f.is_relation
]


def text(message: str) -> list[dict]:
    """A DisplayText list holding one English message."""
    return [{"language": "en", "text": message[:512]}]


def token_request(token: Token) -> dict:
    """A Token as it travels inside a command request (internal shape)."""
    return jsonable({name: getattr(token, name) for name in _TOKEN_FIELDS})


# -- eMSP side: sending a command and taking its result --------------------------------------------------


def response_url(*, tenant: Tenant, version: str, command: Command) -> str:
    """Our URL for this command's result: below the tenant's commands sender endpoint, unguessable."""
    base = f"{settings.OCPI_BASE_URL.rstrip('/')}/ocpi/{tenant.slug}/{version}"
    return f"{base}/{InterfaceRole.SENDER.lower()}/{MODULE}/{command.command}/{command.uid}"


def send_command(
    *, tenant: Tenant, partner: Partner, command: str, request: dict, client: OcpiClient | None = None
) -> Command:
    """Send a command to a CPO partner and record its synchronous answer (the row is committed first, as
    the result may come back before the answer does). A command the partner's version cannot carry is
    NOT_SUPPORTED and never sent; a partner that cannot be reached or answers nonsense makes it FAILED.
    Call it outside a transaction, so that the row is visible to the result when it comes."""
    record = Command.objects.create(
        tenant=tenant,
        direction=CommandDirection.SENT,
        partner=partner,
        command=command,
        request=request,
        deadline=awaiting.result_deadline(None),
    )
    awaiting.step(record, "requested", f"to {partner.name}")
    dialect = dialect_of(partner)
    translator = dialect.module(MODULE) if dialect is not None and dialect.has_module(MODULE) else None
    if translator is None or command not in translator.commands:
        record.response_result = CommandStatus.NOT_SUPPORTED
        record.response_message = text(f"OCPI {dialect or '(no version)'} has no {command} command")
        return awaiting.end(record, CommandStatus.NOT_SUPPORTED, "not sent", record.response_message[0]["text"])
    endpoint = partner.endpoints.filter(identifier=MODULE, role=InterfaceRole.RECEIVER).first()
    if endpoint is None or not partner.is_registered:
        return awaiting.end(
            record, CommandStatus.FAILED, "not sent", f"{partner.name} offers no commands receiver endpoint"
        )
    record.response_url = response_url(tenant=tenant, version=dialect.version, command=record)
    try:
        wire = translator.request_to_wire(command, request, record.response_url)
        translator.parse_request(command, wire)  # never send what we would refuse ourselves
    except Invalid as exc:
        return awaiting.end(record, CommandStatus.FAILED, "not sent", f"invalid request: {exc.message}")
    record.save()
    # The client sends the routing headers where the partner's version or profile wants them.
    to_party = ownership.addressed_cpo(
        tenant=tenant,
        partner=partner,
        location_id=request.get("location_id"),
        session_id=request.get("session_id"),
    )
    try:
        ownership.ensure_reachable(partner=partner, party=to_party)
        answer = (client or client_for(partner)).post(
            url_of(endpoint.url, command),
            json=wire,
            to_party=to_party,
            from_party=ownership.own_party(tenant, partner, Role.EMSP) if to_party else None,
        )
        response = translator.response_from_wire(answer.object())
    except (PartnerError, Invalid) as exc:
        return awaiting.fail_sent(Command, record.pk, str(exc))
    return awaiting.record_response(Command, record.pk, response)


@transaction.atomic
def record_result(*, tenant: Tenant, partner: Partner, command: str, uid: str, result: dict) -> Command:
    """The charge point's result, POSTed by the CPO to our response_url: only by the partner the command
    went to, for that command. A later result replaces an earlier one (the CPO cancelling a reservation
    posts CANCELED_RESERVATION to the RESERVE_NOW's URL)."""
    record = (
        Command.objects.for_tenant(tenant)
        .select_for_update()
        .filter(direction=CommandDirection.SENT, partner=partner, command=command, uid=uid)
        .first()
    )
    if record is None:
        raise UnknownObject(f"Unknown {command} command {uid!r}")
    late = record.status == CommandStatus.TIMEOUT
    record.result, record.result_message, record.result_at = result["result"], result["message"], timezone.now()
    record.status = CommandStatus.COMPLETED
    awaiting.step(record, "result", result["result"] + (" (after the timeout)" if late else ""))
    record.save()
    return record


# -- CPO side: taking a command, and forwarding the charge point's result ---------------------------------


@dataclass(frozen=True)
class Answer:
    """The CommandResponse we give: did the command reach a charge point?"""

    result: str
    timeout: int
    message: list = field(default_factory=list)
    #: What the envelope also says, as a domain error answered with its status code next to the result: the
    #: command names a location, EVSE or connector we do not have (mod_commands, "UNLOCK_CONNECTOR Unknown
    #: Location": 2003 with result REJECTED). None: success.
    refused_as: type[DomainError] | None = None


def not_supported(command: str, dialect: Dialect) -> Answer:
    """The answer to a command the caller's version does not have (2.1.1 CANCEL_RESERVATION)."""
    return Answer("NOT_SUPPORTED", settings.COMMAND_RESULT_TIMEOUT_SECONDS, text(f"OCPI {dialect} has no {command}"))


def token_owner(partner: Partner) -> tuple[str, str] | None:
    """The owner of the tokens a partner sends in commands when its version does not say (its eMSP party)."""
    party = ownership.party_of(partner, Role.EMSP)
    return (party.country_code, party.party_id) if party else None


@dataclass(frozen=True)
class Target:
    location: Location
    evse: Evse | None
    connector: Connector | None


def find_target(*, tenant: Tenant, request: dict) -> Target | str:
    """The tenant's own location, EVSE and connector a request names, or why there is none."""
    location = (
        Location.objects.for_tenant(tenant)
        .filter(partner__isnull=True, location_id__iexact=request["location_id"])
        .first()
    )
    if location is None:
        return f"Unknown location {request['location_id']!r}"
    evse = connector = None
    if request.get("evse_uid"):
        evse = location.evses.filter(uid__iexact=request["evse_uid"]).exclude(status="REMOVED").first()
        if evse is None:
            return f"Unknown EVSE {request['evse_uid']!r} at location {location.location_id!r}"
    if request.get("connector_id") and evse is not None:
        connector = evse.connectors.filter(connector_id__iexact=request["connector_id"]).first()
        if connector is None:
            return f"Unknown connector {request['connector_id']!r} at EVSE {evse.uid!r}"
    return Target(location, evse, connector)


#: The EVSE capability (mod_locations Capability) each command needs of the EVSE it names.
_NEEDED_CAPABILITY = {
    CommandType.START_SESSION: "REMOTE_START_STOP_CAPABLE",
    CommandType.RESERVE_NOW: "RESERVABLE",
    CommandType.UNLOCK_CONNECTOR: "UNLOCK_CAPABLE",
}


def capability_refusal(command: str, evse: Evse | None, request: dict) -> tuple[str, str] | None:
    """(CommandResponseType, reason) when the EVSE's capabilities rule the command out.

    An EVSE that declares capabilities but not the one a command needs cannot do it (NOT_SUPPORTED); one that
    declares none says nothing either way (the list is optional, and 2.1.1 partners rarely fill it), so it is
    not refused. START_SESSION_CONNECTOR_REQUIRED makes StartSession's connector_id required (REJECTED)."""
    if evse is None or not evse.capabilities:
        return None
    needed = _NEEDED_CAPABILITY.get(command)
    if needed and needed not in evse.capabilities:
        return "NOT_SUPPORTED", f"EVSE {evse.uid!r} is not {needed}"
    if (
        command == CommandType.START_SESSION
        and "START_SESSION_CONNECTOR_REQUIRED" in evse.capabilities
        and not request.get("connector_id")
    ):
        return "REJECTED", f"EVSE {evse.uid!r} requires connector_id (START_SESSION_CONNECTOR_REQUIRED)"
    return None


def _refusal(*, tenant: Tenant, partner: Partner, command: str, request: dict) -> tuple[str, str] | Answer | None:
    """(CommandResponseType, reason) when the command cannot go to a charge point, else None; the whole
    Answer when it is not answered with 1000.

    The token is the eMSP's to vouch for (mod_commands StartSession/ReserveNow: the CPO does not check its
    validity); it must only be one of the sending eMSP's own."""
    token = request.get("token")
    if token and not partner_owns(partner, token.get("country_code", ""), token.get("party_id", "")):
        return "REJECTED", "The token is not one of your parties' tokens"
    if "location_id" in request:
        target = find_target(tenant=tenant, request=request)
        if isinstance(target, str):
            return Answer("REJECTED", settings.COMMAND_RESULT_TIMEOUT_SECONDS, text(target), UnknownLocation)
        capability = capability_refusal(command, target.evse, request)
        if capability is not None:
            return capability
    if command == CommandType.STOP_SESSION:
        session = (
            Session.objects.for_tenant(tenant)
            .filter(partner__isnull=True, session_id__iexact=request["session_id"])
            .first()
        )
        if session is None:
            return "UNKNOWN_SESSION", f"Unknown session {request['session_id']!r}"
        if not partner_owns(partner, session.cdr_token.get("country_code", ""), session.cdr_token.get("party_id", "")):
            return "REJECTED", "The session is not one of your drivers'"
        if session.status not in (SessionStatus.ACTIVE, SessionStatus.PENDING, SessionStatus.RESERVATION):
            return "REJECTED", f"The session is {session.status}"
    if command == CommandType.CANCEL_RESERVATION and not reservation_of(
        tenant=tenant, partner=partner, reservation_id=request["reservation_id"]
    ):
        return "REJECTED", f"Unknown reservation {request['reservation_id']!r}"
    return None


def reservation_of(*, tenant: Tenant, partner: Partner, reservation_id: str) -> Command | None:
    """The partner's accepted RESERVE_NOW with this reservation_id (a reservation is per eMSP, never shared)."""
    return (
        Command.objects.for_tenant(tenant)
        .filter(
            direction=CommandDirection.RECEIVED,
            partner=partner,
            command=CommandType.RESERVE_NOW,
            request__reservation_id=reservation_id,
            response_result="ACCEPTED",
        )
        .first()
    )


def receive_command(*, tenant: Tenant, partner: Partner, command: str, request: dict, response_url: str) -> Answer:
    """A partner's command (already valid on the wire): refused when it names what the tenant does not have,
    else stored and, once committed, handed to the charge point backend."""
    refusal = _refusal(tenant=tenant, partner=partner, command=command, request=request)
    if refusal is None and not ownership.on_partner_host(partner, response_url):
        refusal = "REJECTED", "The response_url is not on a host of your OCPI endpoints"
    timeout = settings.COMMAND_RESULT_TIMEOUT_SECONDS
    if isinstance(refusal, tuple):
        refusal = Answer(refusal[0], timeout, text(refusal[1]))
    answer = refusal or Answer("ACCEPTED", timeout)
    with transaction.atomic():
        record = Command(
            tenant=tenant,
            direction=CommandDirection.RECEIVED,
            partner=partner,
            command=command,
            request=request,
            response_url=response_url,
            response_result=answer.result,
            response_timeout=timeout,
            response_message=answer.message,
            responded_at=timezone.now(),
            status=answer.result,
            deadline=awaiting.result_deadline(timeout),
        )
        awaiting.step(record, "received", f"from {partner.name}")
        awaiting.step(record, "answered", answer.result + (f": {answer.message[0]['text']}" if refusal else ""))
        record.save()
        if refusal is None:
            transaction.on_commit(lambda: backend().dispatch(record))
    return answer


@transaction.atomic
def charge_point_result(*, command_id: int, result: str, message: list | None = None) -> Command | None:
    """The charge point's answer to a received command: recorded, then forwarded to the eMSP after commit.
    Only the first answer counts (safe to run twice)."""
    record = (
        Command.objects.select_for_update()
        .filter(pk=command_id, direction=CommandDirection.RECEIVED, status__in=WAITING)
        .first()
    )
    if record is None:
        return None
    record.result, record.result_message, record.result_at = result, message or [], timezone.now()
    record.status = CommandStatus.TIMEOUT if result == "TIMEOUT" else CommandStatus.COMPLETED
    awaiting.step(record, "charge point", result)
    _owe_result(record)
    record.save()
    return record


@transaction.atomic
def cancel_reservation(*, tenant: Tenant, command_id: int) -> Command | None:
    """The CPO cancels a reservation it accepted (a broken charge point, roadworks): the eMSP is told
    CANCELED_RESERVATION at the RESERVE_NOW's response_url (2.2.1 mod_commands flow)."""
    record = (
        Command.objects.for_tenant(tenant)
        .select_for_update()
        .filter(
            pk=command_id,
            direction=CommandDirection.RECEIVED,
            command=CommandType.RESERVE_NOW,
            response_result="ACCEPTED",
        )
        .exclude(result="CANCELED_RESERVATION")
        .first()
    )
    if record is None:
        return None
    record.result, record.result_message, record.result_at = "CANCELED_RESERVATION", [], timezone.now()
    record.status = CommandStatus.COMPLETED
    awaiting.step(record, "reservation canceled by us")
    _owe_result(record)
    record.save()
    return record


def _owe_result(record: Command) -> None:
    """The result goes to the eMSP's response_url through the outbox; call inside the record's transaction,
    before saving it."""
    awaiting.step(record, "result owed to the eMSP", record.result)
    outbox.record_for(partner=record.partner, module=MODULE, object_path=str(record.pk), method=DeliveryMethod.POST)


def _received(delivery) -> Command | None:
    return (
        Command.objects.for_tenant(delivery.tenant_id)
        .filter(pk=int(delivery.object_path), partner_id=delivery.partner_id, direction=CommandDirection.RECEIVED)
        .exclude(result="")
        .first()
    )


def build_result(delivery, dialect: Dialect) -> OutgoingRequest | None:
    """POST the command's result (CommandResult) to the eMSP's response_url, as the tenant's CPO party."""
    record = _received(delivery)
    if record is None:
        return None
    to_party = ownership.party_of(delivery.partner, Role.EMSP)
    return OutgoingRequest(
        "POST",
        "",
        body=dialect.module(MODULE).result_to_wire(result=record.result, message=record.result_message),
        module=MODULE,
        to_party=to_party,
        from_party=ownership.own_party(delivery.partner.tenant, delivery.partner, Role.CPO) if to_party else None,
    )


def _response_url(partner: Partner, delivery) -> str | None:
    record = _received(delivery)
    return record.response_url if record is not None else None


def _result_attempted(delivery, error: PartnerError | None) -> None:
    awaiting.note_result(Command, int(delivery.object_path), error)


# -- both sides: the deadline -----------------------------------------------------------------------------


def expire_overdue(*, limit: int = 500) -> int:
    """End commands still waiting past their deadline: TIMEOUT. A received one also tells the eMSP so
    (CommandResultType TIMEOUT: no answer from the charge point in time)."""
    expired = 0
    for record in awaiting.overdue(Command, WAITING, limit=limit):
        if record.direction == CommandDirection.RECEIVED:
            record.result = "TIMEOUT"
            _owe_result(record)
        awaiting.end(record, CommandStatus.TIMEOUT, "timed out", f"no result by {record.deadline.isoformat()}")
        expired += 1
    return expired


PUSHABLE = outbox.Pushable(MODULE, build=build_result, url=_response_url, attempted=_result_attempted)
