"""Drains of many partners at once: a change owed to every partner of a tenant is claimed, built, sent and finished
for all of them in a number of statements that does not grow with how many they are, with each partner's breaker,
drain slots and trouble kept apart."""

import json
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from roaming.models import Delivery, DeliveryStatus, Evse
from roaming.services import batches, locations, outbox
from roaming.services.outbox.breaker import OPEN, Breaker
from roaming.tasks import drain_many_task
from tests.factories import make_endpoint, make_location, make_partner

EVSE_PATH = {version: "/locations/NL/CPO/LOC1/LOC1-0" for version in ("2.1.1", "2.2.1")}


def add_partners(tenant, peer, numbers) -> list:
    """Partners numbered `numbers`, 2.1.1 and 2.2.1 in turn, each with a receiver of its own on the peer."""
    partners = []
    for n in numbers:
        version = "2.2.1" if n % 2 else "2.1.1"
        partner, _ = make_partner(tenant, f"DE:E{n:02d}:EMSP", name=f"emsp-{n}", version=version, token_to_them="t")
        make_endpoint(partner, "locations", "RECEIVER", f"{peer.url}/p{n}/locations")
        for path in EVSE_PATH[version], EVSE_PATH[version].replace("LOC1", "LOC2"):
            peer.ok(f"/p{n}{path}", None)
        partners.append(partner)
    return partners


def change(status: str = "CHARGING", uid: str = "LOC1-0") -> None:
    with transaction.atomic():
        locations.set_evse_status(evse=Evse.objects.get(uid=uid), status=status)


def partners_owed_one_change(tenant, peer, count: int) -> list:
    """`count` partners, each owed the PATCH of one EVSE status change."""
    make_location(tenant, "LOC1")
    partners = add_partners(tenant, peer, range(count))
    change()
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == count
    return partners


@pytest.fixture
def breakers_cleared():
    touched = []
    yield touched
    for partner in touched:
        Breaker(partner.pk).succeeded()


def sent_to(peer, n: int) -> list[dict]:
    return [r for r in peer.requests if r["path"].startswith(f"/p{n}/")]


def test_every_partner_gets_the_change_in_its_version(cpo_tenant, peer):
    partners = partners_owed_one_change(cpo_tenant, peer, 6)
    drained = batches.drain_many(partner_ids=[p.pk for p in partners])
    assert (drained.delivered, drained.handed) == (6, {})
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    for n, partner in enumerate(partners):
        [request] = sent_to(peer, n)
        assert (request["method"], request["path"]) == ("PATCH", f"/p{n}{EVSE_PATH[partner.version]}")
        assert json.loads(request["body"])["status"] == "CHARGING"
        assert request["headers"]["Authorization"].startswith("Token ")
        partner.refresh_from_db()
        assert partner.last_contact_at is not None
    # Each in its version: routing headers to the partner's own party in 2.2.1, none in 2.1.1.
    assert "OCPI-to-party-id" not in sent_to(peer, 0)[0]["headers"]
    assert sent_to(peer, 1)[0]["headers"]["OCPI-to-party-id"] == "E01"
    assert sent_to(peer, 3)[0]["headers"]["OCPI-to-party-id"] == "E03"


def statements_of_a_drain(partners) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert batches.drain_many(partner_ids=[p.pk for p in partners]).delivered == len(partners)
    # Each object's group is recorded DELIVERED, and each partner's drain slot let go, as the answers come back (a
    # worker dying mid-batch resends only what was on the wire; a partner that answered is free for another
    # drain), at most a statement of each for whatever came back together: how many depends on how they arrive.
    as_they_come = ("SET status = 'DELIVERED'", "pg_advisory_unlock")
    return [q["sql"] for q in captured.captured_queries if not any(s in q["sql"] for s in as_they_come)]


def test_the_statements_of_a_drain_do_not_grow_with_the_partners(cpo_tenant, peer):
    few = partners_owed_one_change(cpo_tenant, peer, 3)
    statements_few = statements_of_a_drain(few)
    many = few + add_partners(cpo_tenant, peer, range(3, 12))
    change("AVAILABLE")
    statements_many = statements_of_a_drain(many)
    assert len(statements_many) == len(statements_few) <= 20
    assert [len(sent_to(peer, n)) for n in range(12)] == [2, 2, 2] + [1] * 9


def test_a_partner_whose_breaker_is_open_is_handed_to_a_drain_of_its_own_for_later(
    cpo_tenant, peer, breakers_cleared, settings
):
    partners = partners_owed_one_change(cpo_tenant, peer, 3)
    breakers_cleared.append(partners[1])
    Breaker(partners[1].pk).failed()
    drained = batches.drain_many(partner_ids=[p.pk for p in partners])
    assert drained.delivered == 2 and list(drained.handed) == [partners[1].pk]
    # Its drain comes back when the cool-down ends, as a drain of its own is told.
    assert 0 < drained.handed[partners[1].pk] <= settings.PUSH_RETRY_BASE_SECONDS
    assert sent_to(peer, 1) == []
    held = Delivery.objects.get(partner=partners[1])
    assert (held.status, held.attempts) == (DeliveryStatus.PENDING, 0)
    # A later change's drain sees that one is coming back: no other is queued for it.
    assert batches.drain_many(partner_ids=[p.pk for p in partners]).handed == {}


def test_a_partner_whose_breaker_is_half_open_is_handed_to_a_drain_of_its_own_to_probe(
    cpo_tenant, peer, breakers_cleared, settings
):
    settings.PUSH_RETRY_BASE_SECONDS = 0.05
    partners = partners_owed_one_change(cpo_tenant, peer, 2)
    breakers_cleared.append(partners[0])
    Breaker(partners[0].pk).failed()
    time.sleep(0.1)  # the cool-down is over: half-open
    drained = batches.drain_many(partner_ids=[p.pk for p in partners])
    assert drained.handed == {partners[0].pk: 0.0} and sent_to(peer, 0) == []
    assert batches.drain(partner_id=partners[0].pk).delivered == 1  # the probe slot was given back for it
    assert Breaker(partners[0].pk).state() == "closed"


def test_a_partner_in_trouble_stops_alone_and_waits_for_its_retry(cpo_tenant, peer, breakers_cleared):
    partners = partners_owed_one_change(cpo_tenant, peer, 4)
    breakers_cleared.extend(partners)
    peer.routes[f"/p2{EVSE_PATH[partners[2].version]}"] = (503, {}, "down")
    drained = batches.drain_many(partner_ids=[p.pk for p in partners])
    assert drained.delivered == 3
    assert list(drained.handed) == [partners[2].pk] and drained.handed[partners[2].pk] > 0
    failed = Delivery.objects.get(partner=partners[2])
    assert (failed.status, failed.attempts, failed.last_http_status) == (DeliveryStatus.PENDING, 1, 503)
    assert Breaker(partners[2].pk).state() == OPEN
    assert {Breaker(p.pk).state() for n, p in enumerate(partners) if n != 2} == {"closed"}


def test_a_partner_whose_every_drain_slot_is_taken_is_left_to_those_drains(
    cpo_tenant, peer, settings, drains_elsewhere
):
    settings.PUSH_PARTNER_DRAINS = 2
    partners = partners_owed_one_change(cpo_tenant, peer, 3)
    drains_elsewhere(partners[0], 0, 1)  # two drains of the first partner run elsewhere
    drained = batches.drain_many(partner_ids=[p.pk for p in partners])
    assert (drained.delivered, drained.handed) == (2, {})
    assert sent_to(peer, 0) == []
    assert Delivery.objects.get(partner=partners[0]).status == DeliveryStatus.PENDING
    # The slots this drain took are free again: a drain of one of them takes one.
    assert batches._lock(partners[1].pk) == 0
    batches._unlock(partners[1].pk, 0)


def test_a_drain_goes_round_again_while_any_of_its_partners_has_more(cpo_tenant, peer, settings):
    settings.PUSH_BATCH_SIZE = 1
    partners = partners_owed_one_change(cpo_tenant, peer, 2)
    make_location(cpo_tenant, "LOC2")
    Delivery.objects.filter(object_path__startswith="NL/CPO/LOC2").delete()  # its creation is not what is owed
    change("OUTOFORDER", uid="LOC2-0")
    drained = batches.drain_many(partner_ids=[p.pk for p in partners])
    assert (drained.delivered, drained.rounds, drained.handed) == (4, 2, {})
    for n in range(2):
        assert sorted(json.loads(r["body"])["status"] for r in sent_to(peer, n)) == ["CHARGING", "OUTOFORDER"]


def test_the_task_hands_partners_on_to_drains_of_their_own(cpo_tenant, peer, breakers_cleared, monkeypatch):
    partners = partners_owed_one_change(cpo_tenant, peer, 3)
    breakers_cleared.append(partners[0])
    Breaker(partners[0].pk).failed()
    queued = []
    monkeypatch.setattr(
        "roaming.tasks.drain_task.apply_async", lambda args, countdown: queued.append((*args, countdown > 0))
    )
    assert drain_many_task([p.pk for p in partners]) == 2
    assert queued == [(partners[0].pk, True)]  # when its breaker's cool-down ends


def test_partners_woken_by_one_change_are_drained_together(cpo_tenant, peer, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partners = partners_owed_one_change(cpo_tenant, peer, 3)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert [len(sent_to(peer, n)) for n in range(3)] == [1, 1, 1]
    assert outbox.closed_breakers([p.pk for p in partners]) == {p.pk: True for p in partners}


def test_a_partner_that_answered_is_let_go_while_a_slower_one_of_the_round_is_still_out(
    cpo_tenant, peer, drains_elsewhere
):
    partners = partners_owed_one_change(cpo_tenant, peer, 2)
    seen_free = []

    def slow(query):
        # While this partner's request is out, the other partner's drain slot is free for another drain.
        time.sleep(0.3)  # long enough for the first partner's answer to be back and recorded
        seen_free.append(drains_elsewhere.try_take(partners[0], 0))
        return 200, {}, {"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}

    peer.routes[f"/p1{EVSE_PATH[partners[1].version]}"] = slow
    assert batches.drain_many(partner_ids=[p.pk for p in partners]).delivered == 2
    assert seen_free == [True]
    drains_elsewhere.release(partners[0], 0)
