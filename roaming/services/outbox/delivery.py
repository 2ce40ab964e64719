"""Sending deliveries: claim one, build its request from the object's current state in the partner's
version, send it, record the answer and schedule a retry when it may help. Every step is safe to run
twice; an earlier state of an object is never sent after a newer one."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from partners.models import Partner, PartnerStatus
from partners.rows import on_postgresql, prepared_cursor
from roaming.models import Delivery, DeliveryMethod, DeliveryStatus
from roaming.ocpi.client import PartnerError, PartnerHttpError, PartnerOcpiError, client_for
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import correlated, log_context_var
from roaming.ocpi.push import RetryPolicy, retry_policy, send
from roaming.services import routing
from roaming.services.outbox.pushables import Pushable, ancestors, is_nested, receiver_urls, target_url
from roaming.services.outbox.pushables import pushable as pushable_of
from roaming.services.outbox.recording import pending_of_same_object, send_on_commit
from roaming.services.ownership import ensure_reachable

# The name operators' log settings know (docs/operations.md), whichever module of the outbox logs.
logger = logging.getLogger("roaming.services.outbox")


@dataclass(frozen=True)
class Outcome:
    status: str  # DeliveryStatus, or "SKIPPED" when another worker has it or it is not due
    detail: str = ""
    #: When to try again: after a retryable failure, or when an earlier state of the object was in flight.
    retry_at: datetime | None = None


def _retry_delay(attempts: int, retry_after: float | None, policy: RetryPolicy) -> timedelta:
    """Exponential backoff with full jitter, capped; Retry-After (HTTP 429) wins when longer."""
    base = policy.base_delay * (2 ** min(attempts - 1, 16))
    delay = random.uniform(base / 2, base)  # noqa: S311 - jitter, not cryptography
    delay = min(delay, policy.max_delay)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


# Claims of one partner's deliveries of a nested module take turns (a transaction-level advisory lock in
# this class): two deliveries of a location and of its EVSE, pending at once, are then never both claimed
# by two workers that each saw the other one still pending.
_CLAIM_LOCK_CLASS = 0x0C1A


def serialize_claims(*partner_ids: int) -> None:
    """Inside a claim's transaction: wait for other claims of the partners' nested deliveries to commit (the
    locks of several taken in order, so two claims of many partners never wait for each other in a circle)."""
    if not on_postgresql():
        return
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, k)) FROM (SELECT DISTINCT (p & 2147483647)::int AS k"
            " FROM unnest(%s::bigint[]) AS p ORDER BY k) AS ordered",
            [_CLAIM_LOCK_CLASS, list(partner_ids)],
        )


def in_flight_conflicts(module: str, object_path: str, *, partner_id: int) -> Q:
    """Deliveries to the partner that a delivery of `object_path` must not be sent beside: those of the same
    object and, in a nested module, of the objects above and below it (a location's PUT carries its EVSEs;
    an EVSE's PATCH sent beside it could land before it, or after it with an older state)."""
    same = Q(object_path=object_path)
    if is_nested(module):
        same |= Q(object_path__in=ancestors(object_path)) | Q(object_path__startswith=f"{object_path}/")
    return Q(partner_id=partner_id, module=module) & same


def _hand_over_to_pending_whole(delivery: Delivery) -> bool:
    """A nested object's delivery whose object's parent has an initial sync PUT pending (recorded in the same
    moment as this change, so that neither saw the other) is carried by that PUT: hand its changes over."""
    whole = (
        Delivery.objects.select_for_update()
        .filter(
            partner_id=delivery.partner_id,
            module=delivery.module,
            object_path__in=ancestors(delivery.object_path),
            status=DeliveryStatus.PENDING,
            method=DeliveryMethod.PUT,
            initial_sync__isnull=False,
        )
        .order_by(Length("object_path"))
        .first()
    )
    if whole is None:
        return False
    whole.changes += delivery.changes
    whole.save(update_fields=["changes", "updated"])
    delivery.status = DeliveryStatus.SUPERSEDED
    delivery.save(update_fields=["status", "updated"])
    return True


def _claim(delivery_id: int) -> Delivery | datetime | None:
    """Mark the delivery SENDING if it is due and no earlier state of its object is in flight; else None, or
    the time to try again when it waits for the earlier send."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner", "partner__bound_party")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            # Locked by a change folding into it, or not due yet: come back then, rather than leave it to the sweep.
            waiting = (
                Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
                .values_list("next_attempt_at", flat=True)
                .first()
            )
            return None if waiting is None else max(waiting, now + timedelta(milliseconds=200))
        if is_nested(delivery.module):
            serialize_claims(delivery.partner_id)
            if _hand_over_to_pending_whole(delivery):
                return None
        in_flight = Delivery.objects.filter(
            in_flight_conflicts(delivery.module, delivery.object_path, partner_id=delivery.partner_id),
            status=DeliveryStatus.SENDING,
        ).exists()
        if in_flight:
            # Keep per-object order: try again once the earlier send has finished.
            delivery.next_attempt_at = now + timedelta(seconds=1)
            delivery.save(update_fields=["next_attempt_at", "updated"])
            return delivery.next_attempt_at
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.save(update_fields=["status", "attempts", "updated"])
        return delivery


def deliver(*, delivery_id: int) -> Outcome:
    """Send one delivery now; record the partner's answer and schedule a retry when it may help."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return Outcome("SKIPPED")
    if isinstance(delivery, datetime):
        return Outcome(
            "SKIPPED", "not due, or busy: an earlier state is being sent or a change is folding in", retry_at=delivery
        )
    partner = delivery.partner
    log_context_var.set({**log_context_var.get(), "tenant_id": delivery.tenant_id, "partner": partner.name})
    dialect = dialect_of(partner)
    pushable = pushable_of(delivery.module)
    url = target_url(pushable, partner, delivery, receiver_urls(partner))
    with correlated(flow_of(delivery)):  # the change's X-Correlation-ID, end to end
        return _deliver_claimed(delivery, partner, dialect, pushable, url)


def flow_of(delivery: Delivery) -> str:
    """The X-Correlation-ID a delivery is sent and logged with: its change's, or for a change made outside any
    request (a command, the beat, the simulator) a new one, kept on the delivery (saved with its outcome) so
    its log lines, its retries and the hops after it share it."""
    if not delivery.correlation_id:
        delivery.correlation_id = str(uuid.uuid4())
    return delivery.correlation_id


def _deliver_claimed(delivery: Delivery, partner: Partner, dialect, pushable, url: str) -> Outcome:
    error: PartnerError | None = None
    request = None
    if pushable is not None and partner.status == PartnerStatus.REGISTERED and dialect and url:
        request = routing.passing_on(delivery.tenant_id)(pushable.build(delivery, dialect))
        if request is not None:
            try:
                ensure_reachable(partner=partner, party=request.to_party)
                result = send(client_for(partner), url, request)
                delivery.last_http_status, delivery.last_status_code = result.http_status, result.status_code
                delivery.remote_url = result.header("Location")[:255]
            except PartnerError as exc:
                error = exc
    else:
        error = unsendable(partner, url, delivery.module, pushable)
    return _finish(delivery, error)


def unsendable(partner: Partner, url: str, module: str, pushable: Pushable | None) -> PartnerError:
    """Why nothing can send a delivery of `module` to the partner (not registered, nowhere to send it, unknown
    module): an error that no retry mends."""
    where = "receiver endpoint" if pushable is None or pushable.url is None else "URL"
    error = PartnerError(
        f"nothing can send it: partner {partner.get_status_display()}, "
        f"{where} {'present' if url else 'missing'}, module {module!r}"
        f"{' known' if pushable else ' unknown'}"
    )
    error.retryable = False
    return error


def finish(delivery: Delivery, error: PartnerError | None) -> Outcome:
    """Record the outcome of a claimed delivery's attempt as deliver() does: delivered, or retried as the
    policy says, or failed (the batch sender's failures go this way)."""
    return _finish(delivery, error)


def release(delivery: Delivery, *, retry_at: datetime) -> Delivery:
    """Put a claimed delivery that was not sent back to pending, its attempt not counted (a batch stopped
    before it); a newer pending change of its object takes its changes over."""
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, retry_at
    delivery.attempts = max(delivery.attempts - 1, 0)
    return save_pending_or_hand_over(delivery)


def _finish(delivery: Delivery, error: PartnerError | None) -> Outcome:
    now = timezone.now()
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.DELIVERED, now, ""
        Partner.objects.filter(pk=delivery.partner_id).update(last_contact_at=now)
    else:
        delivery.last_error = str(error)[:2000]
        if isinstance(error, PartnerHttpError):
            delivery.last_http_status, delivery.last_status_code = error.http_status, error.status_code
        if isinstance(error, PartnerOcpiError):
            delivery.last_status_code = error.status_code
        policy = retry_policy(delivery.partner.profile)  # the partner's, else the platform's
        horizon = delivery.created + timedelta(seconds=policy.horizon)
        retry_at = now + _retry_delay(delivery.attempts, getattr(error, "retry_after", None), policy)
        if error.retryable and retry_at < horizon:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, retry_at
        else:
            delivery.status = DeliveryStatus.FAILED
    if delivery.status == DeliveryStatus.PENDING:
        save_pending_or_hand_over(delivery)
    else:
        delivery.save()
    with correlated(delivery.correlation_id):
        logger.info(
            "%s %s %s: %s after %d attempt(s)%s",
            delivery.method,
            delivery.module,
            delivery.object_path,
            delivery.status,
            delivery.attempts,
            f" ({delivery.last_error[:200]})" if delivery.last_error else "",
        )
    tell_attempted(delivery, error)
    retry_at = delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None
    return Outcome(delivery.status, delivery.last_error, retry_at=retry_at)


def tell_attempted(delivery: Delivery, error: PartnerError | None) -> None:
    pushable = pushable_of(delivery.module)
    if pushable is not None and pushable.attempted is not None:
        pushable.attempted(delivery, error)


def save_pending_or_hand_over(delivery: Delivery) -> Delivery:
    """Make `delivery` pending again; if a newer change of its object is pending already, hand this one's
    unsent changes over to it (so no changed field is lost) and mark this one superseded. Returns the
    delivery that is now pending."""
    try:
        with transaction.atomic():
            delivery.save()
        return delivery
    except IntegrityError:
        pass
    with transaction.atomic():
        newer = pending_of_same_object(delivery)
        if newer is None:  # sent meanwhile: this one may wait again
            delivery.save()
            return delivery
        _absorb_older(newer, delivery)
        newer.save(update_fields=["method", "fields", "changes", "initial_sync", "updated"])
        delivery.status = DeliveryStatus.SUPERSEDED
        delivery.save()
        return newer


def _absorb_older(newer: Delivery, older: Delivery) -> None:
    """Fold an older, unsent delivery into the newer pending one of the same object: a PATCH that now
    follows an unsent whole-object change becomes a PUT of the current state."""
    if newer.method == DeliveryMethod.PATCH:
        if older.method == DeliveryMethod.PATCH:
            newer.fields = sorted(set(newer.fields) | set(older.fields))
        else:
            newer.method, newer.fields = DeliveryMethod.PUT, []
    newer.changes += older.changes
    if newer.initial_sync_id is None:  # the initial sync's object is now carried by the newer one
        newer.initial_sync_id = older.initial_sync_id


def retry(*, deliveries) -> int:
    """Send these deliveries again now (an operator's retry); returns how many were queued."""
    now = timezone.now()
    queued = []
    for delivery in deliveries:
        delivery.status, delivery.next_attempt_at, delivery.created = DeliveryStatus.PENDING, now, now
        queued.append(save_pending_or_hand_over(delivery))
    send_on_commit([d.pk for d in queued], {d.partner_id for d in queued})
    return len(queued)
