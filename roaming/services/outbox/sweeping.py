"""The beat job that re-queues what is due: retries, and whatever a dead worker or broker dropped."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from roaming.models import Delivery, DeliveryStatus
from roaming.services.outbox.delivery import save_pending_or_hand_over
from roaming.services.outbox.drains import enqueue_drains


def sweep() -> int:
    """Re-queue what is due (retries, and anything a dead worker or broker dropped); returns how many."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PUSH_SENDING_TIMEOUT_SECONDS)
    for delivery in Delivery.objects.filter(status=DeliveryStatus.SENDING, updated__lt=stale):
        # The worker that was sending it died; send again unless a newer change is pending anyway.
        delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
        save_pending_or_hand_over(delivery)
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
