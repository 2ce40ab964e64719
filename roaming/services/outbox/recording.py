"""Recording what changes owe partners, inside the change's transaction (ARCHITECTURE, principle 5).

record_change() owes every recipient partner a delivery of the change, or folds it into the one
still pending for the same object (newest state wins: the request is built when it is sent). On
PostgreSQL the hot path is one statement; elsewhere the ORM does the same. Once the transaction
commits, the new deliveries are handed on to be sent (send_on_commit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists
from django.db.models.functions import Length
from django.utils import timezone

from partners.models import InterfaceRole, Partner, PartnerStatus, Party, Role
from partners.rows import on_postgresql, prepared_cursor
from roaming.models import Delivery, DeliveryMethod, DeliveryStatus
from roaming.ocpi.headers import current_correlation_id
from roaming.services import jobs
from roaming.services.outbox.drains import wake_drains
from roaming.services.outbox.pushables import TOP_LEVEL_DEPTH, ancestors, is_nested, pushable


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
    found = pushable(module)
    audience = found.audience if found is not None else None
    if on_postgresql() and settings.OUTBOX_SQL_UPSERT:
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
                              attempts, next_attempt_at, created, updated, last_error, correlation_id)
SELECT %(tenant)s, recipient.id, %(module)s, %(path)s, %(method)s, %(fields)s::jsonb, 'PENDING', 1,
       0, %(now)s, %(now)s, %(now)s, '', %(correlation)s
FROM recipient{uncovered}
ON CONFLICT (partner_id, module, object_path) WHERE status = 'PENDING' DO UPDATE SET
    correlation_id = CASE WHEN EXCLUDED.correlation_id = '' THEN roaming_delivery.correlation_id
                          ELSE EXCLUDED.correlation_id END,
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
        "correlation": current_correlation_id(),
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
        .only("pk", "partner_id", "method", "fields", "changes", "correlation_id")
    }
    correlation = current_correlation_id()
    for delivery in pending.values():
        _fold(delivery, method, fields)
        delivery.correlation_id = correlation or delivery.correlation_id
        recorded.folded.append(delivery.pk)
    if pending:
        Delivery.objects.bulk_update(pending.values(), ["method", "fields", "changes", "correlation_id"])
    new = [
        Delivery(
            tenant=tenant,
            partner=partner,
            module=module,
            object_path=object_path,
            method=method,
            fields=fields,
            next_attempt_at=now,
            correlation_id=correlation,
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
    if not on_postgresql() or not settings.OUTBOX_SQL_UPSERT:
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
            top = "/".join(below.object_path.split("/")[:TOP_LEVEL_DEPTH])
            if top in tops and below.object_path != top:
                carriers[top].changes += below.changes
                below.status = DeliveryStatus.SUPERSEDED
                below.save(update_fields=["status", "updated"])
        Delivery.objects.bulk_update(carriers.values(), ["changes"])
    return recorded


def pending_of_same_object(delivery: Delivery) -> Delivery | None:
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
        existing = pending_of_same_object(delivery)
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
