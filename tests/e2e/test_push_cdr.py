"""A CPO's CDR reaches the driver's eMSP on 2.1.1 exactly once, through a real worker."""

import pytest

from roaming.models import Cdr, Delivery, DeliveryStatus
from roaming.services import outbox
from tests.bodies import CDR
from tests.factories import connect_tenants, make_tenant, own_cdr
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_cdr_is_posted_once_to_the_drivers_emsp(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp-old", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, "2.1.1")
    own_cdr(cpo, "C1", cdr_token={**CDR["cdr_token"], "country_code": "DE", "party_id": "EMS"})
    received = wait_for(lambda: Cdr.objects.filter(tenant=emsp).first(), timeout=30)
    assert (received.cdr_id, received.country_code, received.party_id) == ("C1", "NL", "CPO")
    assert received.total_cost == {"excl_vat": CDR["total_cost"]["excl_vat"]}  # 2.1.1 carries no incl. VAT
    delivery = wait_for(lambda: Delivery.objects.filter(tenant=cpo, status=DeliveryStatus.DELIVERED).first())
    assert (delivery.method, delivery.attempts) == ("POST", 1)
    outbox.sweep()
    outbox.deliver(delivery_id=delivery.pk)
    assert Cdr.objects.filter(tenant=emsp).count() == 1
