"""Scale-out: two worker processes on one queue deliver a burst to several partners, each delivery exactly once.

What makes more workers (and more machines) safe is in the database, not in a process: claims lock their rows
(SKIP LOCKED), a partner's drains take advisory-lock slots, and an object's later state is never sent beside an
earlier one in flight. This runs two real `celery worker` processes against one queue and counts what arrived.
"""

from collections import Counter

import pytest
from django.db.models import Sum

from config.celery import app as celery_app
from partners.models import PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus, Evse
from roaming.services import locations
from tests.e2e.conftest import start_worker, stop_worker
from tests.factories import make_partner, own_location
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARTNERS, LOCATIONS = 3, 6
STATUSES = ["CHARGING", "AVAILABLE", "BLOCKED"]


def test_two_workers_on_one_queue_deliver_every_change_once(celery_queue, live_server, cpo_tenant, peer):
    queue = f"{celery_queue}-pair"
    for n in range(PARTNERS):
        partner, _ = make_partner(cpo_tenant, f"DE:E0{n}:EMSP", name=f"emsp-{n}", token_to_them="t")
        PartnerEndpoint.objects.create(
            tenant=cpo_tenant, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer.url}/p{n}"
        )
        for index in range(LOCATIONS):
            peer.ok(f"/p{n}/NL/CPO/L{index}", None)
            peer.ok(f"/p{n}/NL/CPO/L{index}/3256", None)
    peer.delay = 0.02  # requests overlap between the two workers
    workers = [start_worker(queue, base_url=live_server.url, beat=False) for _ in range(2)]
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        for index in range(LOCATIONS):
            own_location(cpo_tenant, location_id=f"L{index}")
        evses = list(Evse.objects.filter(location__tenant=cpo_tenant, uid="3256").select_related("location", "tenant"))
        for status in STATUSES:
            for evse in evses:
                locations.set_evse_status(evse=evse, status=status)
        unfinished = Delivery.objects.exclude(status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.SUPERSEDED])
        wait_for(lambda: not unfinished.exists(), timeout=60)
    finally:
        celery_app.conf.task_default_queue = default_queue
        for worker in workers:
            stop_worker(worker)

    deliveries = Delivery.objects.filter(tenant=cpo_tenant)
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    # Every change owed reached each partner, carried by exactly one delivered request.
    owed = PARTNERS * LOCATIONS * (1 + len(STATUSES))
    assert deliveries.aggregate(n=Sum("changes"))["n"] == owed
    assert len(peer.requests) == deliveries.count()
    # Each partner ends with our last state of every EVSE: the last request of each EVSE path carried it.
    last = {}
    for request in peer.requests:
        if request["path"].endswith("/3256"):
            last[request["path"]] = request["body"]
    assert len(last) <= PARTNERS * LOCATIONS
    assert all(b'"BLOCKED"' in body for body in last.values())
    # No partner got a request twice: each one's requests are its deliveries.
    assert Counter(r["path"].split("/")[1] for r in peer.requests) == {
        f"p{n}": deliveries.filter(partner__name=f"emsp-{n}").count() for n in range(PARTNERS)
    }
