from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ops.dashboard import deliveries_by_hour, partner_health
from partners.models import Operator, Partner
from roaming.models import Delivery, DeliveryStatus, InitialSync
from tests.factories import make_partner, make_tenant


def delivery(tenant, partner, status, path="NL/CPO/1", updated=None):
    made = Delivery.objects.create(
        tenant=tenant,
        partner=partner,
        module="locations",
        object_path=path,
        method="PUT",
        status=status,
        next_attempt_at=timezone.now(),
        delivered_at=timezone.now() if status == DeliveryStatus.DELIVERED else None,
    )
    if updated:
        Delivery.objects.filter(pk=made.pk).update(updated=updated)
    return made


@pytest.fixture
def tenant_with_traffic(db):
    tenant = make_tenant("alpha", "NL:AAA:CPO")
    good, _ = make_partner(tenant, name="good")
    bad, _ = make_partner(tenant, name="bad")
    delivery(tenant, good, DeliveryStatus.DELIVERED)
    delivery(tenant, good, DeliveryStatus.DELIVERED, path="NL/CPO/2")
    delivery(tenant, bad, DeliveryStatus.FAILED)
    delivery(tenant, bad, DeliveryStatus.PENDING)
    delivery(tenant, bad, DeliveryStatus.DELIVERED, path="old", updated=timezone.now() - timedelta(hours=30))
    return tenant


def test_partner_health_counts_deliveries_per_partner(tenant_with_traffic):
    rows = {r.partner.name: r for r in partner_health(tenant=tenant_with_traffic)}
    assert (rows["good"].pending, rows["good"].failed, rows["good"].delivered_24h, rows["good"].healthy) == (
        0,
        0,
        2,
        True,
    )
    assert (rows["bad"].pending, rows["bad"].failed, rows["bad"].healthy) == (1, 1, False)


def test_partner_health_costs_the_same_queries_for_many_partners(tenant_with_traffic, django_assert_max_num_queries):
    for index in range(20):
        partner, _ = make_partner(tenant_with_traffic, name=f"extra-{index}")
        running_initial_sync(tenant_with_traffic, partner)
    with django_assert_max_num_queries(5):
        assert len(partner_health(tenant=tenant_with_traffic)) == 22


def running_initial_sync(tenant, partner):
    run = InitialSync.objects.create(
        tenant=tenant,
        partner=partner,
        direction="PUSH",
        module="locations",
        created=timezone.now(),
        starts_at=timezone.now(),
        total=2,
    )
    for status, path in ((DeliveryStatus.DELIVERED, "NL/CPO/IS1"), (DeliveryStatus.PENDING, "NL/CPO/IS2")):
        Delivery.objects.filter(pk=delivery(tenant, partner, status, path=path).pk).update(initial_sync=run)
    return run


def test_the_front_page_shows_each_partners_initial_sync_progress(client, tenant_with_traffic):
    good = Partner.objects.get(tenant=tenant_with_traffic, name="good")
    running_initial_sync(tenant_with_traffic, good)
    [row] = [r for r in partner_health(tenant=tenant_with_traffic) if r.partner == good]
    [run] = row.initial_sync
    assert (run.state, run.sent, run.total, run.pending) == ("running", 1, 2, 1)
    user = get_user_model().objects.create_user("op", password="pw", is_staff=True)
    Operator.objects.create(user=user, tenant=tenant_with_traffic)
    client.force_login(user)
    page = client.get("/admin/").content.decode()
    assert "push locations: 1/2 running" in page


def test_hourly_chart_has_24_bars_with_the_last_hour_counted(tenant_with_traffic):
    bars = deliveries_by_hour(tenant=tenant_with_traffic)
    assert len(bars) == 24
    assert (bars[-1].delivered, bars[-1].failed) == (2, 1)
    assert sum(b.delivered for b in bars) == 2  # the 30-hour-old delivery is outside the window


def test_operator_front_page_shows_their_partners_health_and_chart(client, tenant_with_traffic):
    other = make_tenant("beta", "BE:BBB:CPO")
    make_partner(other, name="someone-elses")
    user = get_user_model().objects.create_user("op", password="pw", is_staff=True)
    Operator.objects.create(user=user, tenant=tenant_with_traffic)
    client.force_login(user)
    page = client.get("/admin/").content.decode()
    assert 'id="roaming-dashboard"' in page
    assert ">good</a>" in page and ">bad</a>" in page
    assert "someone-elses" not in page
    assert "2 delivered, 1 failed" in page
    assert page.count("<rect") == 48
    assert "http://" not in page.split('id="roaming-dashboard"')[1].split("</svg>")[0].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
