"""Sending one partner's due deliveries in batches: an initial sync's thousands of PUTs, and whatever the sweep
finds due for a partner.

Sent one at a time, a delivery costs about a dozen queries (claim, build, finish) and a worker task. Here a
partner's due deliveries are claimed PUSH_BATCH_SIZE at a time in one statement (FOR UPDATE SKIP LOCKED,
with outbox.in_flight_conflicts' rule written in SQL), built in bulk where the module can (a location's wire
form rendered once per version and revision, the cache the sender's pages use), sent each through
roaming.ocpi.push.send over PUSH_PARTNER_CONCURRENCY kept-alive connections at once (the pace one partner
is asked to take), and finished in one statement for all that were delivered; an attempt that failed is
finished as deliver() finishes it (outbox.finish: the retry policy, the hand-over to a newer change).

Order per object: only one delivery of an object is pending at a time, a delivery is not claimed while one
of its object (or of an object above or below it) is being sent, and within a batch everything under one
top-level object (a location and its EVSEs) goes one after another on one connection, in the order owed.
When the partner is unreachable or asks us to slow down, what is left of the batch goes back unsent.

Up to PUSH_PARTNER_DRAINS drains (worker processes) run per partner at once, each with its share of the
partner's PUSH_PARTNER_CONCURRENCY connections (session-level advisory locks on PostgreSQL, one per slot);
one that finds every slot taken leaves the work to the running ones, which look once more after letting go.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from partners.models import Partner, PartnerStatus
from partners.rows import on_postgresql, prepared_cursor
from roaming.models import Delivery, DeliveryMethod, DeliveryStatus
from roaming.ocpi.client import PartnerError, PartnerHttpError, PartnerUnreachable, client_for
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import correlated, log_context_var
from roaming.ocpi.push import OutgoingRequest, send
from roaming.services import outbox, routing
from roaming.services.ownership import ensure_reachable

logger = logging.getLogger(__name__)

_DRAIN_LOCK_CLASS = 0x0D1A
#: Answers that concern the partner, not the object: the rest of the batch waits rather than try its luck.
_SLOW_DOWN = (429, 502, 503, 504)
_COLUMNS = [f.column for f in Delivery._meta.concrete_fields]
_ATTNAMES = [f.attname for f in Delivery._meta.concrete_fields]

# A partner's due deliveries that may be sent now: nothing of the same top-level object (the object itself or,
# in a nested module, its location with every EVSE and connector) is being sent, and none is a change below
# an object whose initial sync PUT is still pending (that PUT carries it; it goes after). The in-flight rule
# taken a whole location at a time (one-by-one deliveries tell a location's EVSEs apart) is one hashed
# lookup per candidate.
_TOP = "array_to_string((string_to_array({0}.object_path, '/'))[1:3], '/')"
_SENDABLE = f"""
FROM roaming_delivery AS d
WHERE d.partner_id = %(partner)s AND d.status = 'PENDING' AND d.next_attempt_at <= %(now)s
  AND (d.module, {_TOP.format("d")}) NOT IN (
      SELECT busy.module, {_TOP.format("busy")} FROM roaming_delivery AS busy
      WHERE busy.partner_id = %(partner)s AND busy.status = 'SENDING')
  AND NOT (d.module = ANY(%(nested)s::text[]) AND cardinality(string_to_array(d.object_path, '/')) > 3 AND EXISTS (
      SELECT 1 FROM roaming_delivery AS whole
      WHERE whole.partner_id = d.partner_id AND whole.module = d.module AND whole.status = 'PENDING'
        AND whole.method = 'PUT' AND whole.initial_sync_id IS NOT NULL
        AND whole.object_path IN (array_to_string((string_to_array(d.object_path, '/'))[1:3], '/'),
                                  array_to_string((string_to_array(d.object_path, '/'))[1:4], '/'))
        AND whole.object_path <> d.object_path))
"""  # noqa: S608 - no value in it but parameters
# The oldest of them, claimed and marked sending in one statement.
_CLAIM_SQL = """
WITH due AS (
    SELECT d.id SENDABLE
    ORDER BY d.next_attempt_at, d.id
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE roaming_delivery AS delivery SET status = 'SENDING', attempts = delivery.attempts + 1, updated = %(now)s
FROM due WHERE delivery.id = due.id
RETURNING COLUMNS
""".replace("SENDABLE", _SENDABLE).replace("COLUMNS", ", ".join(f"delivery.{column}" for column in _COLUMNS))
_ANY_SENDABLE_SQL = "SELECT EXISTS (SELECT 1 SENDABLE)".replace("SENDABLE", _SENDABLE)

_DELIVERED_SQL = """
UPDATE roaming_delivery AS delivery
SET status = 'DELIVERED', delivered_at = %(now)s, updated = %(now)s, last_error = '',
    last_http_status = coalesce(answer.http_status, delivery.last_http_status),
    last_status_code = coalesce(answer.status_code, delivery.last_status_code)
FROM (SELECT unnest(%(ids)s::bigint[]) AS id, unnest(%(http)s::int[]) AS http_status,
             unnest(%(codes)s::int[]) AS status_code) AS answer
WHERE delivery.id = answer.id AND delivery.status = 'SENDING'
"""


@dataclass
class Drained:
    """What one drain did: deliveries delivered, and those that failed or wait for a retry."""

    delivered: int = 0
    not_delivered: int = 0
    batches: int = 0
    #: Seconds after which to drain again: due deliveries are left (the time budget ran out, or they wait for
    #: a send in flight elsewhere); None when nothing is left or the partner is in trouble.
    again_in: float | None = None
    #: The partner was in trouble: seconds until the first of its retries is due.
    retry_in: float | None = None


def drain(*, partner_id: int, budget_seconds: float | None = None) -> Drained:
    """Send the partner's due deliveries in batches until none is left that may go now, the partner is in
    trouble (what is left waits for its retry), or the time budget (PUSH_DRAIN_SECONDS) is spent."""
    budget = settings.PUSH_DRAIN_SECONDS if budget_seconds is None else budget_seconds
    drained = Drained()
    deadline = time.monotonic() + budget
    breaker = outbox.Breaker(partner_id)
    while True:
        admission = breaker.admit()
        if not admission.send:  # the partner's breaker is open, or another drain probes it
            drained.retry_in = admission.wait
            return drained
        slot = _lock(partner_id)
        if slot is None:
            if admission.probe:
                breaker.give_back()
            return drained  # as many drains of the partner run as it may have, and look again before they stop
        try:
            trouble = _drain_locked(partner_id, drained, deadline, breaker=breaker, probe=admission.probe)
        finally:
            _unlock(partner_id, slot)
        if admission.probe and not trouble and _sendable(partner_id):
            continue  # the probe went through: the breaker is closed, the rest goes now
        if trouble:
            # What is left waits for its retry: come back then rather than leave it to the sweep alone.
            retry_at = (
                Delivery.objects.filter(partner_id=partner_id, status=DeliveryStatus.PENDING)
                .order_by("next_attempt_at")
                .values_list("next_attempt_at", flat=True)
                .first()
            )
            if retry_at is not None:
                drained.retry_in = max((retry_at - timezone.now()).total_seconds(), 0.2)
            return drained
        if time.monotonic() >= deadline:
            drained.again_in = 0.0 if _sendable(partner_id) else None
            return drained
        # Something recorded after the last claim, whose own drain found every slot taken, is sent now (the
        # loop goes on); what is left otherwise waits for a send in flight elsewhere, or for its retry.
        if not _sendable(partner_id):
            due = Delivery.objects.filter(
                partner_id=partner_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
            )
            drained.again_in = 1.0 if due.exists() else None
            return drained


def _drain_locked(partner_id: int, drained: Drained, deadline: float, *, breaker: outbox.Breaker, probe: bool) -> bool:
    """Claim and send batches while any is due (a probe: one delivery); True when the partner is in trouble
    (unreachable, 429, 5xx), which the breaker is told as it is told that the partner answered."""
    partner = Partner.objects.select_related("tenant", "bound_party").get(pk=partner_id)
    log_context_var.set({**log_context_var.get(), "tenant_id": partner.tenant_id, "partner": partner.name})
    local = threading.local()

    def client():
        # One client per sending thread: its own session, so its own kept-alive connection to the partner.
        if not hasattr(local, "client"):
            local.client = client_for(partner)
        return local.client

    def claim_and_build() -> list[_Item]:
        batch = _claim(partner_id, 1 if probe else settings.PUSH_BATCH_SIZE) if time.monotonic() < deadline else []
        return _build(partner, batch) if batch else []

    pool = _senders()
    items = claim_and_build()
    while items:
        drained.batches += 1
        sending = _Sending(items, pool, client)
        # The next batch is claimed and built while this one is on the wire (what this one is sending is in
        # flight, so nothing of its objects can be in the next). Even after a short batch: what is recorded
        # meanwhile goes out with the drain that runs, not after it let go of its slot (leaving it to the
        # next drain put the healthy partners' p50 of bench/hanging.py from about 0.5 s to 2 s).
        upcoming = [] if probe else claim_and_build()
        sending.wait(also_claimed=upcoming)
        delivered, not_delivered, retry_at = _finish(partner, items)
        drained.delivered += delivered
        drained.not_delivered += not_delivered
        if sending.trouble.is_set():
            breaker.failed()
            for item in upcoming:  # claimed, never tried: back as they were
                outbox.release(item.delivery, retry_at=retry_at)
            return True
        answered = any(item.request is not None and not item.unsent for item in items)
        if answered and (probe or not breaker.clean):
            breaker.succeeded()
            breaker.clean = True
        items = upcoming
    if probe:
        breaker.give_back()  # nothing was left to probe with: the next drain probes
    return False


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _senders() -> ThreadPoolExecutor:
    """This process's sending threads, kept across drains: each keeps its session, so its kept-alive
    connections and what it read of the environment, instead of a new thread, session and TCP connection for
    every drain. A drain has the process to itself (one task at a time), so they are its share of the
    partner's PUSH_PARTNER_CONCURRENCY. Per process: threads do not survive a fork."""
    global _pool  # noqa: PLW0603 - one per process, made on first use
    if _pool is None or _pool[0] != os.getpid():
        threads = -(-settings.PUSH_PARTNER_CONCURRENCY // settings.PUSH_PARTNER_DRAINS)
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="push"))
    return _pool[1]


def _lock(partner_id: int) -> int | None:
    """Take a free drain slot of the partner: its number, or None when every one is taken."""
    if not on_postgresql():
        return 0  # the embedded database runs one writer at a time anyway
    with connection.cursor() as cursor:
        for slot in range(settings.PUSH_PARTNER_DRAINS):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_DRAIN_LOCK_CLASS + slot, partner_id & 0x7FFFFFFF])
            if cursor.fetchone()[0]:
                return slot
    return None


def _unlock(partner_id: int, slot: int) -> None:
    if on_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_DRAIN_LOCK_CLASS + slot, partner_id & 0x7FFFFFFF])


def _sendable(partner_id: int) -> bool:
    """Whether any of the partner's due deliveries may be sent now (what a claim would take)."""
    now = timezone.now()
    if not on_postgresql():
        return bool(_sendable_with_orm(partner_id, 1, now))
    with prepared_cursor() as cursor:
        cursor.execute(_ANY_SENDABLE_SQL, {"partner": partner_id, "now": now, "nested": outbox.nested_modules()})
        return cursor.fetchone()[0]


def _top(path: str) -> str:
    return "/".join(path.split("/")[:3])


# -- claiming ------------------------------------------------------------------------------------------------------


def _claim(partner_id: int, limit: int) -> list[Delivery]:
    """Up to `limit` of the partner's due deliveries that may be sent now, marked sending, oldest first."""
    now = timezone.now()
    with transaction.atomic():
        outbox.serialize_claims(partner_id)
        if not on_postgresql():
            return _claim_with_orm(partner_id, limit, now)
        with prepared_cursor() as cursor:
            cursor.execute(
                _CLAIM_SQL, {"partner": partner_id, "now": now, "limit": limit, "nested": outbox.nested_modules()}
            )
            rows = cursor.fetchall()
    deliveries = [Delivery.from_db(connection.alias, _ATTNAMES, _decoded(row)) for row in rows]
    return sorted(deliveries, key=lambda d: (d.next_attempt_at, d.pk))


def _decoded(row) -> tuple:
    """A RETURNING row as from_db takes it: the JSON column decoded (Django's cursor hands jsonb over as text)."""
    fields_at = _ATTNAMES.index("fields")
    if isinstance(row[fields_at], str):
        row = (*row[:fields_at], orjson.loads(row[fields_at]), *row[fields_at + 1 :])
    return tuple(row)


def _sendable_with_orm(partner_id: int, limit: int, now) -> list[Delivery]:
    """_SENDABLE, portable: the oldest due deliveries that may be sent now."""
    busy = {
        (module, _top(path))
        for module, path in Delivery.objects.filter(partner_id=partner_id, status=DeliveryStatus.SENDING).values_list(
            "module", "object_path"
        )
    }
    pending = Delivery.objects.filter(partner_id=partner_id, status=DeliveryStatus.PENDING)
    waiting_whole = set(
        pending.filter(method=DeliveryMethod.PUT, initial_sync__isnull=False).values_list("module", "object_path")
    )
    chosen = []
    for delivery in pending.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "pk").iterator():
        above = outbox.ancestors(delivery.object_path) if outbox.is_nested(delivery.module) else []
        if (delivery.module, _top(delivery.object_path)) in busy or any(
            (delivery.module, path) in waiting_whole for path in above
        ):
            continue
        chosen.append(delivery)
        if len(chosen) == limit:
            break
    return chosen


def _claim_with_orm(partner_id: int, limit: int, now) -> list[Delivery]:
    chosen = _sendable_with_orm(partner_id, limit, now)
    for delivery in chosen:
        delivery.status, delivery.attempts = DeliveryStatus.SENDING, delivery.attempts + 1
    Delivery.objects.bulk_update(chosen, ["status", "attempts", "updated"])
    return chosen


# -- building and sending --------------------------------------------------------------------------------------


@dataclass
class _Item:
    delivery: Delivery
    request: OutgoingRequest | None = None
    endpoint_url: str = ""
    error: PartnerError | None = None
    #: Left unsent because the batch or its object's group stopped first.
    unsent: bool = False
    #: Recorded DELIVERED as soon as the partner took it.
    recorded: bool = False


def _build(partner: Partner, batch: list[Delivery]) -> list[_Item]:
    """Each claimed delivery with its request (None: nothing to send any more) or why it cannot be sent."""
    dialect = dialect_of(partner)
    receivers = outbox.receiver_urls(partner)
    items = []
    by_module: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in batch:
        delivery.partner = partner
        by_module[delivery.module].append(delivery)
    for module, deliveries in by_module.items():
        pushable = outbox.pushable(module)
        urls = {d.pk: outbox.target_url(pushable, partner, d, receivers) for d in deliveries}
        if pushable is None or partner.status != PartnerStatus.REGISTERED or not dialect:
            error = outbox.unsendable(partner, receivers.get(module, ""), module, pushable)
            items += [_Item(d, error=error) for d in deliveries]
            continue
        if nowhere := [d for d in deliveries if not urls[d.pk]]:
            items += [_Item(d, error=outbox.unsendable(partner, "", module, pushable)) for d in nowhere]
            deliveries = [d for d in deliveries if urls[d.pk]]
            if not deliveries:
                continue
        try:
            built = (pushable.build_many or _one_by_one(pushable.build))(deliveries, dialect)
        except Exception:  # noqa: BLE001 - one module's bug must not keep the others' deliveries from going
            logger.exception(
                "building %d %s deliveries together failed; building them one by one", len(deliveries), module
            )
            built = _one_by_one(pushable.build)(deliveries, dialect)
        as_sent = routing.passing_on(partner.tenant_id)
        items += [_Item(d, request=as_sent(built.get(d.pk)), endpoint_url=urls[d.pk]) for d in deliveries]
    _check_reachable(partner, items)
    return items


def _one_by_one(build):
    def build_each(deliveries, dialect):
        built = {}
        for delivery in deliveries:
            try:
                built[delivery.pk] = build(delivery, dialect)
            except Exception as exc:  # noqa: BLE001 - the delivery is retried, the batch goes on
                logger.exception("building %s %s failed", delivery.module, delivery.object_path)
                built[delivery.pk] = _BuildFailed(f"building the request failed: {exc.__class__.__name__}: {exc}")
        return built

    return build_each


class _BuildFailed(PartnerError):
    """Building a delivery's request raised: retried as a partner error would be, the rest of the batch goes."""


def _check_reachable(partner: Partner, items: list[_Item]) -> None:
    """Requests addressed to a party its hub reported offline fail at once (ensure_reachable), once per party."""
    verdicts: dict = {}
    for item in items:
        if isinstance(item.request, _BuildFailed):
            item.error, item.request = item.request, None
            continue
        if item.request is None or item.error is not None:
            continue
        party = item.request.to_party
        if party not in verdicts:
            try:
                ensure_reachable(partner=partner, party=party)
                verdicts[party] = None
            except PartnerError as exc:
                verdicts[party] = exc
        item.error = verdicts[party]


def _groups(items: list[_Item]) -> list[list[_Item]]:
    """The items to send, grouped by top-level object (a location with its EVSEs), each group in order."""
    groups: dict[tuple[str, str], list[_Item]] = defaultdict(list)
    for item in items:
        if item.request is not None and item.error is None:
            groups[(item.delivery.module, _top(item.delivery.object_path))].append(item)
    return list(groups.values())


class _Sending:
    """A built batch on its way: each top-level object's group sent in order by one of the pool's threads.
    A partner in trouble (unreachable, or 429 / 5xx of its gateway) stops what has not gone yet."""

    def __init__(self, items: list[_Item], pool: ThreadPoolExecutor, client):
        self.items = items
        self.trouble = threading.Event()
        self.client = client
        self.groups = {pool.submit(self._send_group, group): group for group in _groups(items)}
        self.futures = set(self.groups)

    def _send_group(self, group: list[_Item]) -> None:
        try:
            for index, item in enumerate(group):
                if self.trouble.is_set():
                    for rest in group[index:]:
                        rest.unsent = True
                    return
                try:
                    with correlated(outbox.flow_of(item.delivery)):
                        result = send(self.client(), item.endpoint_url, item.request)
                    item.delivery.last_http_status = result.http_status
                    item.delivery.last_status_code = result.status_code
                except PartnerError as exc:
                    item.error = exc
                    if isinstance(exc, PartnerUnreachable) or (
                        isinstance(exc, PartnerHttpError) and exc.http_status in _SLOW_DOWN
                    ):
                        self.trouble.set()
                    for rest in group[index + 1 :]:  # what comes after it of the same object waits for it
                        rest.unsent = True
                    return
        finally:
            connections.close_all()  # a send that read the database leaves no connection behind in the thread

    def wait(self, *, also_claimed: list[_Item]) -> None:
        # Each object's group is recorded DELIVERED as soon as it is done, not with the batch: a worker that dies
        # mid-batch must leave only what was on the wire to be sent again, never what the partner already took.
        # What is claimed and not sent yet must not look abandoned to a sweep (PUSH_SENDING_TIMEOUT_SECONDS, which
        # another worker may have set shorter) while a slow partner takes its time: it is stamped every second.
        beat = min(1.0, settings.PUSH_SENDING_TIMEOUT_SECONDS / 3)
        futures = self.futures
        stamped = time.monotonic()
        while futures:
            done, futures = wait(futures, timeout=beat, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
                taken = [item for item in self.groups[future] if item.error is None and not item.unsent]
                _record_delivered([item.delivery for item in taken])
                for item in taken:
                    item.recorded = True
            if futures and time.monotonic() - stamped >= beat:
                stamped = time.monotonic()
                claimed = [item.delivery.pk for item in (*self.items, *also_claimed)]
                Delivery.objects.filter(pk__in=claimed, status=DeliveryStatus.SENDING).update(updated=timezone.now())


def _record_delivered(delivered: list[Delivery]) -> None:
    """Mark deliveries DELIVERED (those still SENDING), keeping the partner's answer, in one statement."""
    if not delivered:
        return
    now = timezone.now()
    if on_postgresql():
        with prepared_cursor() as cursor:
            cursor.execute(
                _DELIVERED_SQL,
                {
                    "now": now,
                    "ids": [d.pk for d in delivered],
                    "http": [d.last_http_status for d in delivered],
                    "codes": [d.last_status_code for d in delivered],
                },
            )
        return
    for delivery in delivered:
        delivery.status, delivery.delivered_at, delivery.last_error, delivery.updated = (
            DeliveryStatus.DELIVERED,
            now,
            "",
            now,
        )
    Delivery.objects.bulk_update(
        delivered, ["status", "delivered_at", "last_error", "last_http_status", "last_status_code", "updated"]
    )


def _finish(partner: Partner, items: list[_Item]) -> tuple[int, int, object]:
    """The delivered ones in one statement; each failure by the retry policy; the unsent back to pending, to
    go again no sooner than what stopped them. Returns (delivered, not delivered, that time)."""
    now = timezone.now()
    delivered = [item.delivery for item in items if item.error is None and not item.unsent]
    failed = [item for item in items if item.error is not None]
    unsent = [item.delivery for item in items if item.unsent]
    if delivered:
        # Those with nothing to send any more (no request) were not recorded while sending.
        _record_delivered(
            [item.delivery for item in items if item.error is None and not item.unsent and not item.recorded]
        )
        Partner.objects.filter(pk=partner.pk).update(last_contact_at=now)
        for delivery in delivered:
            outbox.tell_attempted(delivery, None)
    retry_at = now + timedelta(seconds=1)
    for item in failed:
        outcome = outbox.finish(item.delivery, item.error)
        if outcome.retry_at is not None:
            retry_at = max(retry_at, outcome.retry_at)
    for delivery in unsent:
        outbox.release(delivery, retry_at=retry_at)
    logger.info(
        "batch to %s: %d delivered, %d failed, %d left for later", partner, len(delivered), len(failed), len(unsent)
    )
    return len(delivered), len(failed) + len(unsent), retry_at
