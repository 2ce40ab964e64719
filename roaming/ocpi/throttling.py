"""Rate limiting per partner (DRF throttle): OCPI_RATE_LIMIT requests per second/minute/hour/day.

A fixed window counted in the cache, so that every web process shares it (Redis when REDIS_URL is
set): one round trip per request and no database query, since authentication already named the
partner. Over the limit the exception handler answers HTTP 429 in the envelope with Retry-After.
"""

from __future__ import annotations

import time
from functools import cache

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@cache
def parse_rate(rate: str) -> tuple[int, int]:
    """'50/second' -> (50, 1); the period is read from its first letter, as DRF does."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


def hit(key: str, ttl: int) -> int:
    """Count one request under `key`, which expires `ttl` seconds on; returns the count so far."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # INCR and EXPIRE in one pipeline: Django's cache.incr would first ask whether the key exists.
        full_key = backend.make_and_validate_key(key)
        pipeline = backend._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipeline.incr(full_key)
        pipeline.expire(full_key, ttl)
        return pipeline.execute()[0]
    if backend.add(key, 1, ttl):
        return 1
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.add(key, 1, ttl)
        return 1


def rate_limit_wait(partner) -> float | None:
    """Count one request of `partner`: None while it is within OCPI_RATE_LIMIT, else the seconds until its
    next window opens."""
    if not settings.OCPI_RATE_LIMIT or partner is None:
        return None
    limit, period = parse_rate(settings.OCPI_RATE_LIMIT)
    now = time.time()
    window = int(now // period)
    if hit(f"ocpi-rate:{partner.pk}:{period}:{window}", period + 1) <= limit:
        return None
    return (window + 1) * period - now


class PartnerRateThrottle(BaseThrottle):
    """At most OCPI_RATE_LIMIT requests per partner per window; an empty setting turns it off."""

    wait_seconds: float | None = None

    def allow_request(self, request, view) -> bool:
        self.wait_seconds = rate_limit_wait(request.user)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds
