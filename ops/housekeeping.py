"""Housekeeping: settled deliveries are pruned after a retention period, in bounded batches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from roaming.models import Delivery, DeliveryStatus


def prune_deliveries(*, batch_size: int = 1000, max_batches: int = 50) -> int:
    """Delete delivered and superseded deliveries older than DELIVERY_RETENTION_DAYS; failed ones are kept
    for operators."""
    cutoff = timezone.now() - timedelta(days=settings.DELIVERY_RETENTION_DAYS)
    deleted = 0
    for _ in range(max_batches):
        ids = list(
            Delivery.objects.filter(
                status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.SUPERSEDED], updated__lt=cutoff
            ).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        deleted += Delivery.objects.filter(pk__in=ids).delete()[0]
    return deleted
