"""Wake flags of partners' drains, in the broker's Redis: a burst of changes queues each partner one
drain (roaming.services.batches), not one per change."""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.db import connection

from roaming.services import jobs

# The name operators' log settings know (docs/operations.md), whichever module of the outbox logs.
logger = logging.getLogger("roaming.services.outbox")


#: Set while a drain of the partner is queued and not started: the changes recorded meanwhile need no other
#: one, as its claim takes them. The expiry only covers a queued drain the broker lost (the sweep also
#: queues drains for whatever is due). Keyed by database too, as partner ids repeat across deployments
#: (or test databases) that share one Redis.
_DRAIN_WANTED = "roaming:drain-wanted:{db}:{partner_id}"
_DRAIN_WANTED_SECONDS = 5


def shared_redis() -> redis.Redis | None:
    """The Redis holding the drain flags: the broker's, which every process that queues or runs drains shares;
    None with another broker (the embedded demo's filesystem one)."""
    url = jobs.broker_url()
    return _redis_at(url) if url.startswith(("redis://", "rediss://")) else None


@functools.cache
def _redis_at(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _flag(partner_id: int) -> str:
    return _DRAIN_WANTED.format(db=connection.settings_dict["NAME"], partner_id=partner_id)


def wake_drains(partner_ids) -> None:
    """Queue a drain of each partner's due deliveries (roaming.services.batches), unless one is queued and has
    not started: a burst of changes costs each partner one task, not one per change, and the flags of all the
    partners a change owes are set in one round trip. Several partners woken at once are drained together, up
    to PUSH_DRAIN_PARTNERS in one task. Without Redis every wake queues a drain, and the extra ones find
    nothing left and stop."""
    partner_ids = list(partner_ids)
    flags = shared_redis()
    if flags is not None:
        with flags.pipeline(transaction=False) as pipe:
            for partner_id in partner_ids:
                pipe.set(_flag(partner_id), 1, nx=True, ex=_DRAIN_WANTED_SECONDS)
            try:
                newly = pipe.execute()
            except redis.RedisError as exc:  # the broker is down too: queuing would fail; the sweep sees to it
                logger.warning("Redis unavailable, drains left to the sweep: %s", exc)
                return
        partner_ids = [partner_id for partner_id, set_now in zip(partner_ids, newly, strict=True) if set_now]
    if len(partner_ids) == 1:
        jobs.enqueue(jobs.DRAIN, partner_ids[0])
        return
    size = settings.PUSH_DRAIN_PARTNERS
    tasks = -(-len(partner_ids) // size)
    for chunk in range(tasks):  # as even as can be: 60 partners are drained 30 and 30, not 50 and 10
        if not jobs.enqueue(jobs.DRAIN_MANY, partner_ids[chunk::tasks]):
            return


def drain_started(*partner_ids: int) -> None:
    """Drains of these partners start claiming: a change recorded from now on wakes another."""
    flags = shared_redis()
    if flags is not None:
        try:
            flags.delete(*(_flag(partner_id) for partner_id in partner_ids))
        except redis.RedisError as exc:  # the flags expire by themselves
            logger.warning("Redis unavailable, %d drain flags expire by themselves: %s", len(partner_ids), exc)


def enqueue_drains(partner_ids, *, drains: int = 1, countdown: float | None = None) -> None:
    """Queue `drains` drains of each partner's due deliveries; with a broker down, the sweep queues them later."""
    for partner_id in partner_ids:
        for _ in range(drains):
            if not jobs.enqueue(jobs.DRAIN, partner_id, countdown=countdown):
                return
