"""Celery tasks of the roaming app: each loads by id and calls a service; safe to run twice."""

from celery import shared_task

from partners.models import Partner
from roaming.ocpi.headers import log_context
from roaming.services import batches, chargepoint, chargingprofiles, commands, initialsync, outbox, sync


@shared_task(acks_late=True, ignore_result=True)
def deliver_task(delivery_id: int) -> str:
    with log_context(delivery=delivery_id):
        outcome = outbox.deliver(delivery_id=delivery_id)
    # The sweep would find it too; this is sooner. (Eager mode runs tasks inline: the sweep does it there.)
    if outcome.retry_at is not None and not deliver_task.app.conf.task_always_eager:
        deliver_task.apply_async((delivery_id,), eta=outcome.retry_at)
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def drain_task(partner_id: int) -> int:
    with log_context(drain=partner_id):
        outbox.drain_started(partner_id)
        drained = batches.drain(partner_id=partner_id)
        initialsync.settle(partner_ids=[partner_id])
    # Left due (time budget spent, or waiting for a send in flight elsewhere): again soon; the partner in
    # trouble: when its first retry is due. (The sweep would find them too; this is sooner. Eager: the sweep.)
    again_in = drained.again_in if drained.again_in is not None else drained.retry_in
    if again_in is not None and not drain_task.app.conf.task_always_eager:
        drain_task.apply_async((partner_id,), countdown=again_in)
    return drained.delivered


@shared_task(acks_late=True, ignore_result=True)
def drain_many_task(partner_ids: list[int]) -> int:
    with log_context(drain=f"{len(partner_ids)} partners"):
        outbox.drain_started(*partner_ids)
        drained = batches.drain_many(partner_ids=partner_ids)
        initialsync.settle(partner_ids=partner_ids)
    # Partners handed on get drains of their own: now (a breaker that is not closed, what the budget left), or
    # when their first retry is due (eager: the sweep, as for drain_task).
    for partner_id, again_in in drained.handed.items():
        if not again_in:
            drain_task.delay(partner_id)
        elif not drain_many_task.app.conf.task_always_eager:
            drain_task.apply_async((partner_id,), countdown=again_in)
    return drained.delivered


@shared_task(acks_late=True, ignore_result=True)
def sweep_task() -> int:
    return outbox.sweep()


@shared_task(acks_late=True, ignore_result=True)
def pull_task(state_id: int, full: bool = False) -> None:
    with log_context(pull=state_id):
        sync.pull(state_id=state_id, full=full)


@shared_task(acks_late=True, ignore_result=True)
def initial_sync_task(partner_id: int, reason: str) -> int:
    with log_context(initial_sync=partner_id):
        return len(initialsync.start(partner=Partner.objects.get(pk=partner_id), reason=reason))


@shared_task(acks_late=True, ignore_result=True)
def settle_initial_syncs_task() -> int:
    return initialsync.settle()


@shared_task(acks_late=True, ignore_result=True)
def schedule_pulls_task() -> int:
    due = sync.due_states()
    for state_id in due:
        pull_task.delay(state_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def expire_commands_task() -> int:
    return commands.expire_overdue()


@shared_task(acks_late=True, ignore_result=True)
def simulate_charge_point_task(command_id: int) -> None:
    chargepoint.simulate(command_id=command_id)


@shared_task(acks_late=True, ignore_result=True)
def expire_charging_profiles_task() -> int:
    return chargingprofiles.expire_overdue()


@shared_task(acks_late=True, ignore_result=True)
def simulate_charging_profile_task(request_id: int) -> None:
    chargepoint.simulate_charging_profile(request_id=request_id)
