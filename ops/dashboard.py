"""Selectors behind the operator dashboard: partner health and the last day of deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from partners.models import Partner, PartnerStatus
from roaming.models import Delivery, DeliveryStatus, SyncState
from roaming.services import initialsync

#: Deliveries retrying this long, with none delivered to the partner meanwhile, mean the partner is not reached.
#: Shorter waits are the retry backoff doing its work (a partner briefly away, an object it did not know yet).
UNREACHED_AFTER = timedelta(hours=1)


@dataclass
class PartnerHealth:
    """What the operator sees of one partner. `state` is "healthy", "attention" (see `problems`) or, for a partner
    that is not registered (awaiting its handshake, suspended, unregistered), its status: nothing is exchanged
    with it, so there is nothing to judge."""

    partner: Partner
    pending: int
    retrying: int
    failed: int
    delivered_24h: int
    last_delivered: datetime | None
    oldest_retrying: datetime | None
    last_pull: datetime | None
    pulls_running: int
    pull_errors: list[str]
    now: datetime
    #: The partner's latest initial sync, module by module.
    initial_sync: list[initialsync.RunProgress] = field(default_factory=list)

    @property
    def unreached(self) -> bool:
        """Deliveries have been retrying for UNREACHED_AFTER and none was delivered in that time."""
        since = self.now - UNREACHED_AFTER
        return (
            self.oldest_retrying is not None
            and self.oldest_retrying <= since
            and (self.last_delivered is None or self.last_delivered <= since)
        )

    @property
    def problems(self) -> list[str]:
        """Why the operator should look: FAILED deliveries (given up on, to retry or dismiss), pulls that
        failed, a partner not reached for an hour. Deliveries still retrying are not one on their own."""
        if self.partner.status != PartnerStatus.REGISTERED:
            return []
        found = [f"{self.failed} failed deliveries"] if self.failed else []
        found += [f"pull {error}" for error in self.pull_errors]
        found += [f"initial sync {failure}" for failure in self.initial_sync_failures]
        if self.unreached:
            minutes = int(UNREACHED_AFTER.total_seconds() // 60)
            found.append(f"deliveries retrying for over {minutes} minutes, none delivered meanwhile")
        return found

    @property
    def state(self) -> str:
        if self.partner.status != PartnerStatus.REGISTERED:
            return self.partner.get_status_display()
        return "attention" if self.problems else "healthy"

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"

    @property
    def initial_sync_failures(self) -> list[str]:
        return [f"{r.run.module}: {r.error}" for r in self.initial_sync if r.state == "failed"]


def partner_health(*, tenant=None, now: datetime | None = None) -> list[PartnerHealth]:
    """One row per partner of `tenant` (every tenant when None), in five queries at most whatever their number."""
    now = now or timezone.now()
    since = now - timedelta(hours=24)
    waiting = Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
    retrying = waiting & Q(deliveries__attempts__gt=0)
    partners = Partner.objects.all() if tenant is None else Partner.objects.for_tenant(tenant)
    partners = partners.select_related("tenant").annotate(
        pending=Count("deliveries", filter=waiting),
        retrying=Count("deliveries", filter=retrying),
        oldest_retrying=Min("deliveries__created", filter=retrying),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        delivered_24h=Count(
            "deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED, deliveries__delivered_at__gte=since)
        ),
        last_delivered=Max("deliveries__delivered_at"),
    )
    states: dict[int, list[SyncState]] = {}
    for state in SyncState.objects.filter(partner__in=[p.pk for p in partners]):
        states.setdefault(state.partner_id, []).append(state)
    syncs = initialsync.latest(tenant=tenant, partner_ids=[p.pk for p in partners])
    rows = []
    for partner in partners:
        own = states.get(partner.pk, [])
        rows.append(
            PartnerHealth(
                partner=partner,
                pending=partner.pending,
                retrying=partner.retrying,
                failed=partner.failed,
                delivered_24h=partner.delivered_24h,
                last_delivered=partner.last_delivered,
                oldest_retrying=partner.oldest_retrying,
                last_pull=max((s.last_completed_at for s in own if s.last_completed_at), default=None),
                pulls_running=sum(1 for s in own if s.running_since),
                pull_errors=[f"{s.module}: {s.last_error}" for s in own if s.last_error],
                now=now,
                initial_sync=syncs.get(partner.pk, []),
            )
        )
    return rows


@dataclass
class HourBar:
    hour: datetime
    delivered: int
    failed: int


def deliveries_by_hour(*, tenant=None, hours: int = 24, now: datetime | None = None) -> list[HourBar]:
    """Deliveries settled and failures in each of the last `hours` hours, oldest first."""
    now = now or timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    deliveries = Delivery.objects.all() if tenant is None else Delivery.objects.for_tenant(tenant)
    counts = (
        deliveries.filter(updated__gte=start, status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED])
        .annotate(hour=TruncHour("updated"))
        .values("hour", "status")
        .annotate(n=Count("pk"), latest=Max("updated"))
    )
    by_hour = {}
    for row in counts:
        by_hour.setdefault(row["hour"], {})[row["status"]] = row["n"]
    bars = []
    for index in range(hours):
        hour = start + timedelta(hours=index)
        found = by_hour.get(hour, {})
        bars.append(HourBar(hour, found.get(DeliveryStatus.DELIVERED, 0), found.get(DeliveryStatus.FAILED, 0)))
    return bars
