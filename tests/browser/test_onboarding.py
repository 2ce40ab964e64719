"""An operator onboards a partner in the admin, in a real browser, and sees it registered."""

import pytest
from django.contrib.auth import get_user_model

from partners import handshake
from partners.models import Operator, Partner, PartnerStatus
from tests.factories import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_generates_token_a_and_sees_the_partner_registered(live_server, settings, page, output_dir):
    settings.OCPI_BASE_URL = live_server.url
    emsp = make_tenant("emsp", "DE:EMS:EMSP:Drive Co")
    cpo = make_tenant("cpo", "NL:CPO:CPO:Charge Co")
    user = get_user_model().objects.create_user("drive-ops", password="a-long-password-1", is_staff=True)
    Operator.objects.create(user=user, tenant=emsp)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "drive-ops")
    page.fill("#id_password", "a-long-password-1")
    page.click("input[type=submit]")
    assert page.locator("#roaming-dashboard").is_visible()

    page.goto(f"{live_server.url}/admin/partners/partner/add/")
    page.fill("#id_name", "charge-co")
    page.click("input[name=_continue]")
    page.click("#generate-token")
    token_a = page.inner_text("#registration-token").strip()
    versions_url = page.inner_text("#versions-url").strip()
    assert versions_url == f"{live_server.url}/ocpi/emsp/versions"

    # The partner, another platform reachable over HTTP, registers with the token handed over.
    peer = Partner.objects.create(tenant=cpo, name="drive-co", versions_url=versions_url, token_to_them=token_a)
    result = handshake.register_with_partner(partner=peer)
    assert result.succeeded, result.error

    page.goto(f"{live_server.url}/admin/partners/partner/")
    page.click("text=charge-co")
    status = page.locator(".field-status .readonly").inner_text()
    assert status == "registered"
    assert page.locator(".field-version .readonly").inner_text() == "2.3.0"
    assert "NL" in page.inner_text("#parties-group") and "CPO" in page.inner_text("#parties-group")
    assert token_a not in page.content()
    page.screenshot(path=str(output_dir / "registered-partner.png"), full_page=True)
    assert Partner.objects.get(tenant=emsp, name="charge-co").status == PartnerStatus.REGISTERED
