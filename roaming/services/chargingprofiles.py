"""Charging profiles services (mod_charging_profiles, 2.2.1 only): both sides of the asynchronous flow.

eMSP/SCSP side: set_profile(), get_active_profile() and clear_profile() call a CPO partner's
chargingprofiles receiver (PUT/GET/DELETE {url}/{session_id}) with a response_url of ours and record
its ChargingProfileResponse; record_result() takes the charge point's result at that URL and
put_active_profile() the ActiveChargingProfile the CPO pushes. CPO side: receive_request() checks a
request against the tenant's own sessions, answers it, and hands an accepted one to the charge point
backend; charge_point_result() takes the backend's answer, owed to the sender's response_url;
report_active_profile() tells those senders of a plan the charge point changed by itself. Both go through the
outbox (durable, retried by the partner's policy): deliveries "result/<request id>" and "active/<session id>".
expire_overdue() ends, on both sides, requests whose result is past its deadline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.models import InterfaceRole, Partner, Role, Tenant
from roaming.errors import Invalid, UnknownObject
from roaming.models import (
    ActiveChargingProfile,
    ChargingProfileDirection,
    ChargingProfileKind,
    ChargingProfileRequest,
    ChargingProfileStatus,
    DeliveryMethod,
    Session,
    SessionStatus,
)
from roaming.models.chargingprofiles import WAITING
from roaming.ocpi.client import OcpiClient, PartnerError, client_for
from roaming.ocpi.common import jsonable
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.push import OutgoingRequest, url_of
from roaming.services import awaiting, outbox, ownership, session_site
from roaming.services.backend import backend
from roaming.services.ownership import partner_owns

logger = logging.getLogger(__name__)

MODULE = "chargingprofiles"


def store_active_profile(*, tenant: Tenant, partner: Partner | None, session_id: str, active: dict) -> None:
    """Keep `active` (internal ActiveChargingProfile) as the session's last known profile."""
    ActiveChargingProfile.objects.update_or_create(
        tenant=tenant,
        partner=partner,
        session_id__iexact=session_id,
        defaults={"start_date_time": active["start_date_time"], "charging_profile": active["charging_profile"]},
        create_defaults={
            "session_id": session_id,
            "start_date_time": active["start_date_time"],
            "charging_profile": active["charging_profile"],
        },
    )


def active_profile(*, tenant: Tenant, partner: Partner | None, session_id: str) -> ActiveChargingProfile | None:
    """The session's last known ActiveChargingProfile (partner None: one of our own sessions)."""
    return (
        ActiveChargingProfile.objects.for_tenant(tenant).filter(partner=partner, session_id__iexact=session_id).first()
    )


# -- eMSP/SCSP side: sending a request and taking its result ----------------------------------------------


def response_url(*, tenant: Tenant, version: str, record: ChargingProfileRequest) -> str:
    """Our URL for this request's result: below the tenant's chargingprofiles sender endpoint, unguessable."""
    base = f"{settings.OCPI_BASE_URL.rstrip('/')}/ocpi/{tenant.slug}/{version}"
    return f"{base}/{InterfaceRole.SENDER.lower()}/{MODULE}/{record.kind}/{record.uid}"


def set_profile(
    *, tenant: Tenant, partner: Partner, session_id: str, profile: dict, client: OcpiClient | None = None
) -> ChargingProfileRequest:
    """Ask a CPO partner to set `profile` (a ChargingProfile, 2.2.1 shape) on one of its sessions."""
    return _send(
        tenant=tenant,
        partner=partner,
        kind=ChargingProfileKind.SET,
        session_id=session_id,
        profile=profile,
        client=client,
    )


def get_active_profile(
    *, tenant: Tenant, partner: Partner, session_id: str, duration: int, client: OcpiClient | None = None
) -> ChargingProfileRequest:
    """Ask a CPO partner for the next `duration` seconds of a session's ActiveChargingProfile."""
    return _send(
        tenant=tenant,
        partner=partner,
        kind=ChargingProfileKind.GET,
        session_id=session_id,
        duration=duration,
        client=client,
    )


def clear_profile(
    *, tenant: Tenant, partner: Partner, session_id: str, client: OcpiClient | None = None
) -> ChargingProfileRequest:
    """Ask a CPO partner to remove the profile we set on one of its sessions."""
    return _send(tenant=tenant, partner=partner, kind=ChargingProfileKind.CLEAR, session_id=session_id, client=client)


def _send(
    *,
    tenant: Tenant,
    partner: Partner,
    kind: str,
    session_id: str,
    profile: dict | None = None,
    duration: int | None = None,
    client: OcpiClient | None = None,
) -> ChargingProfileRequest:
    """Send one request and record the synchronous answer (the row is committed first, as the result may come
    back before the answer does). A partner whose version has no charging profiles gets nothing: the request is
    NOT_SUPPORTED; one that cannot be reached or answers nonsense makes it FAILED. Call it outside a transaction."""
    record = ChargingProfileRequest.objects.create(
        tenant=tenant,
        direction=ChargingProfileDirection.SENT,
        partner=partner,
        session_id=session_id,
        kind=kind,
        profile=profile,
        duration=duration,
        deadline=awaiting.result_deadline(None),
    )
    awaiting.step(record, "requested", f"to {partner.name}")
    dialect = dialect_of(partner)
    if dialect is None or not dialect.has_module(MODULE):
        record.response_result = ChargingProfileStatus.NOT_SUPPORTED
        reason = f"OCPI {dialect or '(no version)'} of {partner.name} has no charging profiles"
        return awaiting.end(record, ChargingProfileStatus.NOT_SUPPORTED, "not sent", reason)
    endpoint = partner.endpoints.filter(identifier=MODULE, role=InterfaceRole.RECEIVER).first()
    if endpoint is None or not partner.is_registered:
        reason = f"{partner.name} offers no chargingprofiles receiver endpoint"
        return awaiting.end(record, ChargingProfileStatus.FAILED, "not sent", reason)
    translator = dialect.module(MODULE)
    record.response_url = response_url(tenant=tenant, version=dialect.version, record=record)
    try:
        translator.session_id(session_id)
        body = None
        if kind == ChargingProfileKind.SET:
            body = translator.set_to_wire(profile=profile, response_url=record.response_url)
    except Invalid as exc:  # never send what we would refuse ourselves
        return awaiting.end(record, ChargingProfileStatus.FAILED, "not sent", f"invalid request: {exc.message}")
    record.save()
    url = url_of(endpoint.url, quote(session_id, safe=""))
    # The client sends the routing headers where the partner's version or profile wants them.
    to_party = ownership.addressed_cpo(tenant=tenant, partner=partner, session_id=session_id)
    from_party = (
        (ownership.own_party(tenant, partner, Role.EMSP) or ownership.own_party(tenant, partner, Role.SCSP))
        if to_party
        else None
    )
    routing = {"to_party": to_party, "from_party": from_party}
    try:
        ownership.ensure_reachable(partner=partner, party=to_party)
        http = client or client_for(partner)
        if kind == ChargingProfileKind.SET:
            answer = http.put(url, json=body, **routing)
        elif kind == ChargingProfileKind.GET:
            params = translator.get_to_wire(duration=duration, response_url=record.response_url)
            answer = http.get(url, params=params, **routing)
        else:
            answer = http.delete(url, params=translator.clear_to_wire(response_url=record.response_url), **routing)
        response = translator.response_from_wire(answer.object())
    except (PartnerError, Invalid) as exc:
        return awaiting.fail_sent(ChargingProfileRequest, record.pk, str(exc))
    return awaiting.record_response(ChargingProfileRequest, record.pk, response)


@transaction.atomic
def record_result(*, tenant: Tenant, partner: Partner, kind: str, uid: str, result: dict) -> ChargingProfileRequest:
    """The charge point's result, POSTed by the CPO to our response_url: only by the partner the request went to,
    for that request. An accepted GET's ActiveChargingProfile becomes the session's last known one."""
    record = (
        ChargingProfileRequest.objects.for_tenant(tenant)
        .select_for_update()
        .filter(direction=ChargingProfileDirection.SENT, partner=partner, kind=kind, uid=uid)
        .first()
    )
    if record is None:
        raise UnknownObject(f"Unknown charging profile {kind} request {uid!r}")
    late = record.status == ChargingProfileStatus.TIMEOUT
    record.result, record.result_at = result["result"], timezone.now()
    record.result_profile = jsonable(result["profile"]) if result["profile"] else None
    record.status = ChargingProfileStatus.COMPLETED
    awaiting.step(record, "result", result["result"] + (" (after the timeout)" if late else ""))
    record.save()
    if result["profile"] and result["result"] == "ACCEPTED":
        store_active_profile(tenant=tenant, partner=partner, session_id=record.session_id, active=result["profile"])
    return record


def put_active_profile(*, tenant: Tenant, partner: Partner, session_id: str, active: dict) -> None:
    """The CPO pushes a session's changed ActiveChargingProfile (Sender interface PUT): kept per partner."""
    store_active_profile(tenant=tenant, partner=partner, session_id=session_id, active=active)
    logger.info("active charging profile of %s from %s", session_id, partner.name)


# -- CPO side: taking a request, and forwarding the charge point's result ----------------------------------


#: The charge point backend's method for each kind of request.
_BACKEND_METHODS = {
    ChargingProfileKind.SET: "set_profile",
    ChargingProfileKind.GET: "get_profile",
    ChargingProfileKind.CLEAR: "clear_profile",
}


@dataclass(frozen=True)
class Answer:
    """The ChargingProfileResponse we give: could the request reach a charge point?"""

    result: str
    timeout: int
    reason: str = ""


def _refusal(*, tenant: Tenant, partner: Partner, session_id: str, kind: str) -> tuple[str, str] | None:
    """(ChargingProfileResponseType, reason) when the request cannot go to a charge point, else None.

    mod_charging_profiles: profiles are set by the owner of the session's token, or by a Smart Charging
    Service Provider the CPO delegated smart charging to ("The CPO delegated Smart Charging to SCSP": a
    partner with an SCSP party steers the CPO's sessions whoever the driver is); the CPO may reject others,
    answer NOT_SUPPORTED for an EVSE that is not CHARGING_PROFILE_CAPABLE, and TOO_OFTEN to a sender that
    sets profiles faster than CHARGING_PROFILE_MIN_INTERVAL_SECONDS for one session."""
    session = Session.objects.for_tenant(tenant).filter(partner__isnull=True, session_id__iexact=session_id).first()
    if session is None:
        return ChargingProfileStatus.UNKNOWN_SESSION, f"Unknown session {session_id!r}"
    token = session.cdr_token
    delegated = partner.parties.filter(role=Role.SCSP).exists()
    if not delegated and not partner_owns(partner, token.get("country_code", ""), token.get("party_id", "")):
        return ChargingProfileStatus.REJECTED, "The session is not one of your drivers'"
    if session.status != SessionStatus.ACTIVE:
        return ChargingProfileStatus.REJECTED, f"The session is {session.status}"
    evse = session_site.evses_of(session).only("capabilities").first()
    if evse is not None and evse.capabilities and "CHARGING_PROFILE_CAPABLE" not in evse.capabilities:
        return ChargingProfileStatus.NOT_SUPPORTED, f"EVSE {session.evse_uid!r} is not CHARGING_PROFILE_CAPABLE"
    interval = settings.CHARGING_PROFILE_MIN_INTERVAL_SECONDS
    if kind == ChargingProfileKind.SET and interval:
        recent = ChargingProfileRequest.objects.filter(
            tenant=tenant,
            direction=ChargingProfileDirection.RECEIVED,
            partner=partner,
            kind=ChargingProfileKind.SET,
            session_id__iexact=session_id,
            response_result=ChargingProfileStatus.ACCEPTED,
            created__gte=timezone.now() - timedelta(seconds=interval),
        )
        if recent.exists():
            return ChargingProfileStatus.TOO_OFTEN, f"At most one profile per {interval} s for a session"
    return None


def receive_request(
    *,
    tenant: Tenant,
    partner: Partner,
    kind: str,
    session_id: str,
    response_url: str,
    profile: dict | None = None,
    duration: int | None = None,
) -> Answer:
    """A partner's request (already valid on the wire): refused when the session is not one it may steer,
    else stored and, once committed, handed to the charge point backend."""
    refusal = _refusal(tenant=tenant, partner=partner, session_id=session_id, kind=kind)
    if refusal is None and not ownership.on_partner_host(
        partner, response_url
    ):  # we POST there with the partner's token
        refusal = ChargingProfileStatus.REJECTED, "The response_url is not on a host of your OCPI endpoints"
    timeout = settings.COMMAND_RESULT_TIMEOUT_SECONDS
    answer = Answer(refusal[0], timeout, refusal[1]) if refusal else Answer(ChargingProfileStatus.ACCEPTED, timeout)
    with transaction.atomic():
        record = ChargingProfileRequest(
            tenant=tenant,
            direction=ChargingProfileDirection.RECEIVED,
            partner=partner,
            session_id=session_id,
            kind=kind,
            profile=profile,
            duration=duration,
            response_url=response_url,
            response_result=answer.result,
            response_timeout=timeout,
            responded_at=timezone.now(),
            status=answer.result,
            deadline=awaiting.result_deadline(timeout),
        )
        awaiting.step(record, "received", f"from {partner.name}")
        awaiting.step(record, "answered", answer.result + (f": {answer.reason}" if refusal else ""))
        record.save()
        if refusal is None:
            transaction.on_commit(lambda: getattr(backend(), _BACKEND_METHODS[kind])(record))
    return answer


@transaction.atomic
def charge_point_result(*, request_id: int, result: str, profile: dict | None = None) -> ChargingProfileRequest | None:
    """The charge point's answer (ChargingProfileResultType; `profile` the ActiveChargingProfile of a GET):
    recorded, kept as the session's profile when accepted, then forwarded to the sender after commit.
    Only the first answer counts (safe to run twice)."""
    record = (
        ChargingProfileRequest.objects.select_for_update()
        .filter(pk=request_id, direction=ChargingProfileDirection.RECEIVED, status__in=WAITING)
        .first()
    )
    if record is None:
        return None
    record.result, record.result_at = result, timezone.now()
    record.result_profile = jsonable(profile) if profile else None
    record.status = ChargingProfileStatus.COMPLETED
    awaiting.step(record, "charge point", result)
    awaiting.step(record, "result owed to the sender", result)
    record.save()
    if result == "ACCEPTED":
        _keep_own_profile(record, profile)
    outbox.record_for(
        partner=record.partner, module=MODULE, object_path=f"{_RESULT}{record.pk}", method=DeliveryMethod.POST
    )
    return record


def _keep_own_profile(record: ChargingProfileRequest, profile: dict | None) -> None:
    """What an accepted request tells us of our own session's profile."""
    tenant, session_id = record.tenant, record.session_id
    if record.kind == ChargingProfileKind.SET:
        active = {"start_date_time": timezone.now(), "charging_profile": record.profile}
        store_active_profile(tenant=tenant, partner=None, session_id=session_id, active=active)
    elif record.kind == ChargingProfileKind.CLEAR:
        ActiveChargingProfile.objects.for_tenant(tenant).filter(
            partner__isnull=True, session_id__iexact=session_id
        ).delete()
    elif profile:
        store_active_profile(tenant=tenant, partner=None, session_id=session_id, active=profile)


_RESULT, _ACTIVE = "result/", "active/"


def _received(delivery) -> ChargingProfileRequest | None:
    return (
        ChargingProfileRequest.objects.for_tenant(delivery.tenant_id)
        .filter(
            pk=int(delivery.object_path.removeprefix(_RESULT)),
            partner_id=delivery.partner_id,
            direction=ChargingProfileDirection.RECEIVED,
        )
        .exclude(result="")
        .first()
    )


def build_push(delivery, dialect: Dialect) -> OutgoingRequest | None:
    """A result: POST to the sender's response_url (ChargingProfileResult, or for a GET the ActiveChargingProfile
    result). An active profile: PUT {their sender endpoint}/{session_id} of our session's current profile."""
    partner = delivery.partner
    to_party = ownership.party_of(partner, Role.EMSP) or ownership.party_of(partner, Role.SCSP)
    from_party = ownership.own_party(partner.tenant, partner, Role.CPO) if to_party else None
    translator = dialect.module(MODULE) if dialect.has_module(MODULE) else None
    if translator is None:
        return None
    if delivery.object_path.startswith(_RESULT):
        record = _received(delivery)
        if record is None:
            return None
        body = translator.result_to_wire(record.kind, result=record.result, profile=record.result_profile)
        return OutgoingRequest("POST", "", body=body, module=MODULE, to_party=to_party, from_party=from_party)
    session_id = delivery.object_path.removeprefix(_ACTIVE)
    known = active_profile(tenant=partner.tenant, partner=None, session_id=session_id)
    if known is None:
        return None
    active = {"start_date_time": known.start_date_time, "charging_profile": known.charging_profile}
    return OutgoingRequest(
        "PUT",
        quote(session_id, safe=""),
        body=translator.active_profile_to_wire(active),
        module=MODULE,
        to_party=to_party,
        from_party=from_party,
    )


def _url(partner: Partner, delivery) -> str | None:
    if delivery.object_path.startswith(_RESULT):
        record = _received(delivery)
        return record.response_url if record is not None else None
    endpoint = partner.endpoints.filter(identifier=MODULE, role=InterfaceRole.SENDER).first()
    return endpoint.url if endpoint is not None else None


def _attempted(delivery, error: PartnerError | None) -> None:
    if delivery.object_path.startswith(_RESULT):
        awaiting.note_result(ChargingProfileRequest, int(delivery.object_path.removeprefix(_RESULT)), error)
    elif error is not None:
        logger.warning("active charging profile %s not pushed to %s: %s", delivery.object_path, delivery.partner, error)


def report_active_profile(*, tenant: Tenant, session_id: str, active: dict) -> int:
    """Our charge point changed a session's plan by itself (a local limit, another input): kept, and each partner
    that once had a profile accepted for the session is told through its Sender PUT (mod_charging_profiles: the
    Receiver SHALL, and SHALL NOT for sessions where the Sender never set one). Returns how many are told."""
    with transaction.atomic():
        store_active_profile(tenant=tenant, partner=None, session_id=session_id, active=active)
        partner_ids = list(
            ChargingProfileRequest.objects.for_tenant(tenant)
            .filter(
                direction=ChargingProfileDirection.RECEIVED,
                kind=ChargingProfileKind.SET,
                session_id__iexact=session_id,
                response_result=ChargingProfileStatus.ACCEPTED,
            )
            .values_list("partner_id", flat=True)
            .distinct()
        )
        # A partner without a chargingprofiles Sender interface has nowhere to hear it (it is optional there).
        told = list(
            Partner.objects.for_tenant(tenant)
            .filter(pk__in=partner_ids, endpoints__identifier=MODULE, endpoints__role=InterfaceRole.SENDER)
            .select_related("tenant")
        )
        for partner in told:
            outbox.record_for(
                partner=partner, module=MODULE, object_path=f"{_ACTIVE}{session_id}", method=DeliveryMethod.PUT
            )
    return len(told)


# -- both sides: the deadline -----------------------------------------------------------------------------


def expire_overdue(*, limit: int = 500) -> int:
    """End requests still waiting past their deadline: TIMEOUT. Nothing is posted for a received one:
    ChargingProfileResultType has no timeout, and the sender reads our silence past the timeout we named."""
    expired = 0
    for record in awaiting.overdue(ChargingProfileRequest, WAITING, limit=limit):
        awaiting.end(record, ChargingProfileStatus.TIMEOUT, "timed out", f"no result by {record.deadline.isoformat()}")
        expired += 1
    return expired


PUSHABLE = outbox.Pushable(MODULE, build=build_push, url=_url, attempted=_attempted)
