from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ops.dashboard import deliveries_by_hour, partner_health
from partners.models import Partner, PartnerStatus
from roaming.models import Delivery, DeliveryStatus, InitialSync, SyncState
from tests.factories import log_in_operator, make_partner, make_tenant


def delivery(tenant, partner, status, path="NL/CPO/1", updated=None, created=None, attempts=0):
    made = Delivery.objects.create(
        tenant=tenant,
        partner=partner,
        module="locations",
        object_path=path,
        method="PUT",
        status=status,
        attempts=attempts,
        last_error="HTTP 404: OCPI 2003: unknown location" if attempts else "",
        next_attempt_at=timezone.now(),
        delivered_at=(updated or timezone.now()) if status == DeliveryStatus.DELIVERED else None,
    )
    changed = {"updated": updated} if updated else {}
    if created:
        changed["created"] = created
    if changed:
        Delivery.objects.filter(pk=made.pk).update(**changed)
    return made


def retrying(tenant, partner, count, *, since=None):
    for index in range(count):
        delivery(tenant, partner, DeliveryStatus.PENDING, path=f"NL/CPO/R{index}", created=since, attempts=3)


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


def test_recent_deliveries_with_a_few_retrying_are_healthy(tenant_with_traffic):
    good = Partner.objects.for_tenant(tenant_with_traffic).get(name="good")
    retrying(tenant_with_traffic, good, 3)

    [row] = [r for r in partner_health(tenant=tenant_with_traffic) if r.partner == good]

    assert (row.pending, row.retrying, row.state, row.problems) == (3, 3, "healthy", [])


def test_failed_deliveries_need_attention(tenant_with_traffic):
    [row] = [r for r in partner_health(tenant=tenant_with_traffic) if r.partner.name == "bad"]
    assert (row.state, row.problems) == ("attention", ["1 failed deliveries"])


def test_a_failed_pull_needs_attention(db):
    tenant = make_tenant()
    partner, _ = make_partner(tenant, name="p")
    SyncState.objects.create(tenant=tenant, partner=partner, module="tokens", last_error="HTTP 500")
    [row] = partner_health(tenant=tenant)
    assert (row.state, row.problems) == ("attention", ["pull tokens: HTTP 500"])


def test_retrying_for_an_hour_with_nothing_delivered_needs_attention(db):
    tenant = make_tenant()
    partner, _ = make_partner(tenant, name="p")
    hours_ago = timezone.now() - timedelta(hours=2)
    delivery(tenant, partner, DeliveryStatus.DELIVERED, path="old", updated=hours_ago - timedelta(minutes=5))
    retrying(tenant, partner, 2, since=hours_ago)

    [row] = partner_health(tenant=tenant)

    assert (row.state, row.problems) == (
        "attention",
        ["deliveries retrying for over 60 minutes, none delivered meanwhile"],
    )


def test_one_object_retrying_for_an_hour_while_others_are_delivered_is_healthy(db):
    tenant = make_tenant()
    partner, _ = make_partner(tenant, name="p")
    retrying(tenant, partner, 1, since=timezone.now() - timedelta(hours=2))
    delivery(tenant, partner, DeliveryStatus.DELIVERED, path="fresh")
    [row] = partner_health(tenant=tenant)
    assert (row.retrying, row.state) == (1, "healthy")


@pytest.mark.parametrize("status", [PartnerStatus.PENDING, PartnerStatus.SUSPENDED, PartnerStatus.UNREGISTERED])
def test_a_partner_not_registered_is_shown_by_its_status_not_as_a_problem(db, status):
    tenant = make_tenant()
    partner, _ = make_partner(tenant, name="p", status=status)
    delivery(tenant, partner, DeliveryStatus.FAILED)
    [row] = partner_health(tenant=tenant)
    assert (row.state, row.problems, row.healthy) == (partner.get_status_display(), [], False)


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
    log_in_operator(client, tenant_with_traffic)
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
    log_in_operator(client, tenant_with_traffic)
    page = client.get("/admin/").content.decode()
    assert 'id="roaming-dashboard"' in page
    assert ">good</a>" in page and ">bad</a>" in page
    assert "someone-elses" not in page
    assert "2 delivered, 1 failed" in page
    assert page.count("● healthy") == 1 and page.count("● attention") == 1
    assert page.count("<rect") == 48
    assert "http://" not in page.split('id="roaming-dashboard"')[1].split("</svg>")[0].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_front_page_shows_retrying_deliveries_and_partners_awaiting_registration(client, db):
    tenant = make_tenant()
    good, _ = make_partner(tenant, name="good")
    delivery(tenant, good, DeliveryStatus.DELIVERED)
    retrying(tenant, good, 2)
    make_partner(tenant, name="newcomer", status=PartnerStatus.PENDING)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))

    page = client.get("/admin/").content.decode()

    assert "<td>2 (2 retrying)</td>" in page
    assert page.count("● healthy") == 1 and "● attention" not in page
    assert '<span class="inactive">○ pending</span>' in page
