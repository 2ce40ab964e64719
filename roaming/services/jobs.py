"""Queued work, by name: services queue jobs without importing the tasks that run them.

Imports run one way (docs/decisions.md, "Imports"): tasks import services, never the reverse. A service
that owes work to a worker (a delivery to send, a drain of a partner's deliveries, a pull, the simulated
charge point's answer) calls `enqueue(JOB, ...)` with one of the names below; Celery finds the task in its
registry (roaming.tasks, imported by the app's autodiscovery). A test checks every name resolves.

A broker that is down must not fail the change that queued the job: the change is committed already, and
what the job would do is found again by a sweep or a schedule (the outbox sweep, the pull schedule, the
command deadlines), so `enqueue` logs and returns False instead of raising.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import current_app
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)

DELIVER = "roaming.tasks.deliver_task"
DRAIN = "roaming.tasks.drain_task"
DRAIN_MANY = "roaming.tasks.drain_many_task"
PULL = "roaming.tasks.pull_task"
SIMULATE_CHARGE_POINT = "roaming.tasks.simulate_charge_point_task"
SIMULATE_CHARGING_PROFILE = "roaming.tasks.simulate_charging_profile_task"
INITIAL_SYNC = "roaming.tasks.initial_sync_task"
REGISTER = "partners.tasks.register_with_partner_task"
UPDATE_CREDENTIALS = "partners.tasks.update_with_partner_task"

ALL = (
    DELIVER,
    DRAIN,
    DRAIN_MANY,
    PULL,
    SIMULATE_CHARGE_POINT,
    SIMULATE_CHARGING_PROFILE,
    INITIAL_SYNC,
    REGISTER,
    UPDATE_CREDENTIALS,
)


def enqueue(name: str, *args, countdown: float | None = None, eta: datetime | None = None) -> bool:
    """Queue the job `name` with `args`; False (logged) when the broker is unavailable."""
    try:
        # The arguments' repr given, not computed by Celery's saferepr: a sixth of the cost of queuing.
        current_app.tasks[name].apply_async(args, countdown=countdown, eta=eta, argsrepr=repr(args), kwargsrepr="{}")
    except BrokerUnavailable as exc:
        logger.warning("broker unavailable, %s%r left to the sweep or schedule: %s", name.rsplit(".", 1)[1], args, exc)
        return False
    return True


def broker_url() -> str:
    """The URL of the broker jobs go through."""
    return str(current_app.conf.broker_url or "")


def runs_inline() -> bool:
    """Whether jobs run as they are queued (eager mode, no worker): a countdown then means nothing."""
    return bool(current_app.conf.task_always_eager)
