"""The real worker and its embedded beat pick up deliveries that no task was queued for."""

import pytest
from django.utils import timezone

from partners.models import PartnerStatus
from roaming.models import Delivery, DeliveryStatus
from tests.factories import make_partner
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_beat_sweeps_a_forgotten_delivery_and_the_worker_settles_it(celery_worker, cpo_tenant):
    partner, _ = make_partner(cpo_tenant, name="left", status=PartnerStatus.UNREGISTERED)
    delivery = Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="NL/CPO/1",
        method="PUT",
        next_attempt_at=timezone.now(),
    )
    settled = wait_for(lambda: Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).first())
    assert "unregistered" in settled.last_error
    assert settled.attempts == 1
