"""Onboarding from the partner page: token A shown once, register, test connection, unregister."""

import re

import pytest

from partners.models import Partner, PartnerStatus
from tests.factories import auth, make_partner, make_tenant
from tests.peer import serve_cpo_to_register_with


def test_generated_token_is_shown_once_with_our_versions_url_and_works(emsp_operator, emsp_tenant, settings):
    settings.OCPI_BASE_URL = "https://roam.example.com"
    partner = Partner.objects.create(tenant=emsp_tenant, name="newcomer")
    page = emsp_operator.post(f"/admin/partners/partner/{partner.pk}/generate-token/").content.decode()
    token = re.search(r'id="registration-token">([^<]+)<', page).group(1)
    assert "https://roam.example.com/ocpi/emsp/versions" in page
    assert emsp_operator.get("/ocpi/emsp/versions", **auth(token)).status_code == 200
    assert token not in emsp_operator.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()


def test_actions_need_post(emsp_operator, emsp_tenant):
    partner = Partner.objects.create(tenant=emsp_tenant, name="newcomer")
    assert emsp_operator.get(f"/admin/partners/partner/{partner.pk}/generate-token/").status_code == 403


def test_actions_on_another_tenants_partner_are_refused(emsp_operator):
    other, _ = make_partner(make_tenant("other", "FR:OTH:CPO"), name="not-yours")
    assert emsp_operator.post(f"/admin/partners/partner/{other.pk}/generate-token/").status_code == 403
    assert emsp_operator.post(f"/admin/partners/partner/{other.pk}/unregister/").status_code == 403
    other.refresh_from_db()
    assert other.status == PartnerStatus.REGISTERED


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_register_button_runs_the_handshake_and_their_token_is_never_shown(
    emsp_operator, emsp_tenant, peer, eager, version
):
    serve_cpo_to_register_with(peer, version)
    response = emsp_operator.post(
        "/admin/partners/partner/add/",
        {
            "name": "peer-cpo",
            "versions_url": f"{peer.url}/versions",
            "their_token": "their-token-a",
            "send_token_form": "AUTO",
            "routing_headers": "AUTO",
            "initial_sync": "BOTH",
            "pinned_version": "",
            **{
                f"{p}-{k}": "0"
                for p in ("parties", "endpoints", "access_tokens", "handshakes")
                for k in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
    )
    assert response.status_code == 302
    partner = Partner.objects.get(name="peer-cpo")
    assert partner.token_to_them == "their-token-a"
    emsp_operator.post(f"/admin/partners/partner/{partner.pk}/register/")
    partner.refresh_from_db()
    assert (partner.status, partner.version, partner.token_to_them) == (
        PartnerStatus.REGISTERED,
        version,
        "their-token-c",
    )
    page = emsp_operator.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert "their-token-c" not in page and "their-token-a" not in page
    assert "POST our credentials" in page and "succeeded" in page
    assert peer.requests[-1]["headers"]["Authorization"] == "Token dGhlaXItdG9rZW4tYQ=="


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_test_connection_reports_what_came_back(emsp_operator, emsp_tenant, peer, version):
    serve_cpo_to_register_with(peer, version)
    partner, _ = make_partner(emsp_tenant, name="peer", versions_url=f"{peer.url}/versions", token_to_them="t")
    response = emsp_operator.post(f"/admin/partners/partner/{partner.pk}/test-connection/", follow=True)
    assert f"{version} at {peer.url}/{version}" in response.content.decode()


def test_test_connection_failure_is_shown(emsp_operator, emsp_tenant):
    partner, _ = make_partner(emsp_tenant, name="gone", versions_url="http://127.0.0.1:9/versions", token_to_them="t")
    response = emsp_operator.post(f"/admin/partners/partner/{partner.pk}/test-connection/", follow=True)
    assert "Could not reach them" in response.content.decode()


def test_unregister_button_stops_the_partner(emsp_operator, emsp_tenant, peer):
    partner, token = make_partner(emsp_tenant, name="leaving", token_to_them="t")
    emsp_operator.post(f"/admin/partners/partner/{partner.pk}/unregister/")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.UNREGISTERED
    assert emsp_operator.get("/ocpi/emsp/versions", **auth(token)).status_code == 401
