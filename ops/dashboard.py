"""Selectors behind the operator dashboard: partner health and the last day of deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from partners.models import Partner, PartnerStatus
from roaming.models import Delivery, DeliveryStatus, SyncState
from roaming.services import initialsync


@dataclass
class PartnerHealth:
    partner: Partner
    pending: int
    failed: int
    delivered_24h: int
    last_pull: datetime | None
    pulls_running: int
    pull_errors: list[str]
    #: The partner's latest initial sync, module by module.
    initial_sync: list[initialsync.RunProgress] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.partner.status == PartnerStatus.REGISTERED and not self.failed and not self.pull_errors

    @property
    def initial_sync_failures(self) -> list[str]:
        return [f"{r.run.module}: {r.error}" for r in self.initial_sync if r.state == "failed"]


def partner_health(*, tenant=None) -> list[PartnerHealth]:
    """One row per partner of `tenant` (every tenant when None), in five queries at most whatever their number."""
    since = timezone.now() - timedelta(hours=24)
    partners = Partner.objects.all() if tenant is None else Partner.objects.for_tenant(tenant)
    partners = partners.select_related("tenant").annotate(
        pending=Count("deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        delivered_24h=Count(
            "deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED, deliveries__delivered_at__gte=since)
        ),
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
                failed=partner.failed,
                delivered_24h=partner.delivered_24h,
                last_pull=max((s.last_completed_at for s in own if s.last_completed_at), default=None),
                pulls_running=sum(1 for s in own if s.running_since),
                pull_errors=[f"{s.module}: {s.last_error}" for s in own if s.last_error],
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
