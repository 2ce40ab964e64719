"""A partner that is down for a while gets everything it missed once it is back, newest state last."""

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
    wait_for(lambda: Delivery.objects.filter(attempts__gte=2).exists(), timeout=30)  # retried while down

    peer.ok("/locations/NL/CPO/LOC1", None)
    peer.ok("/locations/NL/CPO/LOC1/3256", None)
    wait_for(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), timeout=45)

    answered = [r for r in peer.requests if r["path"] in ("/locations/NL/CPO/LOC1", "/locations/NL/CPO/LOC1/3256")]
    last_patch = [r for r in answered if r["method"] == "PATCH"][-1]
    assert b'"OUTOFORDER"' in last_patch["body"]
    assert Evse.objects.get(pk=evse.pk).status == "OUTOFORDER"
    # One delivery per object and partner, each sent until it succeeded; none sent after it did.
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
    assert sorted(delivered.values_list("method", flat=True)) == ["PATCH", "PUT"]
    assert delivered.get(method="PATCH").changes == 3
