"""A partner that is down for a while gets everything it missed once it is back, newest state last."""

import time

import pytest

from partners.models import PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus, Evse
from roaming.services import locations
from tests.e2e.conftest import wait_for
from tests.factories import make_partner
from tests.roaming.api.test_locations_api import own_location

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_partner_down_then_up_receives_every_object_once_with_the_newest_state(celery_worker, cpo_tenant, peer):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="flaky", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer.url}/locations"
    )
    peer.routes["/locations/NL/CPO/LOC1"] = (503, {}, "down")
    peer.routes["/locations/NL/CPO/LOC1/3256"] = (503, {}, "down")

    location = own_location(cpo_tenant)
    evse = location.evses.get(uid="3256")
    for status in ("CHARGING", "BLOCKED", "OUTOFORDER"):
        locations.set_evse_status(evse=evse, status=status)
        time.sleep(0.2)  # let the worker's attempts interleave with the changes
    wait_for(lambda: Delivery.objects.filter(attempts__gte=2).exists(), timeout=30)  # retried while down

    peer.ok("/locations/NL/CPO/LOC1", None)
    peer.ok("/locations/NL/CPO/LOC1/3256", None)
    unfinished = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    wait_for(lambda: not Delivery.objects.filter(status__in=unfinished).exists(), timeout=45)

    assert Evse.objects.get(pk=evse.pk).status == "OUTOFORDER"
    evse_path = "/locations/NL/CPO/LOC1/3256"
    answered = [r for r in peer.requests if r["path"] == evse_path and r["method"] in ("PUT", "PATCH")]
    assert b'"OUTOFORDER"' in answered[-1]["body"]
    # Each object was delivered once it could be; changes made while an attempt was in flight were handed
    # over to the next delivery of the object, none failed, and all three status changes are accounted for.
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED).exists()
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
    assert sorted(delivered.values_list("object_path", flat=True)) == ["NL/CPO/LOC1", "NL/CPO/LOC1/3256"]
    assert delivered.get(object_path="NL/CPO/LOC1/3256").changes == 3
