"""The operator's front page shows partner health and the delivery chart, with demo data, in a real browser."""

import pytest
from django.utils import timezone

from ops.demo import seed_demo
from partners.models import Partner, PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_with_demo_data(live_server, settings, page, output_dir):
    settings.OCPI_BASE_URL = live_server.url
    seeded = seed_demo()
    cpo = seeded[0].tenant
    partner = Partner.objects.create(
        tenant=cpo, name="Demo Mobility", version="2.2.1", status="REGISTERED", last_contact_at=timezone.now()
    )
    PartnerEndpoint.objects.create(
        tenant=cpo, partner=partner, identifier="locations", role="RECEIVER", url="https://emsp.example.com/locations"
    )
    for index in range(12):
        status = DeliveryStatus.FAILED if index % 4 == 0 else DeliveryStatus.DELIVERED
        Delivery.objects.create(
            tenant=cpo,
            partner=partner,
            module="locations",
            object_path=f"NL/DCP/DCP{index:04d}",
            method="PUT",
            status=status,
            next_attempt_at=timezone.now(),
            delivered_at=timezone.now() if status == DeliveryStatus.DELIVERED else None,
        )

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "cpo-operator")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    dashboard = page.locator("#roaming-dashboard")
    assert dashboard.is_visible()
    assert "Demo Mobility" in dashboard.inner_text()
    assert "9 delivered, 3 failed" in dashboard.inner_text()
    assert page.locator("#roaming-dashboard svg rect").count() == 48
    page.screenshot(path=str(output_dir / "dashboard.png"), full_page=True)
