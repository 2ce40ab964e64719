"""A worker killed in the middle of a push burst loses nothing: another worker finishes every delivery."""

import os
import signal

import pytest

from config.celery import app as celery_app
from partners.models import PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus
from tests.e2e.conftest import start_worker, stop_worker
from tests.factories import make_partner, own_location
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_killed_worker_loses_no_delivery(celery_queue, live_server, cpo_tenant, peer):
    queue = f"{celery_queue}-killed"
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="slow", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer.url}/locations"
    )
    for index in range(20):
        peer.ok(f"/locations/NL/CPO/L{index}", None)
    peer.delay = 0.5  # 20 deliveries at two at a time: the burst lasts some 5 s
    first = start_worker(queue, base_url=live_server.url, beat=False)
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        for index in range(20):
            own_location(cpo_tenant, location_id=f"L{index}")
        wait_for(lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists(), timeout=30, interval=0.05)
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool processes die at once
        first.wait(timeout=10)
        assert Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()  # killed mid-burst
        second = start_worker(queue, base_url=live_server.url, PUSH_SENDING_TIMEOUT_SECONDS="2")
        try:
            wait_for(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), timeout=60)
        finally:
            stop_worker(second)
    finally:
        celery_app.conf.task_default_queue = default_queue
    sent = [r["path"] for r in peer.requests]
    assert {f"/locations/NL/CPO/L{i}" for i in range(20)} <= set(sent)  # every location arrived
    assert len(sent) - len(set(sent)) <= 2  # only what was in flight when the worker died went twice
