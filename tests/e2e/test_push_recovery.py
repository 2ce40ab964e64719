"""A partner that is down for a while gets everything it missed once it is back, newest state last."""

import pytest

from partners.models import PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus, Evse, Location
from roaming.services import locations
from tests.factories import connect_tenants, make_partner, make_tenant, own_location
from tests.waiting import wait_for

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
    evse_path = "/locations/NL/CPO/LOC1/3256"
    for status in ("CHARGING", "BLOCKED", "OUTOFORDER"):
        tried = len([r for r in peer.requests if r["path"] == evse_path])
        locations.set_evse_status(evse=evse, status=status)
        # The worker's attempts interleave with the changes: each change is followed by an attempt.
        wait_for(lambda n=tried: len([r for r in peer.requests if r["path"] == evse_path]) > n, timeout=30)
    wait_for(lambda: Delivery.objects.filter(attempts__gte=2).exists(), timeout=30)  # retried while down

    peer.ok("/locations/NL/CPO/LOC1", None)
    peer.ok("/locations/NL/CPO/LOC1/3256", None)
    unfinished = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    wait_for(lambda: not Delivery.objects.filter(status__in=unfinished).exists(), timeout=45)

    assert Evse.objects.get(pk=evse.pk).status == "OUTOFORDER"
    answered = [r for r in peer.requests if r["path"] == evse_path and r["method"] in ("PUT", "PATCH")]
    assert b'"OUTOFORDER"' in answered[-1]["body"]
    # Each object was delivered once it could be; changes made while an attempt was in flight were handed
    # over to the next delivery of the object, none failed, and all three status changes are accounted for.
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED).exists()
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
    assert sorted(delivered.values_list("object_path", flat=True)) == ["NL/CPO/LOC1", "NL/CPO/LOC1/3256"]
    assert delivered.get(object_path="NL/CPO/LOC1/3256").changes == 3


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1"])
def test_an_evse_patch_to_a_partner_that_lost_the_location_brings_the_whole_location_back(
    celery_worker, live_server, settings, version
):
    """Our own receiver answers the PATCH of an EVSE whose location it lacks as unknown (HTTP 404): the sender
    GETs it, then PUTs the whole location, and the delivery ends DELIVERED (transport_and_format, PATCH)."""
    settings.OCPI_BASE_URL = live_server.url
    cpo, emsp = make_tenant("cpo", "NL:CPO:CPO"), make_tenant("emsp", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, version)
    location = own_location(cpo)
    wait_for(lambda: Location.objects.filter(tenant=emsp, location_id="LOC1").exists(), timeout=30)
    Location.objects.filter(tenant=emsp).delete()  # the eMSP lost it (or never got it)

    locations.set_evse_status(evse=location.evses.get(uid="3256"), status="CHARGING")

    wait_for(lambda: Evse.objects.filter(location__tenant=emsp, uid="3256", status="CHARGING").exists(), timeout=30)
    unfinished = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    wait_for(lambda: not Delivery.objects.filter(tenant=cpo, status__in=unfinished).exists(), timeout=30)
    patch = Delivery.objects.get(tenant=cpo, method="PATCH")
    assert (patch.status, patch.last_status_code) == (DeliveryStatus.DELIVERED, 1000)
    assert Evse.objects.filter(location__tenant=emsp).count() == 2
