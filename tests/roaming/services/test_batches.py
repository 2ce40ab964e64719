"""Batched delivery: a partner's due deliveries claimed, built and finished a batch at a time, sent over a few
connections at once, in order per object, with every guarantee of the one-by-one path."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from roaming.models import Delivery, DeliveryStatus, Evse, InitialSync
from roaming.ocpi.dialects import get_dialect
from roaming.services import batches, initialsync, locations, outbox
from tests.factories import connect, make_location


@pytest.fixture(autouse=True)
def small_batches(settings):
    settings.PUSH_BATCH_SIZE = 10
    settings.PUSH_PARTNER_CONCURRENCY = 3


def network(tenant, peer, count, **connect_fields):
    for n in range(count):
        make_location(tenant, f"LOC{n:02d}")
        peer.ok(f"/locations/NL/CPO/LOC{n:02d}", None)
    partner = connect(tenant, peer, receivers=("locations",), **connect_fields)
    initialsync.start(partner=partner, reason="test")
    return partner


def test_a_drain_sends_every_due_delivery_in_batches_of_a_fixed_number_of_queries(
    cpo_tenant, peer, django_assert_max_num_queries
):
    partner = network(cpo_tenant, peer, 30)
    # Per batch whatever its size, and a few for the drain; plus at most one statement per object sent, since
    # each object is recorded DELIVERED once the partner took it (a worker dying mid-batch resends only what
    # was on the wire).
    with django_assert_max_num_queries(3 * 17 + 6 + 30):
        drained = batches.drain(partner_id=partner.pk)
    assert (drained.delivered, drained.not_delivered, drained.batches, drained.again_in) == (30, 0, 3, None)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert sorted(r["path"] for r in peer.requests) == [f"/locations/NL/CPO/LOC{n:02d}" for n in range(30)]
    assert {r["method"] for r in peer.requests} == {"PUT"}
    # The body is the location's whole wire form in the partner's version, as the one-by-one path builds it.
    sent = json.loads(next(r["body"] for r in peer.requests if r["path"].endswith("/LOC07")))
    one = Delivery.objects.get(object_path="NL/CPO/LOC07")
    assert sent == json.loads(json.dumps(locations.build_push(one, get_dialect("2.2.1")).body))
    assert Delivery.objects.get(object_path="NL/CPO/LOC07").last_http_status == 200
    partner.refresh_from_db()
    assert partner.last_contact_at is not None


def test_what_is_below_one_location_goes_after_it_on_one_connection(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    peer.ok("/locations/NL/CPO/LOC1", None)
    peer.ok("/locations/NL/CPO/LOC1/LOC1-0", None)
    with transaction.atomic():  # a live PUT (not an initial sync's), then a status change, both pending
        outbox.record_change(tenant=cpo_tenant, module="locations", object_path="NL/CPO/LOC1", method="PUT")
    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-0"), status="CHARGING")
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2

    assert batches.drain(partner_id=partner.pk).delivered == 2
    assert [(r["method"], r["path"]) for r in peer.requests] == [
        ("PUT", "/locations/NL/CPO/LOC1"),
        ("PATCH", "/locations/NL/CPO/LOC1/LOC1-0"),
    ]


def test_nothing_is_claimed_beside_a_send_in_flight_of_its_object_or_one_above_or_below(cpo_tenant, peer):
    partner = network(cpo_tenant, peer, 3)
    Delivery.objects.filter(object_path="NL/CPO/LOC00").update(status=DeliveryStatus.SENDING)
    Delivery.objects.create(  # a change below a location whose PUT is being sent
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="NL/CPO/LOC00/LOC00-1",
        method="PATCH",
        fields=["status"],
        next_attempt_at=timezone.now(),
    )
    with transaction.atomic():
        locations.set_evse_status(evse=Evse.objects.get(uid="LOC01-0"), status="CHARGING")  # folds into LOC01's PUT
    drained = batches.drain(partner_id=partner.pk)
    assert drained.delivered == 2
    assert drained.again_in == 1.0  # the EVSE's change waits for its location's send, elsewhere
    assert Delivery.objects.get(object_path="NL/CPO/LOC00/LOC00-1").status == DeliveryStatus.PENDING
    assert sorted(r["path"] for r in peer.requests) == ["/locations/NL/CPO/LOC01", "/locations/NL/CPO/LOC02"]


def test_a_change_below_a_pending_initial_put_waits_for_it(cpo_tenant, peer):
    partner = network(cpo_tenant, peer, 1)
    below = Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="NL/CPO/LOC00/LOC00-1",
        method="PATCH",
        fields=["status"],
        next_attempt_at=timezone.now() - timedelta(seconds=5),  # older, so first in line
    )
    Delivery.objects.filter(object_path="NL/CPO/LOC00").update(next_attempt_at=timezone.now() + timedelta(hours=1))
    assert batches.drain(partner_id=partner.pk).delivered == 0
    below.refresh_from_db()
    assert below.status == DeliveryStatus.PENDING and peer.requests == []


def test_an_unreachable_partner_stops_the_batch_and_what_was_not_tried_goes_back_untouched(cpo_tenant, peer):
    partner = network(cpo_tenant, peer, 25)  # three batches: the second is claimed while the first is sent
    for n in range(25):
        peer.routes[f"/locations/NL/CPO/LOC{n:02d}"] = (503, {}, "down")
    peer.delay = 0.05
    before = timezone.now()
    drained = batches.drain(partner_id=partner.pk)
    assert drained.delivered == 0 and drained.again_in is None
    assert len(peer.requests) <= 3  # one per connection at most, then the batch stopped
    deliveries = list(Delivery.objects.all())
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    tried = [d for d in deliveries if d.attempts == 1]
    untried = [d for d in deliveries if d.attempts == 0]
    assert len(tried) == len(peer.requests) and len(untried) == 25 - len(tried)
    # Claimed and put back: not before the retry of what failed; or never claimed, as owed.
    last_retry = max(d.next_attempt_at for d in tried)
    assert all(d.next_attempt_at >= last_retry or d.next_attempt_at <= before for d in untried)
    assert any(d.next_attempt_at >= last_retry for d in untried)
    assert all(d.last_http_status == 503 for d in tried)


def test_an_object_the_partner_refuses_fails_alone(cpo_tenant, peer):
    partner = network(cpo_tenant, peer, 5)
    peer.fail("/locations/NL/CPO/LOC03", 2001, "city: too long")
    drained = batches.drain(partner_id=partner.pk)
    assert (drained.delivered, drained.not_delivered) == (4, 1)
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert (failed.object_path, failed.last_status_code) == ("NL/CPO/LOC03", 2001)
    assert "city: too long" in failed.last_error


def test_a_partner_that_is_not_registered_any_more_fails_its_deliveries_without_a_request(cpo_tenant, peer):
    partner = network(cpo_tenant, peer, 2)
    partner.status = "SUSPENDED"
    partner.save()
    batches.drain(partner_id=partner.pk)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert "nothing can send it: partner suspended" in Delivery.objects.first().last_error
    assert peer.requests == []


def test_no_more_drains_run_per_partner_than_it_may_have(cpo_tenant, peer, settings, drains_elsewhere):
    settings.PUSH_PARTNER_DRAINS = 2
    partner = network(cpo_tenant, peer, 2)
    drains_elsewhere(partner, 0, 1)  # two drains of the partner are running elsewhere
    assert batches.drain(partner_id=partner.pk).batches == 0
    assert peer.requests == []
    drains_elsewhere.release(partner, 1)
    assert batches.drain(partner_id=partner.pk).delivered == 2  # a slot is free


def test_the_portable_claim_takes_what_the_statement_takes(cpo_tenant, peer):
    partner = network(cpo_tenant, peer, 4)
    Delivery.objects.filter(object_path="NL/CPO/LOC01").update(status=DeliveryStatus.SENDING)
    Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="NL/CPO/LOC01/LOC01-0",
        method="PATCH",
        next_attempt_at=timezone.now(),
    )
    now = timezone.now()
    portable = [d.object_path for d in batches._sendable_with_orm(partner.pk, 10, now)]
    claimed = [d.object_path for d in batches._claim(partner.pk, 10)]
    assert portable == claimed == ["NL/CPO/LOC00", "NL/CPO/LOC02", "NL/CPO/LOC03"]


def test_the_drain_task_settles_the_initial_sync(cpo_tenant, peer, settings, eager):
    from roaming.tasks import drain_task

    partner = network(cpo_tenant, peer, 3)
    assert drain_task.delay(partner.pk).get() == 3
    run = InitialSync.objects.get(partner=partner)
    assert (run.sent, run.total, run.finished is not None) == (3, 3, True)


def test_the_sweep_queues_one_drain_per_partner_with_due_deliveries(cpo_tenant, peer, monkeypatch):
    first = network(cpo_tenant, peer, 3)
    second = connect(cpo_tenant, peer, receivers=("locations",), name="second")
    initialsync.start(partner=second, reason="test")
    queued = []
    monkeypatch.setattr(
        "roaming.services.outbox.sweeping.enqueue_drains", lambda ids, drains: queued.extend(ids * drains)
    )
    assert outbox.sweep() == 6
    assert sorted(queued) == sorted([first.pk, second.pk])  # three each: one batch, one drain
