from celery import shared_task

from ops import housekeeping


@shared_task(acks_late=True, ignore_result=True)
def prune_task() -> int:
    return housekeeping.prune_deliveries() + housekeeping.prune_handshakes()
