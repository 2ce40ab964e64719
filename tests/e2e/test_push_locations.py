"""A CPO's location changes reach a 2.1.1 and a 2.2.1 partner, each in its own format, through a real worker."""

import copy

import pytest

from roaming.models import Delivery, DeliveryStatus, Evse, Location
from roaming.ocpi.dialects import get_dialect
from roaming.services import locations
from tests.factories import connect_tenants, make_tenant
from tests.spec_examples import example_221
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_change_reaches_each_partner_in_its_version_and_the_newest_state_wins(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    new = make_tenant("emsp-new", "DE:NEW:EMSP")
    old = make_tenant("emsp-old", "DE:OLD:EMSP")
    connect_tenants(cpo, new, "2.2.1")
    connect_tenants(cpo, old, "2.1.1")

    wire = copy.deepcopy(example_221("location_example.json"))
    wire.update(country_code="NL", party_id="CPO")
    data = get_dialect("2.2.1").module("locations").from_wire(wire)
    locations.put_location(tenant=cpo, partner=None, country_code="NL", party_id="CPO", location_id="LOC1", data=data)

    for tenant in (new, old):
        wait_for(lambda t=tenant: Location.objects.filter(tenant=t, location_id="LOC1").exists(), timeout=30)
    received_new = Location.objects.get(tenant=new)
    received_old = Location.objects.get(tenant=old)
    assert received_new.parking_type == received_old.parking_type == "ON_STREET"
    assert received_new.time_zone == "Europe/Brussels"
    assert Evse.objects.filter(location=received_old).count() == 2

    evse = Evse.objects.get(location__tenant=cpo, uid="3256")
    for status in ("CHARGING", "AVAILABLE", "BLOCKED", "CHARGING", "OUTOFORDER"):
        locations.set_evse_status(evse=evse, status=status)

    for tenant in (new, old):
        wait_for(lambda t=tenant: Evse.objects.get(location__tenant=t, uid="3256").status == "OUTOFORDER", timeout=30)
    wait_for(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), timeout=30)
    # Five changes folded into few requests, never more than one per change.
    assert Delivery.objects.filter(method="PATCH").count() <= 2 * 5
    assert sum(Delivery.objects.filter(method="PATCH").values_list("changes", flat=True)) == 2 * 5
