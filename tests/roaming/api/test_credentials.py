"""The credentials endpoint's answers to a scripted partner on loopback, in both versions."""

import pytest

from partners.models import AccessToken, Partner, PartnerStatus, TokenKind
from partners.services import issue_registration_token
from tests.factories import auth, make_partner
from tests.peer import ROLES_221, credentials_211, credentials_221, post_credentials, serve_partner


@pytest.fixture
def pending(emsp_tenant):
    """A partner of the eMSP tenant holding a fresh token A."""
    return issue_registration_token(tenant=emsp_tenant, partner_name="peer")


@pytest.mark.parametrize("version, make_body", [("2.2.1", credentials_221), ("2.1.1", credentials_211)])
def test_post_registers_and_answers_with_token_c(client, pending, peer, version, make_body):
    partner, token_a = pending
    serve_partner(peer)
    response = post_credentials(client, version, make_body(peer), token_a)
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 1000
    token_c = body["data"]["token"]
    partner.refresh_from_db()
    assert (partner.status, partner.version, partner.token_to_them) == (
        PartnerStatus.REGISTERED,
        version,
        "peer-token-b",
    )
    assert [(p.party_id, p.role) for p in partner.parties.all()] == [("PEE", "CPO")]
    assert client.get("/ocpi/emsp/versions", **auth(token_c)).status_code == 200
    assert client.get("/ocpi/emsp/versions", **auth(token_a)).status_code == 401
    # The call-back to their versions and details carried token B in the version's form.
    sent = peer.requests[-1]["headers"]["Authorization"]
    assert sent == ("Token cGVlci10b2tlbi1i" if version == "2.2.1" else "Token peer-token-b")
    if version == "2.1.1":
        assert set(body["data"]) == {"token", "url", "business_details", "party_id", "country_code"}
        assert (body["data"]["party_id"], body["data"]["country_code"]) == ("EMS", "DE")
    else:
        assert [r["role"] for r in body["data"]["roles"]] == ["EMSP"]


def test_post_when_already_registered_is_405(client, emsp_tenant, peer):
    _, token = make_partner(emsp_tenant, "NL:PEE:CPO", name="done")
    response = post_credentials(client, "2.2.1", credentials_221(peer), token)
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_or_delete_before_registering_is_405(client, pending, peer, method):
    _, token_a = pending
    call = getattr(client, method)
    response = call(
        "/ocpi/emsp/2.2.1/credentials", credentials_221(peer), content_type="application/json", **auth(token_a)
    )
    assert response.status_code == 405


@pytest.mark.parametrize("field", ["token", "url", "roles"])
def test_missing_field_is_2001_naming_it_and_nothing_changes(client, pending, peer, field):
    partner, token_a = pending
    body = credentials_221(peer)
    del body[field]
    response = post_credentials(client, "2.2.1", body, token_a)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith(field)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PENDING and peer.requests == []


def test_credentials_of_2_1_1_sent_to_the_2_2_1_endpoint_are_2001(client, pending, peer):
    _, token_a = pending
    response = post_credentials(client, "2.2.1", credentials_211(peer), token_a)
    assert response.json()["status_code"] == 2001
    assert "roles" in response.json()["status_message"]


def test_credentials_of_2_2_1_sent_to_the_2_1_1_endpoint_are_2001(client, pending, peer):
    _, token_a = pending
    response = post_credentials(client, "2.1.1", credentials_221(peer), token_a)
    assert response.json()["status_code"] == 2001
    assert "business_details" in response.json()["status_message"]


def test_duplicate_roles_are_2001(client, pending, peer):
    _, token_a = pending
    body = credentials_221(peer)
    body["roles"] = ROLES_221 * 2
    assert post_credentials(client, "2.2.1", body, token_a).json()["status_code"] == 2001


def test_token_with_whitespace_is_2001(client, pending, peer):
    _, token_a = pending
    assert (
        post_credentials(client, "2.2.1", credentials_221(peer, token="has space"), token_a).json()["status_code"]
        == 2001
    )


def test_body_that_is_not_json_is_http_400(client, pending):
    _, token_a = pending
    response = client.post(
        "/ocpi/emsp/2.2.1/credentials", "{not json", content_type="application/json", **auth(token_a)
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001


def test_no_mutual_version_is_3002(client, pending, peer):
    partner, token_a = pending
    serve_partner(peer, versions=("2.0",))
    response = post_credentials(client, "2.2.1", credentials_221(peer), token_a)
    assert response.json()["status_code"] == 3002
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PENDING


def test_missing_credentials_endpoint_is_3003(client, pending, peer):
    _, token_a = pending
    serve_partner(peer, with_credentials=False)
    assert post_credentials(client, "2.2.1", credentials_221(peer), token_a).json()["status_code"] == 3003


@pytest.mark.parametrize("version, make_body", [("2.2.1", credentials_221), ("2.1.1", credentials_211)])
def test_no_module_in_common_besides_credentials_is_3003_and_nothing_is_stored(
    client, pending, peer, version, make_body
):
    """status_codes 3003: "the two parties do not have any mutual modules"; a module we do not know is none."""
    partner, token_a = pending
    serve_partner(peer, modules=("parking_places",))
    answer = post_credentials(client, version, make_body(peer), token_a).json()
    assert answer["status_code"] == 3003
    assert "No OCPI" in answer["status_message"] and "module in common" in answer["status_message"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PENDING and not partner.endpoints.exists()


def test_garbage_versions_is_3001(client, pending, peer):
    partner, token_a = pending
    peer.routes["/versions"] = (200, {}, "<html>hello</html>")
    response = post_credentials(client, "2.2.1", credentials_221(peer), token_a)
    assert response.json()["status_code"] == 3001
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PENDING
    assert AccessToken.objects.filter(partner=partner, kind=TokenKind.REGISTRATION, revoked_at__isnull=True).exists()


def test_versions_down_is_3001(client, pending):
    _, token_a = pending
    body = {"token": "b", "url": "http://127.0.0.1:9/versions", "roles": ROLES_221}
    assert post_credentials(client, "2.2.1", body, token_a).json()["status_code"] == 3001


def test_token_a_cannot_open_a_module_endpoint(client, pending):
    _, token_a = pending
    response = client.get("/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/1", **auth(token_a))
    assert response.status_code in (401, 404)


def test_delete_unregisters_and_kills_the_token(client, emsp_tenant):
    partner, token = make_partner(emsp_tenant, "NL:PEE:CPO", name="leaving")
    response = client.delete("/ocpi/emsp/2.2.1/credentials", **auth(token))
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.UNREGISTERED
    assert client.get("/ocpi/emsp/versions", **auth(token)).status_code == 401


def test_2_1_1_registration_needs_a_bound_party_when_the_tenant_has_several(client, db, peer):
    from tests.factories import make_tenant

    tenant = make_tenant("both", "NL:BTH:CPO", "NL:BTH:EMSP")
    partner, token_a = issue_registration_token(tenant=tenant, partner_name="peer")
    assert partner.bound_party is None
    response = client.post(
        "/ocpi/both/2.1.1/credentials", credentials_211(peer), content_type="application/json", **auth(token_a)
    )
    assert response.json()["status_code"] == 3003
    assert "bound" in response.json()["status_message"]
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.PENDING
