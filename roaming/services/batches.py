"""Draining partners' due deliveries in batches: an initial sync's thousands of PUTs, a change owed to every
partner of a tenant, and whatever the sweep finds due.

Sent one at a time, a delivery costs about a dozen queries (claim, build, finish) and a worker task. Here a
partner's due deliveries are claimed PUSH_BATCH_SIZE at a time in one statement (FOR UPDATE SKIP LOCKED,
with outbox.in_flight_conflicts' rule written in SQL), built in bulk where the module can (a location's wire
form rendered once per version and revision, the cache the sender's pages use), sent each through
roaming.ocpi.push.send over PUSH_PARTNER_CONCURRENCY kept-alive connections at once (the pace one partner
is asked to take), and finished in one statement for all that were delivered; an attempt that failed is
finished as deliver() finishes it (outbox.finish: the retry policy, the hand-over to a newer change). The
building, sending and finishing are roaming.services.sending's.

A change owed to many partners is drained for many of them at once (drain_many): every step above is one
statement for all of them (their breakers read in one round trip, their slots taken, their batches claimed,
their delivered recorded), and their requests go side by side over PUSH_FANOUT_THREADS threads, one at a time
to each partner. A partner whose breaker is not closed, that is in trouble, or that has more left than the
drain's time allows is handed to a drain of its own.

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
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from partners.models import Partner
from partners.rows import on_postgresql, prepared_cursor
from roaming.models import Delivery, DeliveryMethod, DeliveryStatus
from roaming.ocpi.client import client_for
from roaming.ocpi.headers import log_context_var
from roaming.services import outbox, sending
from roaming.services.sending import Item, top

logger = logging.getLogger(__name__)

_DRAIN_LOCK_CLASS = 0x0D1A
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
# The same for many partners at once: the oldest of each partner's, up to the limit for each.
_EACH_SENDABLE = _SENDABLE.replace("%(partner)s", "p.id")
_CLAIM_EACH_SQL = """
WITH due AS (
    SELECT picked.id FROM unnest(%(partners)s::bigint[]) AS p(id)
    CROSS JOIN LATERAL (
        SELECT d.id SENDABLE
        ORDER BY d.next_attempt_at, d.id
        LIMIT %(limit)s
        FOR UPDATE OF d SKIP LOCKED
    ) AS picked
)
UPDATE roaming_delivery AS delivery SET status = 'SENDING', attempts = delivery.attempts + 1, updated = %(now)s
FROM due WHERE delivery.id = due.id
RETURNING COLUMNS
""".replace("SENDABLE", _EACH_SENDABLE).replace("COLUMNS", ", ".join(f"delivery.{column}" for column in _COLUMNS))
_SENDABLE_AMONG_SQL = "SELECT p.id FROM unnest(%(partners)s::bigint[]) AS p(id) WHERE EXISTS (SELECT 1 SENDABLE)"
_SENDABLE_AMONG_SQL = _SENDABLE_AMONG_SQL.replace("SENDABLE", _EACH_SENDABLE)


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

    def claim_and_build() -> list[Item]:
        batch = _claim(partner_id, 1 if probe else settings.PUSH_BATCH_SIZE) if time.monotonic() < deadline else []
        return sending.build({partner_id: partner}, {partner_id: batch})[partner_id] if batch else []

    pool = _senders()
    items = claim_and_build()
    while items:
        drained.batches += 1
        done = queue.SimpleQueue()
        on_the_wire = sending.Sending(items, pool, client, done=done)
        # The next batch is claimed and built while this one is on the wire (what this one is sending is in
        # flight, so nothing of its objects can be in the next). Even after a short batch: what is recorded
        # meanwhile goes out with the drain that runs, not after it let go of its slot (leaving it to the
        # next drain put the healthy partners' p50 of bench/hanging.py from about 0.5 s to 2 s).
        upcoming = [] if probe else claim_and_build()
        sending.wait([on_the_wire], done, also_claimed=upcoming)
        finished = sending.finish({partner_id: partner}, {partner_id: items})[partner_id]
        drained.delivered += finished.delivered
        drained.not_delivered += finished.not_delivered
        if on_the_wire.trouble.is_set():
            breaker.failed()
            for item in upcoming:  # claimed, never tried: back as they were
                outbox.release(item.delivery, retry_at=finished.retry_at)
            return True
        if _answered(items) and (probe or not breaker.clean):
            breaker.succeeded()
            breaker.clean = True
        items = upcoming
    if probe:
        breaker.give_back()  # nothing was left to probe with: the next drain probes
    return False


def _answered(items: list[Item]) -> bool:
    return any(item.request is not None and not item.unsent for item in items)


@dataclass
class DrainedMany:
    """What a drain of many partners did: deliveries delivered, and the partners it handed to drains of their
    own, each with the seconds after which that drain should run."""

    delivered: int = 0
    rounds: int = 0
    handed: dict[int, float] = field(default_factory=dict)


def drain_many(*, partner_ids, budget_seconds: float | None = None) -> DrainedMany:
    """Send many partners' due deliveries a batch of each at a time, until none of theirs is left that may go
    now or the time budget (PUSH_DRAIN_SECONDS) is spent. A partner whose breaker is not closed (drain() waits
    for it or probes it), that was in trouble (it waits for its retry) or that still has some due when the
    budget is spent is handed on; one whose every drain slot is taken is left to the drains that hold them,
    which look once more before they let go."""
    budget = settings.PUSH_DRAIN_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    drained = DrainedMany()
    waiting = list(dict.fromkeys(partner_ids))
    if not on_postgresql():  # the embedded database runs one writer at a time: one partner after another
        for partner_id in waiting:
            drained.delivered += drain(partner_id=partner_id, budget_seconds=budget).delivered
        return drained
    while waiting:
        if time.monotonic() >= deadline:
            drained.handed.update(dict.fromkeys(waiting, 0.0))
            break
        closed = outbox.closed_breakers(waiting)
        for partner_id in waiting:
            if partner_id not in closed:
                _hand_on_in_trouble(partner_id, drained)
        slots = _lock_each(list(closed))
        held = dict(slots)
        try:
            if slots:
                drained.rounds += 1
                drained.delivered += _round(held, closed, drained)
        finally:
            _unlock_each(held)
        waiting = [partner_id for partner_id in _sendable_among(list(slots)) if partner_id not in drained.handed]
    return drained


def _hand_on_in_trouble(partner_id: int, drained: DrainedMany) -> None:
    """A partner whose breaker is not closed goes to a drain of its own, which probes it now (half-open) or comes
    back when the cool-down ends (open; only the first drain told so, as drain() does): asked here, so that the
    changes made while a partner is in trouble do not each cost a task that finds the breaker open."""
    breaker = outbox.Breaker(partner_id)
    admission = breaker.admit()
    if admission.send:
        if admission.probe:
            breaker.give_back()  # the drain of its own probes
        drained.handed[partner_id] = 0.0
    elif admission.wait is not None:
        drained.handed[partner_id] = admission.wait


def _round(slots: dict[int, int], clean: dict[int, bool], drained: DrainedMany) -> int:
    """Claim, build, send and finish one batch of each partner holding a slot; returns how many were delivered.
    A partner's slot is let go (and taken out of `slots`) as soon as everything of its batch is back: one that
    answers at once must not wait for the slowest partner of the round before another drain may send to it."""
    partners = {p.pk: p for p in Partner.objects.select_related("tenant", "bound_party").filter(pk__in=list(slots))}
    claimed = _claim_each(list(partners), settings.PUSH_BATCH_SIZE)
    if not claimed:
        return 0
    items = sending.build(partners, claimed)
    done = queue.SimpleQueue()
    pool = _fanout_senders()
    on_the_wire = {
        partner_id: sending.Sending(
            its, pool, lambda partner=partners[partner_id]: client_for(partner), done=done, one_lane=True
        )
        for partner_id, its in items.items()
    }

    def let_go(through: list[sending.Sending]) -> None:
        _unlock_each({partner_id: slots.pop(partner_id) for partner_id in {sent.partner_id for sent in through}})

    sending.wait(list(on_the_wire.values()), done, on_through=let_go)
    finished = sending.finish(partners, items)
    for partner_id, sent in on_the_wire.items():
        if sent.trouble.is_set():
            outbox.Breaker(partner_id).failed()
            drained.handed[partner_id] = max((finished[partner_id].retry_at - timezone.now()).total_seconds(), 0.2)
        elif _answered(items[partner_id]) and not clean[partner_id]:
            outbox.Breaker(partner_id).succeeded()
    return sum(f.delivered for f in finished.values())


_pool: tuple[int, ThreadPoolExecutor] | None = None
_fanout_pool: tuple[int, ThreadPoolExecutor] | None = None


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


def _fanout_senders() -> ThreadPoolExecutor:
    """This process's threads for drains of many partners: PUSH_FANOUT_THREADS partners served side by side,
    each by one thread at a time (one connection's worth of the partner's share)."""
    global _fanout_pool  # noqa: PLW0603 - one per process, made on first use
    if _fanout_pool is None or _fanout_pool[0] != os.getpid():
        threads = settings.PUSH_FANOUT_THREADS
        _fanout_pool = (os.getpid(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fan-out"))
    return _fanout_pool[1]


def _lock(partner_id: int) -> int | None:
    """Take a free drain slot of the partner: its number, or None when every one is taken."""
    if not on_postgresql():
        return 0  # the embedded database runs one writer at a time anyway
    return _lock_each([partner_id]).get(partner_id)


def _unlock(partner_id: int, slot: int) -> None:
    if on_postgresql():
        _unlock_each({partner_id: slot})


def _lock_each(partner_ids: list[int]) -> dict[int, int]:
    """Take a free drain slot of each partner that has one, a statement per slot: {partner: slot}."""
    slots: dict[int, int] = {}
    with connection.cursor() as cursor:
        for slot in range(settings.PUSH_PARTNER_DRAINS):
            if not (wanted := [partner_id for partner_id in partner_ids if partner_id not in slots]):
                break
            cursor.execute(
                "SELECT p FROM unnest(%s::bigint[]) AS p WHERE pg_try_advisory_lock(%s, (p & 2147483647)::int)",
                [wanted, _DRAIN_LOCK_CLASS + slot],
            )
            slots.update((partner_id, slot) for (partner_id,) in cursor.fetchall())
    return slots


def _unlock_each(slots: dict[int, int]) -> None:
    with connection.cursor() as cursor:
        for slot in set(slots.values()):
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, (p & 2147483647)::int) FROM unnest(%s::bigint[]) AS p",
                [_DRAIN_LOCK_CLASS + slot, [partner_id for partner_id, taken in slots.items() if taken == slot]],
            )


def _sendable(partner_id: int) -> bool:
    """Whether any of the partner's due deliveries may be sent now (what a claim would take)."""
    now = timezone.now()
    if not on_postgresql():
        return bool(_sendable_with_orm(partner_id, 1, now))
    with prepared_cursor() as cursor:
        cursor.execute(_ANY_SENDABLE_SQL, {"partner": partner_id, "now": now, "nested": outbox.nested_modules()})
        return cursor.fetchone()[0]


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


def _claim_each(partner_ids: list[int], limit: int) -> dict[int, list[Delivery]]:
    """_claim for many partners in one statement: up to `limit` of each one's, by partner, oldest first."""
    now = timezone.now()
    with transaction.atomic():
        outbox.serialize_claims(*partner_ids)
        with prepared_cursor() as cursor:
            cursor.execute(
                _CLAIM_EACH_SQL,
                {"partners": partner_ids, "now": now, "limit": limit, "nested": outbox.nested_modules()},
            )
            rows = cursor.fetchall()
    claimed: dict[int, list[Delivery]] = {}
    for delivery in sorted(
        (Delivery.from_db(connection.alias, _ATTNAMES, _decoded(row)) for row in rows),
        key=lambda d: (d.next_attempt_at, d.pk),
    ):
        claimed.setdefault(delivery.partner_id, []).append(delivery)
    return claimed


def _sendable_among(partner_ids: list[int]) -> list[int]:
    """Those of the partners with any due delivery that may be sent now, in one statement."""
    if not partner_ids:
        return []
    with prepared_cursor() as cursor:
        cursor.execute(
            _SENDABLE_AMONG_SQL,
            {"partners": partner_ids, "now": timezone.now(), "nested": outbox.nested_modules()},
        )
        return [partner_id for (partner_id,) in cursor.fetchall()]


def _decoded(row) -> tuple:
    """A RETURNING row as from_db takes it: the JSON column decoded (Django's cursor hands jsonb over as text)."""
    fields_at = _ATTNAMES.index("fields")
    if isinstance(row[fields_at], str):
        row = (*row[:fields_at], orjson.loads(row[fields_at]), *row[fields_at + 1 :])
    return tuple(row)


def _sendable_with_orm(partner_id: int, limit: int, now) -> list[Delivery]:
    """_SENDABLE, portable: the oldest due deliveries that may be sent now."""
    busy = {
        (module, top(path))
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
        if (delivery.module, top(delivery.object_path)) in busy or any(
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
