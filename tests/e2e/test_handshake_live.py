"""The credentials handshake over real HTTP between two tenants served by one live, threaded server.

The registering side's POST stays open while the other side calls back into its versions and
details endpoints, so these tests also prove the server answers those call-backs meanwhile.
"""

import pytest

from partners import handshake
from partners.models import AccessToken, Partner, PartnerStatus, TokenKind
from partners.services import issue_registration_token
from tests.factories import auth, make_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def platform(live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO:Charge Co")
    emsp = make_tenant("emsp", "DE:EMS:EMSP:Drive Co")
    return cpo, emsp


def connect(cpo, emsp, *, pinned: str = "") -> tuple[Partner, Partner, str]:
    """The eMSP tenant issues token A; the CPO tenant registers with it."""
    at_emsp, token_a = issue_registration_token(tenant=emsp, partner_name="charge-co")
    at_cpo = Partner.objects.create(
        tenant=cpo, name="drive-co", versions_url=emsp.versions_url, token_to_them=token_a, pinned_version=pinned
    )
    result = handshake.register_with_partner(partner=at_cpo)
    assert result.succeeded, result.error
    at_emsp.refresh_from_db()
    at_cpo.refresh_from_db()
    return at_cpo, at_emsp, token_a


@pytest.mark.parametrize("version", ["2.3.0", "2.2.1", "2.1.1"])
def test_registration_connects_both_sides_in_the_chosen_version(platform, client, version):
    cpo, emsp = platform
    at_cpo, at_emsp, token_a = connect(cpo, emsp, pinned="" if version == "2.3.0" else version)

    for partner in (at_cpo, at_emsp):
        assert partner.status == PartnerStatus.REGISTERED
        assert partner.version == version
        assert partner.registered_at is not None
    assert [(p.country_code, p.party_id, p.role) for p in at_cpo.parties.all()] == [("DE", "EMS", "EMSP")]
    assert [(p.country_code, p.party_id, p.role) for p in at_emsp.parties.all()] == [("NL", "CPO", "CPO")]
    assert at_emsp.parties.get().name == "Charge Co"
    assert set(at_cpo.endpoints.values_list("identifier", flat=True)) >= {"credentials"}
    # Each side calls the other with the token it was given; token A is dead.
    assert client.get("/ocpi/cpo/versions", **auth(at_emsp.token_to_them)).status_code == 200
    assert client.get("/ocpi/emsp/versions", **auth(at_cpo.token_to_them)).status_code == 200
    assert client.get("/ocpi/emsp/versions", **auth(token_a)).status_code == 401
    # The steps are on record for the admin.
    record = at_cpo.handshakes.get()
    assert record.succeeded and any("POST our credentials" in s["step"] for s in record.steps)
    assert at_emsp.handshakes.get().direction == "INBOUND"


def test_credentials_get_returns_our_credentials_with_the_token_in_use(platform, client):
    cpo, emsp = platform
    at_cpo, _, _ = connect(cpo, emsp)
    body = client.get("/ocpi/emsp/2.2.1/credentials", **auth(at_cpo.token_to_them, base64_form=True)).json()
    assert body["data"]["token"] == at_cpo.token_to_them
    assert body["data"]["url"] == emsp.versions_url
    assert body["data"]["roles"] == [
        {"role": "EMSP", "business_details": {"name": "Drive Co"}, "party_id": "EMS", "country_code": "DE"}
    ]


def test_put_rotates_tokens_on_both_sides(platform, client):
    cpo, emsp = platform
    at_cpo, at_emsp, _ = connect(cpo, emsp)
    old_to_emsp, old_to_cpo = at_cpo.token_to_them, at_emsp.token_to_them
    result = handshake.update_with_partner(partner=at_cpo)
    assert result.succeeded, result.error
    at_cpo.refresh_from_db()
    at_emsp.refresh_from_db()
    assert at_cpo.token_to_them != old_to_emsp and at_emsp.token_to_them != old_to_cpo
    assert client.get("/ocpi/emsp/versions", **auth(old_to_emsp)).status_code == 401
    assert client.get("/ocpi/cpo/versions", **auth(old_to_cpo)).status_code == 401
    assert client.get("/ocpi/emsp/versions", **auth(at_cpo.token_to_them)).status_code == 200
    assert client.get("/ocpi/cpo/versions", **auth(at_emsp.token_to_them)).status_code == 200


def test_put_moves_a_2_1_1_connection_to_2_2_1(platform):
    cpo, emsp = platform
    at_cpo, at_emsp, _ = connect(cpo, emsp, pinned="2.1.1")
    assert at_emsp.version == "2.1.1"
    at_cpo.pinned_version = ""
    at_cpo.save()
    result = handshake.update_with_partner(partner=at_cpo, version="2.2.1")
    assert result.succeeded, result.error
    at_cpo.refresh_from_db()
    at_emsp.refresh_from_db()
    assert (at_cpo.version, at_emsp.version) == ("2.2.1", "2.2.1")
    assert at_emsp.parties.count() == 1  # data kept, parties refreshed from the 2.2.1 roles


def test_delete_unregisters_both_sides_and_kills_the_tokens(platform, client):
    cpo, emsp = platform
    at_cpo, at_emsp, _ = connect(cpo, emsp)
    token_to_emsp = at_cpo.token_to_them
    result = handshake.unregister_with_partner(partner=at_cpo)
    assert result.succeeded, result.error
    at_cpo.refresh_from_db()
    at_emsp.refresh_from_db()
    assert (at_cpo.status, at_emsp.status) == (PartnerStatus.UNREGISTERED, PartnerStatus.UNREGISTERED)
    assert at_emsp.unregistered_at is not None
    assert client.get("/ocpi/emsp/versions", **auth(token_to_emsp)).status_code == 401
    assert at_emsp.endpoints.exists()  # history stays


def test_wrong_token_a_fails_and_leaves_the_partner_as_it_was(platform):
    cpo, emsp = platform
    issue_registration_token(tenant=emsp, partner_name="charge-co")
    at_cpo = Partner.objects.create(tenant=cpo, name="drive-co", versions_url=emsp.versions_url, token_to_them="wrong")
    result = handshake.register_with_partner(partner=at_cpo)
    assert not result.succeeded
    assert "401" in result.error
    at_cpo.refresh_from_db()
    assert (at_cpo.status, at_cpo.version, at_cpo.endpoints.count()) == (PartnerStatus.PENDING, "", 0)
    assert at_cpo.last_error == result.error
    assert not AccessToken.objects.filter(partner=at_cpo, revoked_at__isnull=True).exists()


def test_reused_token_a_is_refused(platform):
    cpo, emsp = platform
    _, _, token_a = connect(cpo, emsp)
    again = Partner.objects.create(tenant=cpo, name="again", versions_url=emsp.versions_url, token_to_them=token_a)
    result = handshake.register_with_partner(partner=again)
    assert not result.succeeded and "401" in result.error


def test_partner_versions_down_is_3001_and_nothing_is_stored(platform, client):
    _, emsp = platform
    partner, token_a = issue_registration_token(tenant=emsp, partner_name="ghost")
    body = {
        "token": "ghost-token-b",
        "url": "http://127.0.0.1:9/versions",
        "roles": [{"role": "CPO", "party_id": "GHO", "country_code": "NL", "business_details": {"name": "Ghost"}}],
    }
    response = client.post(
        "/ocpi/emsp/2.2.1/credentials", body, content_type="application/json", **auth(token_a, base64_form=True)
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 3001
    partner.refresh_from_db()
    assert (partner.status, partner.token_to_them, partner.parties.count()) == (PartnerStatus.PENDING, "", 0)
    assert AccessToken.objects.filter(partner=partner, kind=TokenKind.REGISTRATION, revoked_at__isnull=True).exists()
    assert partner.handshakes.get().succeeded is False
