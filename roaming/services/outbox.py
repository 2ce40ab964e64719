"""Push with nothing lost: record deliveries with the change, send them after commit, retry until delivered.

record_change() runs inside the service transaction that changed the object, so the change and
what it owes partners commit together (ARCHITECTURE, principle 5). deliver() sends one
delivery, building its payload from the object's current state in the partner's version; a
beat job (sweep) re-queues what is due. Every step is safe to run twice.
"""

from __future__ import annotations

import functools
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Q
from django.db.models.functions import Length
from django.utils import timezone

from partners.models import InterfaceRole, Partner, PartnerStatus, Party, Role
from partners.rows import prepared_cursor
from roaming.models import Delivery, DeliveryMethod, DeliveryStatus
from roaming.ocpi.client import PartnerError, PartnerHttpError, PartnerOcpiError, client_for
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import log_context_var
from roaming.ocpi.push import OutgoingRequest, RetryPolicy, retry_policy, send
from roaming.services import jobs
from roaming.services.ownership import ensure_reachable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pushable:
    """How one module's deliveries become requests.

    `build(delivery, dialect)` returns the request carrying the object's current state, or None
    when there is nothing to send any more (e.g. the object is gone). `audience(partner, delivery)`
    says whether a partner may see the object (2.2.1 publish rules); by default every partner with
    the module's receiver endpoint does.

    `build_many(deliveries, dialect)` does what `build` does for a batch of one partner's deliveries, by
    delivery id, in fewer queries (roaming.services.batches); without it each is built alone.

    `current(partner, dialect)` lists the object paths of everything of the module the partner holds
    of ours once in sync: what an initial sync sends it as whole objects (None: nothing is, e.g. CDRs,
    which are posted once). `nested` says that objects have objects below them in the same module
    (a location's EVSEs and connectors, "CC/PID/LOC/EVSE"): a whole-object PUT carries them.

    `url(partner, delivery)` is where the request goes when not below the partner's receiver endpoint of
    the module (an asynchronous result to the response_url its sender gave, a PUT to their sender
    endpoint); None there: nowhere to send it. `attempted(delivery, error)` hears each attempt's outcome
    (None: delivered), for records that keep their own history.
    """

    module: str
    build: Callable[[Delivery, Dialect], OutgoingRequest | None]
    audience: Callable[[Partner, str], bool] | None = None
    build_many: Callable[[list[Delivery], Dialect], dict[int, OutgoingRequest | None]] | None = None
    current: Callable[[Partner, Dialect], list[str]] | None = None
    nested: bool = False
    url: Callable[[Partner, Delivery], str | None] | None = None
    attempted: Callable[[Delivery, PartnerError | None], None] | None = None


def target_url(pushable: Pushable | None, partner: Partner, delivery: Delivery, receivers: dict[str, str]) -> str:
    """Where a delivery's request goes: the pushable's own URL, else the partner's receiver endpoint of the
    module (`receivers`: identifier to URL); "" when there is none."""
    if pushable is not None and pushable.url is not None:
        return pushable.url(partner, delivery) or ""
    return receivers.get(delivery.module, "")


def receiver_urls(partner: Partner) -> dict[str, str]:
    return dict(partner.endpoints.filter(role=InterfaceRole.RECEIVER).values_list("identifier", "url"))


#: Filled from the module table (roaming.modules) when the app is ready; tests may add their own.
_PUSHABLES: dict[str, Pushable] = {}

#: Object paths start with the owner and the object's id: "CC/PID/ID"; objects below it add segments.
_TOP_LEVEL_DEPTH = 3


def register_pushable(pushable: Pushable) -> Pushable:
    _PUSHABLES[pushable.module] = pushable
    return pushable


def pushable(module: str) -> Pushable | None:
    return _PUSHABLES.get(module)


def initially_pushed_modules() -> list[str]:
    """Modules whose current objects an initial sync sends."""
    return sorted(module for module, p in _PUSHABLES.items() if p.current is not None)


def is_nested(module: str) -> bool:
    found = _PUSHABLES.get(module)
    return found is not None and found.nested


def nested_modules() -> list[str]:
    return sorted(module for module, p in _PUSHABLES.items() if p.nested)


def ancestors(object_path: str) -> list[str]:
    """Paths of the objects above a nested object, outermost first ("CC/PID/LOC" for "CC/PID/LOC/EVSE")."""
    parts = object_path.split("/")
    return ["/".join(parts[:depth]) for depth in range(_TOP_LEVEL_DEPTH, len(parts))]


def recipients(
    *, tenant, module: str, exclude_partner_id: int | None = None, only_if_hub: bool = False
) -> list[Partner]:
    """Registered partners of the tenant with a receiver endpoint for `module`; with `only_if_hub`,
    none unless the tenant is a hub (only hubs pass on what they received from others)."""
    queryset = (
        Partner.objects.for_tenant(tenant)
        .filter(status=PartnerStatus.REGISTERED, endpoints__identifier=module, endpoints__role=InterfaceRole.RECEIVER)
        .distinct()
    )
    if only_if_hub:
        queryset = queryset.filter(Exists(Party.objects.filter(tenant=tenant, role=Role.HUB)))
    if exclude_partner_id is not None:
        queryset = queryset.exclude(pk=exclude_partner_id)
    return list(queryset.only("pk", "tenant_id", "name", "version"))


def _fold(existing: Delivery, method: str, fields: list[str]) -> None:
    """Fold a newer change into a pending delivery: a whole-object method covers a PATCH."""
    if method == DeliveryMethod.PATCH and existing.method == DeliveryMethod.PATCH:
        existing.fields = sorted(set(existing.fields) | set(fields))
    elif method != DeliveryMethod.PATCH:
        existing.method, existing.fields = method, []
    existing.changes += 1


@dataclass
class Recorded:
    created: list[int] = field(default_factory=list)
    folded: list[int] = field(default_factory=list)
    #: The partners owed a new delivery (a folded change rides on one already owed).
    partners: set[int] = field(default_factory=set)


def record_change(
    *,
    tenant,
    module: str,
    object_path: str,
    method: str,
    fields: list[str] | tuple[str, ...] = (),
    exclude_partner_id: int | None = None,
    only_if_hub: bool = False,
) -> Recorded:
    """Owe every recipient partner a delivery of this change; call inside the change's transaction.

    A change below an object whose initial sync PUT is pending to a partner (an EVSE's status PATCH while
    its location's PUT waits) is covered by that PUT, which is built from the current state when it is
    sent: it folds into it, so it never reaches a partner that may not hold the object yet before it."""
    fields = sorted(fields) if method == DeliveryMethod.PATCH else []
    above = ancestors(object_path) if is_nested(module) else []
    pushable = _PUSHABLES.get(module)
    audience = pushable.audience if pushable is not None else None
    if connection.vendor == "postgresql" and settings.OUTBOX_SQL_UPSERT:
        partner_ids = None
        if audience is not None:
            partners = recipients(
                tenant=tenant, module=module, exclude_partner_id=exclude_partner_id, only_if_hub=only_if_hub
            )
            partner_ids = [p.pk for p in partners if audience(p, object_path)]
            if not partner_ids:
                return Recorded()
        recorded = _upsert(
            tenant_id=tenant.pk,
            module=module,
            object_path=object_path,
            method=method,
            fields=fields,
            partner_ids=partner_ids,
            exclude_partner_id=exclude_partner_id,
            only_if_hub=only_if_hub,
            above=above,
        )
    else:
        partners = recipients(
            tenant=tenant, module=module, exclude_partner_id=exclude_partner_id, only_if_hub=only_if_hub
        )
        if audience is not None:
            partners = [p for p in partners if audience(p, object_path)]
        if not partners:
            return Recorded()
        recorded = _record_with_orm(tenant, partners, module, object_path, method, fields, above)
    if recorded.created:
        send_on_commit(recorded.created, recorded.partners)
    return recorded


# One statement on PostgreSQL for the hot path (every EVSE status change): pick the recipients, insert a
# pending delivery for each, or fold the change into the one already pending (the partial unique index
# delivery_one_pending_per_object is the conflict target), with _fold's rules written in SQL.
_INSERT_PENDING = """
INSERT INTO roaming_delivery (tenant_id, partner_id, module, object_path, method, fields, status, changes,
                              attempts, next_attempt_at, created, updated, last_error)
SELECT %(tenant)s, recipient.id, %(module)s, %(path)s, %(method)s, %(fields)s::jsonb, 'PENDING', 1,
       0, %(now)s, %(now)s, %(now)s, ''
FROM recipient{uncovered}
ON CONFLICT (partner_id, module, object_path) WHERE status = 'PENDING' DO UPDATE SET
    method = CASE WHEN EXCLUDED.method = 'PATCH' THEN roaming_delivery.method ELSE EXCLUDED.method END,
    fields = CASE
        WHEN EXCLUDED.method <> 'PATCH' THEN '[]'::jsonb
        WHEN roaming_delivery.method <> 'PATCH' THEN roaming_delivery.fields
        ELSE (SELECT coalesce(jsonb_agg(name ORDER BY name COLLATE "C"), '[]'::jsonb)
              FROM (SELECT DISTINCT jsonb_array_elements_text(roaming_delivery.fields || EXCLUDED.fields) AS name) AS u)
    END,
    changes = roaming_delivery.changes + 1,
    updated = EXCLUDED.updated
RETURNING id, partner_id, xmax = 0 AS inserted
"""
_UPSERT_SQL = "WITH recipient AS ({recipients})" + _INSERT_PENDING.format(uncovered="")
# For an object below others (an EVSE, a connector): the same, except for partners with an initial sync's PUT
# of an object above it pending, the outermost one, which covers the change (its count of changes grows by
# one). A PUT claimed for sending meanwhile is not pending any more once its claim commits: the status
# re-checked after the row lock keeps it out of `covered`, and that partner gets a delivery of its own.
_COVERED_UPSERT_SQL = """
WITH recipient AS ({recipients}),
covering AS (
    SELECT DISTINCT ON (partner_id) id FROM roaming_delivery
    WHERE partner_id IN (SELECT id FROM recipient) AND module = %(module)s AND object_path = ANY(%(above)s)
      AND status = 'PENDING' AND method = 'PUT' AND initial_sync_id IS NOT NULL
    ORDER BY partner_id, length(object_path)
),
covered AS (
    UPDATE roaming_delivery SET changes = changes + 1, updated = %(now)s
    WHERE id IN (SELECT id FROM covering) AND status = 'PENDING'
    RETURNING id, partner_id
),
upserted AS (INSERT_PENDING)
SELECT id, partner_id, inserted FROM upserted UNION ALL SELECT id, partner_id, false FROM covered
""".replace(
    "INSERT_PENDING", _INSERT_PENDING.format(uncovered=" WHERE recipient.id NOT IN (SELECT partner_id FROM covered)")
)
_RECIPIENTS_SQL = """
SELECT DISTINCT partner.id FROM partners_partner AS partner
JOIN partners_partnerendpoint AS endpoint ON endpoint.partner_id = partner.id
WHERE partner.tenant_id = %(tenant)s AND partner.status = 'REGISTERED'
  AND endpoint.identifier = %(module)s AND endpoint.role = 'RECEIVER'
  AND partner.id IS DISTINCT FROM %(exclude)s
  AND (NOT %(only_if_hub)s OR EXISTS (SELECT 1 FROM partners_party WHERE tenant_id = %(tenant)s AND role = 'HUB'))
"""


def _upsert(
    *, tenant_id, module, object_path, method, fields, partner_ids, exclude_partner_id, only_if_hub, above
) -> Recorded:
    chosen = "SELECT unnest(%(partners)s::bigint[]) AS id" if partner_ids is not None else _RECIPIENTS_SQL
    sql = (_COVERED_UPSERT_SQL if above else _UPSERT_SQL).format(recipients=chosen)
    params = {
        "tenant": tenant_id,
        "module": module,
        "path": object_path,
        "method": method,
        "fields": json.dumps(fields),
        "now": timezone.now(),
        "partners": partner_ids,
        "exclude": exclude_partner_id,
        "only_if_hub": only_if_hub,
        "above": above,
    }
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    recorded = Recorded()
    for pk, partner_id, inserted in rows:
        if inserted:
            recorded.created.append(pk)
            recorded.partners.add(partner_id)
        else:
            recorded.folded.append(pk)
    return recorded


def _record_with_orm(tenant, partners, module, object_path, method, fields, above) -> Recorded:
    """The same as _upsert, portable (the embedded SQLite default takes this path)."""
    recorded = Recorded()
    now = timezone.now()
    if above:
        covering: dict[int, Delivery] = {}
        for delivery in (
            Delivery.objects.for_tenant(tenant)
            .select_for_update()
            .filter(
                partner__in=partners,
                module=module,
                object_path__in=above,
                status=DeliveryStatus.PENDING,
                method=DeliveryMethod.PUT,
                initial_sync__isnull=False,
            )
            .order_by(Length("object_path"))
            .only("pk", "partner_id", "changes")
        ):
            covering.setdefault(delivery.partner_id, delivery)
        for delivery in covering.values():
            delivery.changes += 1
            recorded.folded.append(delivery.pk)
        Delivery.objects.bulk_update(covering.values(), ["changes"])
        partners = [partner for partner in partners if partner.pk not in covering]
        if not partners:
            return recorded
    pending = {
        d.partner_id: d
        for d in Delivery.objects.for_tenant(tenant)
        .select_for_update()
        .filter(partner__in=partners, module=module, object_path=object_path, status=DeliveryStatus.PENDING)
        .only("pk", "partner_id", "method", "fields", "changes")
    }
    for delivery in pending.values():
        _fold(delivery, method, fields)
        recorded.folded.append(delivery.pk)
    if pending:
        Delivery.objects.bulk_update(pending.values(), ["method", "fields", "changes"])
    new = [
        Delivery(
            tenant=tenant,
            partner=partner,
            module=module,
            object_path=object_path,
            method=method,
            fields=fields,
            next_attempt_at=now,
        )
        for partner in partners
        if partner.pk not in pending
    ]
    if new:
        try:
            with transaction.atomic():
                Delivery.objects.bulk_create(new)
        except IntegrityError:
            # Another transaction created a pending row meanwhile; fold into it one by one.
            for delivery in new:
                recorded.folded.extend(_fold_one(delivery, method, fields))
            new = []
        recorded.created = [d.pk for d in new]
        recorded.partners = {d.partner_id for d in new}
    return recorded


def record_for(*, partner: Partner, module: str, object_path: str, method: str) -> Recorded:
    """Owe one partner one delivery (a result to the partner that asked for it); call inside the transaction
    that made it. A delivery of the same object still pending takes it in (its request is built when sent)."""
    recorded = _record_with_orm(partner.tenant, [partner], module, object_path, method, [], [])
    if recorded.created:
        send_on_commit(recorded.created, recorded.partners)
    return recorded


def record_own_or_hub_change(
    *, tenant, partner: Partner | None, module: str, object_path: str, method: str, fields=()
) -> Recorded:
    """Owe partners a module's change: always for the tenant's own data (partner None); what was received
    from `partner` only a hub passes on, and never back to that partner."""
    return record_change(
        tenant=tenant,
        module=module,
        object_path=object_path,
        method=method,
        fields=list(fields),
        exclude_partner_id=partner.pk if partner else None,
        only_if_hub=partner is not None,
    )


def record_own_or_hub_changes(
    *, tenant, partner: Partner | None, module: str, object_paths: list[str], method: str
) -> Recorded:
    """record_own_or_hub_change for many objects (a pulled page): one query when nobody is owed them,
    which is the rule for whatever a tenant that is not a hub received."""
    exclude = partner.pk if partner else None
    recorded = Recorded()
    if not object_paths or not recipients(
        tenant=tenant, module=module, exclude_partner_id=exclude, only_if_hub=partner is not None
    ):
        return recorded
    for path in object_paths:
        one = record_own_or_hub_change(tenant=tenant, partner=partner, module=module, object_path=path, method=method)
        recorded.created += one.created
        recorded.folded += one.folded
    return recorded


# An initial sync's PUTs in one statement: a pending delivery of one of the objects becomes the PUT (and joins
# the run). Then, for a nested module, what is pending below those objects (an EVSE's PATCH recorded before)
# is handed over to its object's PUT, which carries it, so it is never sent before the object it changes.
_WHOLE_OBJECTS_SQL = """
INSERT INTO roaming_delivery (tenant_id, partner_id, module, object_path, method, fields, status, changes,
                              attempts, next_attempt_at, created, updated, last_error, initial_sync_id)
SELECT %(tenant)s, %(partner)s, %(module)s, path, 'PUT', '[]'::jsonb, 'PENDING', 1, 0, %(due)s, %(now)s, %(now)s, '',
       %(run)s
FROM unnest(%(paths)s::text[]) WITH ORDINALITY AS owed(path, position) ORDER BY position
ON CONFLICT (partner_id, module, object_path) WHERE status = 'PENDING' DO UPDATE SET
    method = 'PUT', fields = '[]'::jsonb, changes = roaming_delivery.changes + 1,
    next_attempt_at = GREATEST(roaming_delivery.next_attempt_at, EXCLUDED.next_attempt_at),
    initial_sync_id = EXCLUDED.initial_sync_id, updated = EXCLUDED.updated
RETURNING id, xmax = 0
"""
_HAND_OVER_BELOW_SQL = """
WITH below AS (
    UPDATE roaming_delivery SET status = 'SUPERSEDED', updated = %(now)s
    WHERE partner_id = %(partner)s AND module = %(module)s AND status = 'PENDING'
      AND cardinality(string_to_array(object_path, '/')) > 3
      AND array_to_string((string_to_array(object_path, '/'))[1:3], '/') = ANY(%(paths)s)
    RETURNING array_to_string((string_to_array(object_path, '/'))[1:3], '/') AS top, changes
)
UPDATE roaming_delivery SET changes = roaming_delivery.changes + handed.changes, updated = %(now)s
FROM (SELECT top, sum(changes) AS changes FROM below GROUP BY top) AS handed
WHERE partner_id = %(partner)s AND module = %(module)s AND status = 'PENDING' AND object_path = handed.top
"""


def record_whole_objects(
    *,
    partner: Partner,
    module: str,
    object_paths: list[str],
    initial_sync_id: int | None = None,
    not_before: datetime | None = None,
) -> Recorded:
    """Owe one partner a PUT of each of these whole objects (top-level paths), in this order, sent from
    `not_before` on; call inside a transaction. Nothing is queued: the caller does."""
    paths = list(dict.fromkeys(object_paths))
    recorded = Recorded()
    if not paths:
        return recorded
    now = timezone.now()
    due = max(not_before or now, now)
    if connection.vendor != "postgresql" or not settings.OUTBOX_SQL_UPSERT:
        return _record_whole_objects_with_orm(partner, module, paths, initial_sync_id, now, due)
    params = {
        "tenant": partner.tenant_id,
        "partner": partner.pk,
        "module": module,
        "paths": paths,
        "now": now,
        "due": due,
        "run": initial_sync_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_WHOLE_OBJECTS_SQL, params)
        for pk, inserted in cursor.fetchall():
            (recorded.created if inserted else recorded.folded).append(pk)
        if is_nested(module):
            cursor.execute(_HAND_OVER_BELOW_SQL, params)
    return recorded


def _record_whole_objects_with_orm(partner, module, paths, initial_sync_id, now, due) -> Recorded:
    """record_whole_objects, portable."""
    recorded = Recorded()
    pending = (
        Delivery.objects.for_tenant(partner.tenant_id)
        .select_for_update()
        .filter(partner=partner, module=module, status=DeliveryStatus.PENDING)
    )
    existing = {d.object_path: d for d in pending.filter(object_path__in=paths)}
    for delivery in existing.values():
        delivery.method, delivery.fields, delivery.initial_sync_id = DeliveryMethod.PUT, [], initial_sync_id
        delivery.changes += 1
        delivery.next_attempt_at = max(delivery.next_attempt_at, due)
        recorded.folded.append(delivery.pk)
    Delivery.objects.bulk_update(existing.values(), ["method", "fields", "changes", "next_attempt_at", "initial_sync"])
    new = Delivery.objects.bulk_create(
        Delivery(
            tenant_id=partner.tenant_id,
            partner=partner,
            module=module,
            object_path=path,
            method=DeliveryMethod.PUT,
            next_attempt_at=due,
            initial_sync_id=initial_sync_id,
        )
        for path in paths
        if path not in existing
    )
    recorded.created = [d.pk for d in new]
    if is_nested(module):
        tops = set(paths)
        carriers = {d.object_path: d for d in pending.filter(object_path__in=paths)}
        for below in pending.filter(object_path__contains="/").exclude(object_path__in=paths):
            top = "/".join(below.object_path.split("/")[:_TOP_LEVEL_DEPTH])
            if top in tops and below.object_path != top:
                carriers[top].changes += below.changes
                below.status = DeliveryStatus.SUPERSEDED
                below.save(update_fields=["status", "updated"])
        Delivery.objects.bulk_update(carriers.values(), ["changes"])
    return recorded


def _pending_of_same_object(delivery: Delivery) -> Delivery | None:
    """The pending delivery (at most one) of the same object to the same partner, locked."""
    return (
        Delivery.objects.select_for_update()
        .filter(
            partner_id=delivery.partner_id,
            module=delivery.module,
            object_path=delivery.object_path,
            status=DeliveryStatus.PENDING,
        )
        .first()
    )


def _fold_one(delivery: Delivery, method: str, fields: list[str]) -> list[int]:
    with transaction.atomic():
        existing = _pending_of_same_object(delivery)
        if existing is None:
            delivery.save()
            send_on_commit([delivery.pk], {delivery.partner_id})
            return [delivery.pk]
        _fold(existing, method, fields)
        existing.save(update_fields=["method", "fields", "changes", "updated"])
        return [existing.pk]


def send_on_commit(delivery_ids, partner_ids) -> None:
    """Once the transaction commits, send these new deliveries: with PUSH_LIVE_DRAINS by waking a drain of each
    partner (roaming.services.batches), else by a task each."""
    if settings.PUSH_LIVE_DRAINS:
        if partner_ids:
            transaction.on_commit(lambda ids=tuple(partner_ids): wake_drains(ids))
    elif delivery_ids:
        transaction.on_commit(lambda ids=tuple(delivery_ids): _enqueue(ids))


def _enqueue(ids) -> None:
    for pk in ids:
        if not jobs.enqueue(jobs.DELIVER, pk):
            return


#: Set while a drain of the partner is queued and not started: the changes recorded meanwhile need no other
#: one, as its claim takes them. The expiry only covers a queued drain the broker lost (the sweep also
#: queues drains for whatever is due).
_DRAIN_WANTED = "roaming:drain-wanted:{}"
_DRAIN_WANTED_SECONDS = 5


def _flags() -> redis.Redis | None:
    """The Redis holding the drain flags: the broker's, which every process that queues or runs drains shares;
    None with another broker (the embedded demo's filesystem one)."""
    url = jobs.broker_url()
    return _redis_at(url) if url.startswith(("redis://", "rediss://")) else None


@functools.cache
def _redis_at(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def wake_drains(partner_ids) -> None:
    """Queue a drain of each partner's due deliveries (roaming.services.batches), unless one is queued and has
    not started: a burst of changes costs each partner one task, not one per change, and the flags of all the
    partners a change owes are set in one round trip. Without Redis every wake queues a drain, and the extra
    ones find nothing left and stop."""
    partner_ids = list(partner_ids)
    flags = _flags()
    if flags is not None:
        with flags.pipeline(transaction=False) as pipe:
            for partner_id in partner_ids:
                pipe.set(_DRAIN_WANTED.format(partner_id), 1, nx=True, ex=_DRAIN_WANTED_SECONDS)
            try:
                newly = pipe.execute()
            except redis.RedisError as exc:  # the broker is down too: queuing would fail; the sweep sees to it
                logger.warning("Redis unavailable, drains left to the sweep: %s", exc)
                return
        partner_ids = [partner_id for partner_id, set_now in zip(partner_ids, newly, strict=True) if set_now]
    for partner_id in partner_ids:
        if not jobs.enqueue(jobs.DRAIN, partner_id):
            return


def drain_started(partner_id: int) -> None:
    """A drain of the partner starts claiming: a change recorded from now on wakes another."""
    flags = _flags()
    if flags is not None:
        try:
            flags.delete(_DRAIN_WANTED.format(partner_id))
        except redis.RedisError as exc:  # the flag expires by itself
            logger.warning("Redis unavailable, the drain flag of partner %s expires by itself: %s", partner_id, exc)


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


def serialize_claims(partner_id: int) -> None:
    """Inside a claim's transaction: wait for other claims of the partner's nested deliveries to commit."""
    if connection.vendor == "postgresql":
        with prepared_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CLAIM_LOCK_CLASS, partner_id & 0x7FFFFFFF])


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
    pushable = _PUSHABLES.get(delivery.module)
    url = target_url(pushable, partner, delivery, receiver_urls(partner))
    error: PartnerError | None = None
    request = None
    if pushable is not None and partner.status == PartnerStatus.REGISTERED and dialect and url:
        request = pushable.build(delivery, dialect)
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
    return _save_pending_or_hand_over(delivery)


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
        _save_pending_or_hand_over(delivery)
    else:
        delivery.save()
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
    pushable = _PUSHABLES.get(delivery.module)
    if pushable is not None and pushable.attempted is not None:
        pushable.attempted(delivery, error)


def _save_pending_or_hand_over(delivery: Delivery) -> Delivery:
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
        newer = _pending_of_same_object(delivery)
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


def sweep() -> int:
    """Re-queue what is due (retries, and anything a dead worker or broker dropped); returns how many."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PUSH_SENDING_TIMEOUT_SECONDS)
    for delivery in Delivery.objects.filter(status=DeliveryStatus.SENDING, updated__lt=stale):
        # The worker that was sending it died; send again unless a newer change is pending anyway.
        delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
        _save_pending_or_hand_over(delivery)
    due = dict(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .values_list("partner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Drains send each partner's due deliveries in batches, at the partner's pace (roaming.services.batches): as
    # many as it may have when there is more than a batch to send.
    for partner_id, count in due.items():
        enqueue_drains([partner_id], drains=min(settings.PUSH_PARTNER_DRAINS, -(-count // settings.PUSH_BATCH_SIZE)))
    return sum(due.values())


def enqueue_drains(partner_ids, *, drains: int = 1, countdown: float | None = None) -> None:
    """Queue `drains` drains of each partner's due deliveries; with a broker down, the sweep queues them later."""
    for partner_id in partner_ids:
        for _ in range(drains):
            if not jobs.enqueue(jobs.DRAIN, partner_id, countdown=countdown):
                return


def retry(*, deliveries) -> int:
    """Send these deliveries again now (an operator's retry); returns how many were queued."""
    now = timezone.now()
    queued = []
    for delivery in deliveries:
        delivery.status, delivery.next_attempt_at, delivery.created = DeliveryStatus.PENDING, now, now
        queued.append(_save_pending_or_hand_over(delivery))
    send_on_commit([d.pk for d in queued], {d.partner_id for d in queued})
    return len(queued)
