from celery import shared_task

from ops import housekeeping, simulator


@shared_task(acks_late=True, ignore_result=True)
def prune_task() -> int:
    return housekeeping.prune_deliveries() + housekeeping.prune_handshakes()


@shared_task(ignore_result=True)
def simulate_charge_points_task() -> None:
    simulator.simulate_demo_step()
