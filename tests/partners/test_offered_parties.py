"""Which of the tenant's parties a 2.2.1 connection speaks for: all, those chosen for the partner, or the hub alone."""

import pytest

from partners.models import Party
from partners.services import PartySpec, connection_parties, provision_tenant
from roaming.ocpi.dialects import get_dialect
from tests.factories import auth, log_in_operator, make_partner

V221 = get_dialect("2.2.1")


@pytest.fixture
def tenant(db):
    return provision_tenant(
        slug="both", name="Both", parties=[PartySpec("NL", "CPO", "CPO"), PartySpec("NL", "EMP", "EMSP")]
    )


def roles(tenant, partner):
    return sorted(p.role for p in connection_parties(tenant=tenant, partner=partner, dialect=V221))


def test_by_default_a_connection_speaks_for_every_party(tenant):
    partner, _ = make_partner(tenant, "DE:OTH:CPO")
    assert roles(tenant, partner) == ["CPO", "EMSP"]


def test_an_operator_can_offer_a_partner_only_some_parties(tenant, client):
    partner, token = make_partner(tenant, "DE:OTH:CPO")
    partner.offered_parties.set(Party.objects.filter(tenant=tenant, role="EMSP"))
    assert roles(tenant, partner) == ["EMSP"]
    details = client.get("/ocpi/both/2.2.1", **auth(token)).json()["data"]
    identifiers = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert ("locations", "RECEIVER") in identifiers and ("locations", "SENDER") not in identifiers


def test_a_tenant_with_a_hub_party_reports_only_the_hub(db):
    hub = provision_tenant(
        slug="hubby", name="Hub", parties=[PartySpec("DE", "HUB", "HUB"), PartySpec("DE", "HCP", "CPO")]
    )
    partner, _ = make_partner(hub, "NL:CPO:CPO")
    assert roles(hub, partner) == ["HUB"]


def test_connection_parties_cost_one_query(tenant, django_assert_num_queries):
    partner, _ = make_partner(tenant, "DE:OTH:CPO")
    with django_assert_num_queries(1):
        connection_parties(tenant=tenant, partner=partner, dialect=V221)


def test_an_operator_is_offered_only_their_own_tenants_parties(tenant, client):
    other = provision_tenant(slug="other", name="Other", parties=[PartySpec("FR", "FOR", "CPO")])
    partner, _ = make_partner(tenant, "DE:OTH:CPO", name="p")
    log_in_operator(client, tenant)
    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert "NL*CPO CPO" in page and "NL*EMP EMSP" in page
    assert "FR*FOR" not in page
    foreign = Party.objects.get(tenant=other)
    assert not Party.objects.filter(pk=foreign.pk, tenant=tenant).exists()
