"""A partner's circuit breaker: its states as failures and probes come, on a clock of the test's own; a drain
of a partner whose breaker is open sends nothing and leaves its deliveries pending."""

import pytest
from django.db import transaction

from roaming.models import Delivery, DeliveryStatus
from roaming.services import batches, outbox
from roaming.services.outbox.breaker import CLOSED, HALF_OPEN, OPEN, Breaker
from tests.factories import connect, make_location


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(autouse=True)
def breaker_settings(settings):
    settings.PUSH_BREAKER_FAILURES = 2
    settings.PUSH_RETRY_BASE_SECONDS = 10
    settings.PUSH_RETRY_MAX_SECONDS = 40
    settings.PUSH_PROBE_SLOTS = 1


@pytest.fixture
def breakers(clock):
    """Breakers of partner ids no test database hands out, cleared before and after."""
    made = [Breaker(900_000_000 + n, clock=clock) for n in range(2)]
    assert made[0].store is not None, "the breaker lives in the broker's Redis (make test sets REDIS_URL)"

    def clear():
        for key in made[0].store.scan_iter(outbox.breaker_keys_pattern()):
            made[0].store.delete(key)

    clear()
    yield made
    clear()


def test_a_breaker_opens_at_the_threshold_of_failures_in_a_row_and_a_success_resets_the_count(breakers):
    breaker, _ = breakers
    assert breaker.state() == CLOSED and breaker.admit().send
    breaker.failed()
    assert breaker.state() == CLOSED  # one below the threshold
    breaker.succeeded()
    breaker.failed()
    assert breaker.state() == CLOSED  # the success started the count again
    breaker.failed()
    assert breaker.state() == OPEN


def test_an_open_breaker_admits_nothing_and_asks_only_the_first_drain_to_come_back(breakers, clock):
    breaker, _ = breakers
    breaker.failed()
    breaker.failed()
    first, second = breaker.admit(), breaker.admit()
    assert (first.send, first.probe, first.wait) == (False, False, 10)
    assert (second.send, second.wait) == (False, None)  # a drain is already queued for when it half-opens
    clock.now += 9.9
    assert breaker.state() == OPEN


def test_a_half_open_breaker_admits_one_probe_and_a_failed_probe_opens_it_for_twice_as_long(breakers, clock):
    breaker, _ = breakers
    breaker.failed()
    breaker.failed()
    clock.now += 10
    assert breaker.state() == HALF_OPEN
    probe = breaker.admit()
    assert (probe.send, probe.probe) == (True, True)
    assert not breaker.admit().send  # the partner's probe is on its way: no second one
    breaker.failed()
    assert breaker.state() == OPEN
    clock.now += 19.9
    assert breaker.state() == OPEN
    clock.now += 0.1
    assert breaker.state() == HALF_OPEN
    breaker.failed()  # a probe failing again: 40 s, the most
    clock.now += 39.9
    assert breaker.state() == OPEN
    clock.now += 0.1
    breaker.failed()
    clock.now += 40
    assert breaker.state() == HALF_OPEN


def test_a_probe_delivered_closes_the_breaker(breakers, clock):
    breaker, _ = breakers
    breaker.failed()
    breaker.failed()
    clock.now += 10
    assert breaker.admit().probe
    breaker.succeeded()
    assert breaker.state() == CLOSED
    admitted = breaker.admit()
    assert (admitted.send, admitted.probe) == (True, False)


def test_partners_probing_at_once_share_the_probe_slots(breakers, clock):
    one, other = breakers
    for breaker in breakers:
        breaker.failed()
        breaker.failed()
    clock.now += 10
    assert one.admit().probe
    assert not other.admit().send  # the only slot is taken by the first partner's probe
    one.succeeded()  # the slot is free again
    assert other.admit().probe


def test_a_drain_of_a_partner_whose_breaker_is_open_sends_nothing(cpo_tenant, peer, settings):
    make_location(cpo_tenant, "LOC1")
    peer.ok("/locations/NL/CPO/LOC1", None)
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    with transaction.atomic():
        outbox.record_whole_objects(partner=partner, module="locations", object_paths=["NL/CPO/LOC1"])
    breaker = Breaker(partner.pk)
    breaker.failed()
    breaker.failed()
    try:
        drained = batches.drain(partner_id=partner.pk)
        assert drained.delivered == 0 and drained.retry_in is not None
        assert peer.requests == []
        assert list(Delivery.objects.filter(partner=partner).values_list("status", flat=True)) == [
            DeliveryStatus.PENDING
        ]
    finally:
        breaker.succeeded()
