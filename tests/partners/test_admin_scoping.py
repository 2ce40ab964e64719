"""An operator of tenant A cannot list, open or change tenant B's objects in the admin."""

import pytest
from django.contrib.auth import get_user_model

from partners.models import Operator, Partner, Party
from tests.factories import make_partner, make_tenant


@pytest.fixture
def two_tenants(db):
    a = make_tenant("alpha", "NL:AAA:CPO")
    b = make_tenant("beta", "BE:BBB:CPO")
    partner_a, _ = make_partner(a, name="partner-of-alpha")
    partner_b, _ = make_partner(b, name="partner-of-beta")
    return a, b, partner_a, partner_b


@pytest.fixture
def operator_client(client, two_tenants):
    a = two_tenants[0]
    user = get_user_model().objects.create_user("op-alpha", password="pw-alpha-123", is_staff=True)
    Operator.objects.create(user=user, tenant=a)
    client.force_login(user)
    return client


def test_operator_lists_only_their_partners(operator_client):
    page = operator_client.get("/admin/partners/partner/").content.decode()
    assert "partner-of-alpha" in page
    assert "partner-of-beta" not in page


def test_operator_lists_only_their_tenant(operator_client):
    page = operator_client.get("/admin/partners/tenant/").content.decode()
    assert "alpha" in page and "beta" not in page.replace("alphabet", "")


def test_operator_cannot_open_another_tenants_partner(operator_client, two_tenants):
    partner_b = two_tenants[3]
    response = operator_client.get(f"/admin/partners/partner/{partner_b.pk}/change/")
    assert response.status_code == 302  # the admin redirects away from objects outside the queryset
    assert operator_client.get(f"/admin/partners/tenant/{two_tenants[1].pk}/change/").status_code == 302


def test_operator_cannot_change_another_tenants_partner(operator_client, two_tenants):
    partner_b = two_tenants[3]
    operator_client.post(f"/admin/partners/partner/{partner_b.pk}/change/", {"name": "hijacked"})
    partner_b.refresh_from_db()
    assert partner_b.name == "partner-of-beta"


def test_partner_created_by_operator_belongs_to_their_tenant(operator_client, two_tenants):
    a = two_tenants[0]
    response = operator_client.post(
        "/admin/partners/partner/add/",
        {
            "name": "new-partner",
            "versions_url": "",
            "pinned_version": "",
            "send_token_form": "AUTO",
            "routing_headers": "AUTO",
            "initial_sync": "BOTH",
            "parties-TOTAL_FORMS": "0",
            "parties-INITIAL_FORMS": "0",
            "endpoints-TOTAL_FORMS": "0",
            "endpoints-INITIAL_FORMS": "0",
            "access_tokens-TOTAL_FORMS": "0",
            "access_tokens-INITIAL_FORMS": "0",
            "handshakes-TOTAL_FORMS": "0",
            "handshakes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Partner.objects.get(name="new-partner")
    assert created.tenant == a
    assert str(created.bound_party) == "NL*AAA CPO"  # the tenant's only party


def test_operator_sees_only_their_parties(operator_client):
    page = operator_client.get("/admin/partners/party/").content.decode()
    assert "NL*AAA" in page and "BE*BBB" not in page  # (a bare "BBB" may occur in a random CSRF token)


def test_bound_party_choices_are_the_operators_own(operator_client):
    page = operator_client.get("/admin/partners/partner/add/").content.decode()
    assert "NL*AAA CPO" in page
    assert "BE*BBB CPO" not in page


def test_superuser_sees_every_tenant(client, two_tenants):
    admin = get_user_model().objects.create_superuser("root", "r@example.com", "pw")
    client.force_login(admin)
    page = client.get("/admin/partners/partner/").content.decode()
    assert "partner-of-alpha" in page and "partner-of-beta" in page


def test_staff_without_tenant_sees_nothing(client, two_tenants):
    user = get_user_model().objects.create_user("drifter", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/partners/partner/").status_code == 403
    assert Party.objects.count() == 2
