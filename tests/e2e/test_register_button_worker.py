"""The admin's Register button hands the handshake to a real Celery worker, which completes it over HTTP."""

import pytest

from partners.models import Handshake, Partner, PartnerStatus
from partners.services import issue_registration_token
from tests.factories import make_operator, make_tenant
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_register_button_completes_on_the_worker(celery_worker, live_server, settings, client):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    _, token_a = issue_registration_token(tenant=emsp, partner_name="charge-co")
    user = make_operator(cpo, "cpo-op")
    partner = Partner.objects.create(tenant=cpo, name="drive-co", versions_url=emsp.versions_url, token_to_them=token_a)
    client.force_login(user)

    client.post(f"/admin/partners/partner/{partner.pk}/register/")

    done = wait_for(lambda: Handshake.objects.filter(partner=partner, finished__isnull=False).first(), timeout=30)
    assert done.succeeded, done.error
    partner.refresh_from_db()
    assert (partner.status, partner.version) == (PartnerStatus.REGISTERED, "2.3.0")
    assert Partner.objects.get(tenant=emsp, name="charge-co").status == PartnerStatus.REGISTERED
