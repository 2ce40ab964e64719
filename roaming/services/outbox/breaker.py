"""A circuit breaker per partner, in the broker's Redis: a partner that hangs or cannot be reached costs one
request now and then, not a worker process per drain.

Closed: drains send as usual. After PUSH_BREAKER_FAILURES batches in a row that found the partner in trouble
(unreachable, a timeout, 429 or 502-504) it opens: drains of the partner send nothing (its deliveries stay
pending, untouched) for a cool-down that starts at PUSH_RETRY_BASE_SECONDS and doubles with each open in a
row, up to PUSH_RETRY_MAX_SECONDS. Then it is half-open: one drain sends one delivery as a probe, and only
while it holds one of PUSH_PROBE_SLOTS probe slots shared by every partner, so however many partners hang,
their probes tie up that many worker processes at most. The probe delivered closes the breaker; failed, it
opens again for twice as long. Without Redis (the embedded demo) every breaker stays closed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection

from roaming.services.outbox.drains import shared_redis

logger = logging.getLogger("roaming.services.outbox")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
# Keys name the database too: partner ids are only unique within one, and several may share a Redis.
_STATE = "roaming:breaker:{db}:{}"  # hash: failures, opens (in a row), opened_at, the probe's slot
_PROBING = "roaming:breaker:{db}:{}:probing"  # set while the partner's probe is on its way
_COMING_BACK = "roaming:breaker:{db}:{}:coming-back"  # set while a drain of the partner is queued for later
_PROBE_SLOT = "roaming:breaker:{db}:probe-slot:{}"  # taken by the partner probing through it


def closed_breakers(partner_ids) -> dict[int, bool]:
    """Of these partners, those whose breaker is closed, each with whether nothing is recorded against it
    (Breaker.clean): whom a drain of many partners may send to, read in one round trip. Without Redis every
    breaker is closed."""
    store = shared_redis()
    partner_ids = list(partner_ids)
    if store is None:
        return dict.fromkeys(partner_ids, False)
    breakers = [Breaker(partner_id, store=store) for partner_id in partner_ids]
    try:
        with store.pipeline(transaction=False) as pipe:
            for breaker in breakers:
                pipe.hgetall(breaker.state_key)
            states = pipe.execute()
    except redis.RedisError as exc:  # no breaker without Redis: send as without one
        logger.warning("Redis unavailable, breakers of %d partners taken as closed: %s", len(breakers), exc)
        return dict.fromkeys(partner_ids, False)
    closed = {}
    for breaker, raw in zip(breakers, states, strict=True):
        current = {key.decode(): float(value) for key, value in raw.items()}
        if breaker.state(current) == CLOSED:
            closed[breaker.partner_id] = not current
    return closed


def keys_pattern() -> str:
    """Every breaker key of this database (for an operator, or a test run, to clear them)."""
    return f"roaming:breaker:{connection.settings_dict['NAME']}:*"


@dataclass(frozen=True)
class Admission:
    """What a drain of the partner may do now: send (`probe`: one delivery only), or come back in `wait` s."""

    send: bool
    probe: bool = False
    wait: float | None = None


class Breaker:
    """The breaker of one partner; `clock` (seconds) is a parameter so that transitions can be tested."""

    def __init__(self, partner_id: int, *, store: redis.Redis | None = None, clock=time.time):
        self.partner_id = partner_id
        self.store = store if store is not None else shared_redis()
        self.clock = clock
        #: Nothing recorded against the partner when it was admitted: a good batch then has nothing to close.
        self.clean = False
        self.db = connection.settings_dict["NAME"]
        self.state_key = _STATE.format(partner_id, db=self.db)

    def _read(self) -> dict[str, float]:
        raw = self.store.hgetall(self.state_key)
        return {key.decode(): float(value) for key, value in raw.items()}

    def _cooldown(self, opens: float) -> float:
        return min(settings.PUSH_RETRY_BASE_SECONDS * 2 ** max(opens - 1, 0), settings.PUSH_RETRY_MAX_SECONDS)

    def state(self, current: dict[str, float] | None = None) -> str:
        """The breaker's state, from `current` (what _read() gave) when the caller has read it already."""
        if self.store is None:
            return CLOSED
        current = self._read() if current is None else current
        if current.get("failures", 0) < settings.PUSH_BREAKER_FAILURES:
            return CLOSED
        ends = current["opened_at"] + self._cooldown(current["opens"])
        return OPEN if self.clock() < ends else HALF_OPEN

    def admit(self) -> Admission:
        """Whether a drain may send now; a half-open breaker admits one probe, holding a shared probe slot."""
        if self.store is None:
            return Admission(send=True)
        try:
            current = self._read()
            state = self.state(current)
            self.clean = not current
            if state == CLOSED:
                return Admission(send=True)
            if state == OPEN:
                ends = current["opened_at"] + self._cooldown(current["opens"])
                return self._come_back(max(ends - self.clock(), 0.2))
            return self._take_probe()
        except redis.RedisError as exc:  # no breaker without Redis: send as without one
            logger.warning("Redis unavailable, breaker of partner %s taken as closed: %s", self.partner_id, exc)
            return Admission(send=True)

    def _come_back(self, seconds: float) -> Admission:
        """Not now: in `seconds` for the first drain told so, none for the others (a drain woken by each change
        would otherwise queue one more for later each time; the one queued, or the sweep, sees to them)."""
        key = _COMING_BACK.format(self.partner_id, db=self.db)
        first = self.store.set(key, 1, nx=True, px=max(int(seconds * 1000) - 100, 1))
        return Admission(send=False, wait=seconds if first else None)

    def _take_probe(self) -> Admission:
        hold = int(settings.OCPI_CLIENT_CONNECT_TIMEOUT + settings.OCPI_CLIENT_READ_TIMEOUT) + 5
        later = max(settings.PUSH_RETRY_BASE_SECONDS, 1.0)
        if not self.store.set(_PROBING.format(self.partner_id, db=self.db), 1, nx=True, ex=hold):
            return self._come_back(later)  # this partner's probe is on its way
        for slot in range(settings.PUSH_PROBE_SLOTS):
            if self.store.set(_PROBE_SLOT.format(slot, db=self.db), self.partner_id, nx=True, ex=hold):
                self.store.hset(self.state_key, "slot", slot)
                return Admission(send=True, probe=True)
        self.store.delete(_PROBING.format(self.partner_id, db=self.db))
        return self._come_back(later)  # other partners' probes hold every slot

    def give_back(self) -> None:
        """A probe admitted and not sent (every drain slot of the partner taken): the next drain probes."""
        if self.store is not None:
            try:
                self._release_probe()
            except redis.RedisError as exc:
                logger.warning("Redis unavailable, probe of partner %s expires by itself: %s", self.partner_id, exc)

    def _release_probe(self) -> None:
        key = self.state_key
        slot = self.store.hget(key, "slot")
        if slot is not None:
            self.store.hdel(key, "slot")
            self.store.delete(_PROBE_SLOT.format(int(slot), db=self.db))
        self.store.delete(_PROBING.format(self.partner_id, db=self.db))

    def succeeded(self) -> None:
        """The partner took a delivery: closed, whatever it was."""
        if self.store is None:
            return
        try:
            self._release_probe()
            self.store.delete(self.state_key)
        except redis.RedisError as exc:
            logger.warning("Redis unavailable, breaker of partner %s not closed: %s", self.partner_id, exc)

    def failed(self) -> None:
        """A batch (or the probe) found the partner in trouble: counted; at the threshold (again) open."""
        if self.store is None:
            return
        try:
            was = self.state()
            key = self.state_key
            self._release_probe()
            failures = self.store.hincrby(key, "failures", 1)
            if was == HALF_OPEN or (was == CLOSED and failures >= settings.PUSH_BREAKER_FAILURES):
                self.store.hincrby(key, "opens", 1)
                self.store.hset(key, "opened_at", self.clock())
                logger.warning("partner %s in trouble: breaker open", self.partner_id)
            # Forgotten long after its last cool-down could have ended: a partner gone quiet is closed again.
            self.store.expire(key, int(2 * settings.PUSH_RETRY_MAX_SECONDS) + 60)
        except redis.RedisError as exc:
            logger.warning("Redis unavailable, breaker of partner %s not told: %s", self.partner_id, exc)
