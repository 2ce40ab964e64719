import pytest

from partners.models import PartnerEndpoint
from roaming.models import Cdr, Delivery, Evse
from tests.factories import log_in_operator, make_session, own_location


def test_operator_sets_an_evse_status_and_partners_are_owed_a_patch(client, cpo_tenant, emsp_partner):
    partner, _ = emsp_partner
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        identifier="locations",
        role="RECEIVER",
        url="https://emsp.example.com/locations",
    )
    location = own_location(cpo_tenant)
    Delivery.objects.all().delete()
    evse = location.evses.get(uid="3256")
    log_in_operator(client, cpo_tenant)
    response = client.post(f"/admin/roaming/evse/{evse.pk}/change/", {"status": "OUTOFORDER"})
    assert response.status_code == 302
    assert Evse.objects.get(pk=evse.pk).status == "OUTOFORDER"
    assert list(Delivery.objects.values_list("method", "object_path", "fields")) == [
        ("PATCH", "NL/CPO/LOC1/3256", ["status"])
    ]


@pytest.mark.usefixtures("connector", "tariffs")
def test_an_operator_sees_a_sessions_cost_and_builds_its_cdr(client, cpo_tenant):
    session = make_session(cpo_tenant)
    log_in_operator(client, cpo_tenant)

    page = client.get(f"/admin/roaming/session/{session.pk}/change/").content.decode()
    assert "Tariff T14 (EUR)" in page
    assert "<th>9.0000</th><th>10.3000</th>" in page  # the spec's complex example, Monday

    response = client.post(
        "/admin/roaming/session/", {"action": "build_cdrs", "_selected_action": [session.pk]}, follow=True
    )
    assert "1 CDR(s) built." in response.content.decode()
    total = Cdr.objects.get().total_cost
    assert (total["excl_vat"], total["incl_vat"]) == (9.0, 10.3)


def test_a_hub_partners_page_lists_the_parties_reachable_through_it_for_its_tenant_only(client, cpo_tenant):
    from partners.models import Partner
    from roaming.services import hubclientinfo
    from tests.factories import make_partner, make_tenant

    hub, _ = make_partner(cpo_tenant, "NL:HUB:HUB", name="hub")
    for party_id, status in (("EMA", "CONNECTED"), ("EMB", "OFFLINE")):
        data = {"country_code": "DE", "party_id": party_id, "role": "EMSP", "status": status}
        data["last_updated"] = "2026-11-29T08:00:00Z"
        hubclientinfo.put_client_info(tenant=cpo_tenant, partner=hub, country_code="DE", party_id=party_id, data=data)
    other_tenant = make_tenant("other", "FR:OTH:CPO")
    other_hub, _ = make_partner(other_tenant, "FR:HUB:HUB", name="other-hub")
    data = {"country_code": "FR", "party_id": "SEC", "role": "EMSP", "status": "CONNECTED"}
    data["last_updated"] = "2026-11-29T08:00:00Z"
    hubclientinfo.put_client_info(tenant=other_tenant, partner=other_hub, country_code="FR", party_id="SEC", data=data)
    log_in_operator(client, cpo_tenant)

    page = client.get(f"/admin/partners/partner/{hub.pk}/change/").content.decode()
    assert "parties reachable through this hub" in page.lower()
    assert "EMA" in page and "OFFLINE" in page
    direct = Partner.objects.create(tenant=cpo_tenant, name="direct")
    assert (
        "reachable through this hub" not in client.get(f"/admin/partners/partner/{direct.pk}/change/").content.decode()
    )
    listing = client.get("/admin/roaming/clientinfo/").content.decode()
    assert "DE*EMA" in listing and "DE*EMB" in listing and "FR*SEC" not in listing


def test_an_operator_suspends_and_resumes_a_partner(client, cpo_tenant):
    from partners.models import Partner
    from tests.factories import make_partner

    partner, _ = make_partner(cpo_tenant, name="paused")
    log_in_operator(client, cpo_tenant)
    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert 'id="suspend"' in page and 'id="resume"' not in page
    assert client.post(f"/admin/partners/partner/{partner.pk}/suspend/").status_code == 302
    assert Partner.objects.get(pk=partner.pk).status == "SUSPENDED"
    assert 'id="resume"' in client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    client.post(f"/admin/partners/partner/{partner.pk}/resume/")
    assert Partner.objects.get(pk=partner.pk).status == "REGISTERED"
