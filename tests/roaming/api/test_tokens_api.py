"""Tokens endpoints over HTTP, real-time authorization, and the CPO's start decision against a scripted eMSP."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import PartnerEndpoint
from roaming.models import Token
from roaming.ocpi.dialects import get_dialect
from roaming.services import tokens
from tests.bodies import TOKEN
from tests.factories import auth, make_partner, own_token

URL = "/ocpi/cpo/2.2.1/receiver/tokens/DE/EMS/012345678"


def test_receiver_put_get_patch(client, emsp_partner):
    _, token = emsp_partner
    assert client.put(URL, TOKEN, content_type="application/json", **auth(token)).status_code == 201
    assert client.get(URL, **auth(token)).json()["data"]["contract_id"] == "NL8ACC12E46L89"
    response = client.patch(
        URL, {"valid": False, "last_updated": "2030-01-01T00:00:00Z"}, content_type="application/json", **auth(token)
    )
    assert response.json()["status_code"] == 1000
    assert Token.objects.get().valid is False


def test_type_in_the_url_distinguishes_tokens(client, emsp_partner):
    _, token = emsp_partner
    client.put(URL, TOKEN, content_type="application/json", **auth(token))
    app = {**TOKEN, "type": "APP_USER"}
    assert client.put(f"{URL}?type=APP_USER", app, content_type="application/json", **auth(token)).status_code == 201
    assert Token.objects.count() == 2
    assert client.get(f"{URL}?type=OTHER", **auth(token)).status_code == 404


def test_body_type_that_differs_from_the_url_is_2001(client, emsp_partner):
    _, token = emsp_partner
    response = client.put(URL, {**TOKEN, "type": "APP_USER"}, content_type="application/json", **auth(token))
    assert response.json()["status_code"] == 2001 and not Token.objects.exists()


def test_bad_token_is_2001_naming_the_field(client, emsp_partner):
    _, token = emsp_partner
    response = client.put(URL, {**TOKEN, "whitelist": "SOMETIMES"}, content_type="application/json", **auth(token))
    assert response.json()["status_code"] == 2001 and "whitelist" in response.json()["status_message"]
    assert not Token.objects.exists()


def test_sender_list_shows_own_tokens(client, emsp_tenant):
    own_token(emsp_tenant)
    _, partner_token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    data = client.get("/ocpi/emsp/2.1.1/sender/tokens", **auth(partner_token)).json()["data"]
    assert [t["auth_id"] for t in data] == ["NL8ACC12E46L89"]


def authorize(client, token, uid="012345678", version="2.2.1", body=None, query=""):
    return client.post(
        f"/ocpi/emsp/{version}/sender/tokens/{uid}/authorize{query}",
        body or {},
        content_type="application/json",
        **auth(token),
    )


def test_known_valid_token_is_allowed_with_the_token_and_a_reference(client, emsp_tenant, cpo_partner):
    own_token(emsp_tenant)
    _, token = cpo_partner
    data = authorize(client, token, body={"location_id": "LOC1", "evse_uids": ["E1"]}).json()["data"]
    assert data["allowed"] == "ALLOWED"
    assert data["token"]["uid"] == "012345678"
    assert data["location"] == {"location_id": "LOC1", "evse_uids": ["E1"]}
    assert len(data["authorization_reference"]) == 32


def test_invalid_token_is_blocked(client, emsp_tenant, cpo_partner):
    own_token(emsp_tenant, valid=False)
    _, token = cpo_partner
    assert authorize(client, token).json()["data"]["allowed"] == "BLOCKED"


def test_unknown_token_is_404_with_2004_and_2000_in_2_1_1(client, emsp_tenant, cpo_partner):
    _, token = cpo_partner
    response = authorize(client, token, uid="nope")
    assert response.status_code == 404 and response.json()["status_code"] == 2004 and "data" not in response.json()
    assert authorize(client, token, uid="nope", version="2.1.1").json()["status_code"] == 2000


def test_2_1_1_answer_has_no_token_and_may_name_connectors(client, emsp_tenant, cpo_partner):
    own_token(emsp_tenant)
    _, token = cpo_partner
    data = authorize(client, token, version="2.1.1", body={"location_id": "LOC1", "connector_ids": ["1"]}).json()[
        "data"
    ]
    assert data == {"allowed": "ALLOWED", "location": {"location_id": "LOC1", "connector_ids": ["1"]}}


def test_missing_location_is_2002_when_required(client, emsp_tenant, cpo_partner, settings):
    settings.TOKEN_AUTHORIZATION_REQUIRES_LOCATION = True
    own_token(emsp_tenant)
    _, token = cpo_partner
    assert authorize(client, token).json()["status_code"] == 2002


def test_unknown_type_is_2001(client, emsp_tenant, cpo_partner):
    _, token = cpo_partner
    assert authorize(client, token, query="?type=APP_USER", version="2.1.1").json()["status_code"] == 2001


def test_authorization_costs_a_fixed_handful_of_queries(client, emsp_tenant, cpo_partner):
    own_token(emsp_tenant)
    _, token = cpo_partner
    with CaptureQueriesContext(connection) as queries:
        assert authorize(client, token).json()["data"]["allowed"] == "ALLOWED"
    assert len(queries) == 1  # the partner's credentials token with its tenant, and the driver's token


# -- the CPO side ------------------------------------------------------------------------------------------


@pytest.fixture
def received(cpo_tenant, peer):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="tokens", role="SENDER", url=f"{peer.url}/tokens"
    )

    def make(whitelist, valid=True):
        data = get_dialect("2.2.1").module("tokens").from_wire({**TOKEN, "whitelist": whitelist, "valid": valid})
        tokens.put_token(
            tenant=cpo_tenant,
            partner=partner,
            country_code="DE",
            party_id="EMS",
            uid=data["uid"],
            token_type="RFID",
            data=data,
        )
        return Token.objects.get(tenant=cpo_tenant)

    return make


def answer(peer, allowed):
    peer.ok("/tokens/012345678/authorize", {"allowed": allowed, "token": TOKEN, "authorization_reference": "REF1"})


def test_always_whitelisted_token_starts_without_asking(received, peer):
    decision = tokens.decide_start(token=received("ALWAYS"), location={"location_id": "LOC1", "evse_uids": []})
    assert (decision.allowed, decision.source) == (True, "whitelist") and peer.requests == []


def test_allowed_token_asks_the_emsp(received, peer):
    answer(peer, "ALLOWED")
    decision = tokens.decide_start(token=received("ALLOWED"), location={"location_id": "LOC1", "evse_uids": []})
    assert (decision.allowed, decision.source, decision.authorization_reference) == (True, "eMSP", "REF1")
    assert peer.requests[0]["path"] == "/tokens/012345678/authorize?type=RFID"


def test_emsp_refusal_is_followed(received, peer):
    answer(peer, "NO_CREDIT")
    assert tokens.decide_start(token=received("NEVER"), location=None).allowed is False


def test_unreachable_emsp_falls_back_to_the_whitelist_except_for_never(received, peer):
    peer.routes["/tokens/012345678/authorize"] = (503, {}, "down")
    decision = tokens.decide_start(token=received("ALLOWED_OFFLINE"), location=None)
    assert (decision.allowed, decision.source) == (True, "whitelist (eMSP unreachable)")
    assert tokens.decide_start(token=received("NEVER"), location=None).allowed is False


def test_2_1_1_receiver_takes_the_type_from_the_body_since_its_url_names_none(client, emsp_partner):
    """A 2.1.1 eMSP pushes an OTHER token (an app user of a 2.2.1 platform among them) to the uid's URL alone;
    GET and PATCH at that URL find it."""
    _, token = emsp_partner
    url = "/ocpi/cpo/2.1.1/receiver/tokens/DE/EMS/APP1"
    body = {
        "uid": "APP1",
        "type": "OTHER",
        "auth_id": "DE-EMS-C1",
        "issuer": "EMS",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": "2026-01-05T10:00:00Z",
    }
    assert client.put(url, body, content_type="application/json", **auth(token)).status_code == 201
    assert client.get(url, **auth(token)).json()["data"]["type"] == "OTHER"
    response = client.patch(url, {"valid": False}, content_type="application/json", **auth(token))
    assert response.json()["status_code"] == 1000
    assert Token.objects.values_list("type", "valid").get(uid="APP1") == ("OTHER", False)


def test_2_1_1_receiver_url_without_type_means_the_rfid_token_first(client, emsp_partner):
    partner, token = emsp_partner
    for token_type in ("OTHER", "RFID"):
        body = {**TOKEN, "uid": "SAME1", "type": token_type, "contract_id": f"C-{token_type}"}
        tokens.put_token(
            tenant=partner.tenant,
            partner=partner,
            country_code="DE",
            party_id="EMS",
            uid="SAME1",
            token_type=token_type,
            data=get_dialect("2.2.1").module("tokens").from_wire(body),
        )
    response = client.get("/ocpi/cpo/2.1.1/receiver/tokens/DE/EMS/SAME1", **auth(token))
    assert response.json()["data"]["auth_id"] == "C-RFID"
    response = client.get("/ocpi/cpo/2.1.1/receiver/tokens/DE/EMS/SAME1?type=OTHER", **auth(token))
    assert response.json()["data"]["auth_id"] == "C-OTHER"
