"""Housekeeping: settled deliveries and finished handshake logs are pruned after a retention period, in
bounded batches so a large backlog never holds one long transaction."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from partners.models import Handshake
from roaming.models import Delivery, DeliveryStatus


def _delete_in_batches(queryset, *, batch_size: int, max_batches: int) -> int:
    deleted = 0
    for _ in range(max_batches):
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]
    return deleted


def prune_deliveries(*, batch_size: int = 1000, max_batches: int = 50) -> int:
    """Delete delivered and superseded deliveries older than DELIVERY_RETENTION_DAYS; failed ones are kept
    for operators."""
    cutoff = timezone.now() - timedelta(days=settings.DELIVERY_RETENTION_DAYS)
    settled = Delivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.SUPERSEDED], updated__lt=cutoff
    )
    return _delete_in_batches(settled, batch_size=batch_size, max_batches=max_batches)


def prune_handshakes(*, batch_size: int = 1000, max_batches: int = 50) -> int:
    """Delete handshake logs finished more than HANDSHAKE_RETENTION_DAYS ago; each partner keeps its latest."""
    cutoff = timezone.now() - timedelta(days=settings.HANDSHAKE_RETENTION_DAYS)
    latest = Handshake.objects.filter(partner=OuterRef("partner")).order_by("-started").values("pk")[:1]
    old = Handshake.objects.filter(finished__lt=cutoff).exclude(pk=Subquery(latest))
    return _delete_in_batches(old, batch_size=batch_size, max_batches=max_batches)
