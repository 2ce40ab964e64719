"""The credentials handshake against a scripted partner: token form probing, loose versions, lenient answers,
and the update of a partner that takes no credentials PUT."""

import base64

import pytest

from partners import handshake
from partners.models import AccessToken, Partner, PartnerStatus, TokenKind
from partners.services import default_bound_party, issue_registration_token
from tests.factories import auth
from tests.peer import credentials_221, post_credentials, serve_partner

pytestmark = pytest.mark.django_db

STAMP = "2026-01-01T00:00:00Z"
ROLES = [{"role": "EMSP", "party_id": "PEE", "country_code": "DE", "business_details": {"name": "Peer"}}]


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def their_credentials(peer, version: str, token: str) -> dict:
    if version == "2.1.1":
        return {
            "token": token,
            "url": f"{peer.url}/versions",
            "party_id": "PEE",
            "country_code": "DE",
            "business_details": {"name": "Peer"},
        }
    return {"token": token, "url": f"{peer.url}/versions", "roles": ROLES}


def serve(peer, versions=("2.2.1",), *, written=None, token="peer-token-c"):
    """Their versions (each written as `written` says), details with credentials and locations, and a
    credentials endpoint answering with `token`."""
    written = written or {}
    peer.ok("/versions", [{"version": written.get(v, v), "url": f"{peer.url}/{v}"} for v in versions])
    for v in versions:
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{peer.url}/{v}/credentials"},
            {"identifier": "locations", "role": "SENDER", "url": f"{peer.url}/{v}/locations"},
        ]
        peer.ok(f"/{v}", {"version": v, "endpoints": endpoints})
        peer.ok(f"/{v}/credentials", their_credentials(peer, v, token))


@pytest.fixture
def partner(cpo_tenant, peer):
    """A partner that gave the CPO tenant its versions URL and token A."""
    return Partner.objects.create(
        tenant=cpo_tenant,
        name="peer",
        versions_url=f"{peer.url}/versions",
        token_to_them="token-a",
        bound_party=default_bound_party(cpo_tenant),
    )


def steps(record) -> list[str]:
    return [s["step"] for s in record.steps]


def form_recorded(record) -> str:
    return next(s for s in steps(record) if s.startswith("token form recorded"))


def sent(peer, method=None) -> list[tuple[str, str, str]]:
    """(method, path, Authorization) of each request the peer received."""
    return [
        (r["method"], r["path"], r["headers"].get("Authorization"))
        for r in peer.requests
        if method is None or r["method"] == method
    ]


# -- token form probing -------------------------------------------------------------------------------


REFUSALS = {
    "401": ((401, {}, {"status_code": 2000, "timestamp": STAMP}), "HTTP 401"),
    "403": ((403, {}, "Forbidden"), "HTTP 403"),
    "200+3000": ((200, {}, {"status_code": 3000, "status_message": "bad token", "timestamp": STAMP}), "OCPI 3000"),
    "200+2001": ((200, {}, {"status_code": 2001, "timestamp": STAMP}), "OCPI 2001"),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_a_refused_base64_token_is_sent_raw_and_the_form_recorded(partner, peer, refusal):
    serve(peer)
    peer.authorization = "Token token-a"
    peer.refusal, said = REFUSALS[refusal]

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert (partner.status, partner.version, partner.token_to_them) == (
        PartnerStatus.REGISTERED,
        "2.2.1",
        "peer-token-c",
    )
    assert partner.send_token_form == "RAW"
    assert f"token Base64 refused ({said}), raw accepted" in steps(record)[0]
    assert (
        form_recorded(record) == f"token form recorded: send_token_form = RAW (their versions refused Base64 ({said}))"
    )
    assert sent(peer) == [
        ("GET", "/versions", f"Token {b64('token-a')}"),
        ("GET", "/versions", "Token token-a"),
        ("GET", "/2.2.1", "Token token-a"),
        ("POST", "/2.2.1/credentials", "Token token-a"),
    ]


def test_without_probing_a_refused_token_fails_after_one_request(partner, peer):
    serve(peer)
    peer.authorization = "Token token-a"
    peer.refusal = REFUSALS["200+3000"][0]
    partner.probe_token_form = False
    partner.save()

    record = handshake.register_with_partner(partner=partner)

    assert not record.succeeded
    assert record.error == f"Could not read the versions at {peer.url}/versions: OCPI 3000: bad token"
    assert len(peer.requests) == 1
    partner.refresh_from_db()
    assert (partner.status, partner.send_token_form, partner.last_error) == ("PENDING", "AUTO", record.error)


def test_a_token_refused_in_both_forms_fails_naming_both_answers(partner, peer):
    serve(peer)
    peer.authorization = "Token something-else"

    record = handshake.register_with_partner(partner=partner)

    assert not record.succeeded
    assert "refused in both token forms (token sent Base64: HTTP 401" in record.error
    assert "token sent raw: HTTP 401" in record.error
    assert not AccessToken.objects.filter(partner=partner, revoked_at__isnull=True).exists()


def test_details_refusing_the_form_the_versions_took_are_probed_too(partner, peer):
    serve(peer)
    peer.authorization = "Token token-a"
    peer.refusal = REFUSALS["200+3000"][0]
    peer.open_paths = {"/versions"}  # their versions take any token

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert partner.send_token_form == "RAW"
    assert "token Base64 refused (OCPI 3000), raw accepted" in steps(record)[1]
    assert form_recorded(record).endswith("(their version details refused Base64 (OCPI 3000))")
    assert sent(peer, "POST") == [("POST", "/2.2.1/credentials", "Token token-a")]


def test_a_2_1_1_partner_requiring_base64_is_recorded_so(partner, peer):
    serve(peer, versions=("2.1.1",))
    peer.authorization = f"Token {b64('token-a')}"

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert (partner.version, partner.send_token_form) == ("2.1.1", "BASE64")
    assert (
        form_recorded(record)
        == "token form recorded: send_token_form = BASE64 (their versions and details took Base64)"
    )
    assert [p.role for p in partner.parties.all()] == ["EMSP"]


def test_a_2_1_1_partner_taking_the_raw_token_keeps_the_version_form(partner, peer):
    serve(peer, versions=("2.1.1",))
    peer.authorization = "Token token-a"

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert (partner.version, partner.send_token_form) == ("2.1.1", "AUTO")
    assert not any(s.startswith("token form recorded") for s in steps(record))


def test_a_form_pinned_by_hand_and_refused_is_replaced_by_the_one_that_worked(partner, peer):
    serve(peer)
    peer.authorization = f"Token {b64('token-a')}"
    partner.send_token_form = "RAW"
    partner.save()

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert partner.send_token_form == "BASE64"
    assert sent(peer)[0] == ("GET", "/versions", "Token token-a")


def test_check_connection_says_which_form_worked(partner, peer):
    serve(peer)
    peer.authorization = "Token token-a"
    peer.refusal = REFUSALS["403"][0]

    result = handshake.check_connection(partner=partner)

    assert result.ok
    assert result.detail == "HTTP 200, token Base64 refused (HTTP 403), raw accepted"
    assert result.versions == {"2.2.1": f"{peer.url}/2.2.1"}


# -- what they answer -----------------------------------------------------------------------------------


def test_loosely_written_versions_are_read_as_ours(partner, peer):
    serve(peer, versions=("2.2.1", "2.1.1"), written={"2.2.1": "2.2", "2.1.1": "v2.1.1"})

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert partner.version == "2.2.1"
    assert steps(record)[0].startswith(
        f'versions at {peer.url}/versions: 2.1.1 (reported as "v2.1.1"), 2.2.1 (reported as "2.2")'
    )


def test_a_pinned_version_is_found_among_loosely_written_ones(partner, peer):
    serve(peer, versions=("2.2.1", "2.1.1"), written={"2.1.1": "2.1"})
    partner.pinned_version = "2.1.1"
    partner.save()

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert partner.version == "2.1.1"
    assert sent(peer)[1][1] == "/2.1.1"


def test_credentials_answered_as_a_one_element_list_with_http_201_are_taken(partner, peer):
    serve(peer)
    peer.ok("/2.2.1/credentials", [their_credentials(peer, "2.2.1", "listed-token")], status=201)

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    partner.refresh_from_db()
    assert (partner.status, partner.token_to_them) == (PartnerStatus.REGISTERED, "listed-token")


def test_details_as_a_list_with_capitalised_identifiers_are_read(partner, peer):
    serve(peer)
    endpoints = [
        {"identifier": "Credentials", "role": "sender", "url": f" {peer.url}/2.2.1/credentials "},
        {"identifier": "LOCATIONS", "role": "Sender", "url": f"{peer.url}/2.2.1/locations", "extra": None},
    ]
    peer.ok("/2.2.1", [{"version": "2.2.1", "endpoints": endpoints}])

    record = handshake.register_with_partner(partner=partner)

    assert record.succeeded, record.error
    assert sorted(partner.endpoints.values_list("identifier", "role", "url")) == [
        ("credentials", "SENDER", f"{peer.url}/2.2.1/credentials"),
        ("locations", "SENDER", f"{peer.url}/2.2.1/locations"),
    ]


def test_an_invalid_credentials_answer_fails_and_stores_nothing(partner, peer):
    serve(peer)
    peer.ok("/2.2.1/credentials", {"token": "t", "url": f"{peer.url}/versions", "roles": []})

    record = handshake.register_with_partner(partner=partner)

    assert not record.succeeded
    assert record.error.startswith("Their credentials answer is invalid: roles")
    partner.refresh_from_db()
    assert (partner.status, partner.version, partner.endpoints.count()) == (PartnerStatus.PENDING, "", 0)


def test_a_partner_with_no_module_in_common_is_not_sent_our_credentials(partner, peer):
    """credentials: a Sender that cannot find the endpoints it expects does not POST; 3003 says why."""
    serve(peer)
    only_credentials = [{"identifier": "credentials", "role": "SENDER", "url": f"{peer.url}/2.2.1/credentials"}]
    peer.ok("/2.2.1", {"version": "2.2.1", "endpoints": only_credentials})

    record = handshake.register_with_partner(partner=partner)

    assert not record.succeeded
    assert "No OCPI 2.2.1 module in common: the partner's details list only credentials" in record.error
    assert sent(peer, "POST") == []
    partner.refresh_from_db()
    assert (partner.status, partner.endpoints.count()) == (PartnerStatus.PENDING, 0)


# -- updating: PUT, or DELETE and POST again -------------------------------------------------------------


@pytest.fixture
def registered(partner, peer):
    serve(peer)
    assert handshake.register_with_partner(partner=partner).succeeded
    partner.refresh_from_db()
    peer.requests.clear()
    return partner


def our_live_tokens(partner) -> list[int]:
    return list(AccessToken.objects.filter(partner=partner, revoked_at__isnull=True).values_list("pk", flat=True))


def test_an_update_puts_our_credentials(registered, peer):
    serve(peer, token="rotated")
    before = our_live_tokens(registered)

    record = handshake.update_with_partner(partner=registered)

    assert record.succeeded, record.error
    assert [m for m, _, _ in sent(peer)] == ["GET", "GET", "PUT"]
    registered.refresh_from_db()
    assert registered.token_to_them == "rotated"
    assert set(our_live_tokens(registered)).isdisjoint(before) and len(our_live_tokens(registered)) == 1


def test_without_credentials_put_an_update_deletes_and_posts_again(registered, peer):
    registered.credentials_put = False
    registered.save()
    serve(peer, token="after-reregistration")
    before = our_live_tokens(registered)

    record = handshake.update_with_partner(partner=registered)

    assert record.succeeded, record.error
    assert sent(peer) == [
        ("GET", "/versions", f"Token {b64('peer-token-c')}"),
        ("GET", "/2.2.1", f"Token {b64('peer-token-c')}"),
        ("DELETE", "/2.2.1/credentials", f"Token {b64('peer-token-c')}"),
        ("POST", "/2.2.1/credentials", f"Token {b64('peer-token-c')}"),
    ]
    assert steps(record)[2:] == [
        f"they take no credentials PUT (credentials_put off): DELETE our registration at {peer.url}/2.2.1/credentials",
        f"DELETE {peer.url}/2.2.1/credentials: done, registering again",
        f"POST our credentials to {peer.url}/2.2.1/credentials",
        "registered in OCPI 2.2.1; stored their token and 2 endpoints",
    ]
    registered.refresh_from_db()
    assert (registered.status, registered.token_to_them) == (PartnerStatus.REGISTERED, "after-reregistration")
    assert set(our_live_tokens(registered)).isdisjoint(before) and len(our_live_tokens(registered)) == 1


def test_a_failed_post_after_the_delete_leaves_the_partner_unregistered_with_the_reason(registered, peer):
    registered.credentials_put = False
    registered.save()
    serve(peer)
    peer.routes["POST /2.2.1/credentials"] = (401, {}, {"status_code": 2000, "timestamp": STAMP})

    record = handshake.update_with_partner(partner=registered)

    assert not record.succeeded
    assert [m for m, _, _ in sent(peer)] == ["GET", "GET", "DELETE", "POST"]
    assert record.error.startswith(f"POST {peer.url}/2.2.1/credentials failed: HTTP 401")
    assert record.error.endswith("ask them for a new token A and register again")
    assert steps(record)[-1] == "unregistered here: they no longer know us"
    registered.refresh_from_db()
    assert (registered.status, registered.token_to_them, registered.last_error) == (
        PartnerStatus.UNREGISTERED,
        "",
        record.error,
    )
    assert our_live_tokens(registered) == []


def test_a_refused_delete_changes_nothing(registered, peer):
    registered.credentials_put = False
    registered.save()
    serve(peer)
    peer.routes["DELETE /2.2.1/credentials"] = (405, {}, {"status_code": 2000, "timestamp": STAMP})
    before = our_live_tokens(registered)

    record = handshake.update_with_partner(partner=registered)

    assert not record.succeeded
    assert "DELETE" in record.error and "nothing changed, still registered" in record.error
    assert [m for m, _, _ in sent(peer)] == ["GET", "GET", "DELETE"]
    registered.refresh_from_db()
    assert (registered.status, registered.token_to_them) == (PartnerStatus.REGISTERED, "peer-token-c")
    assert our_live_tokens(registered) == before


# -- they register with us --------------------------------------------------------------------------------


def test_their_versions_refusing_base64_token_b_are_called_raw_and_the_form_recorded(client, emsp_tenant, peer):
    partner, token_a = issue_registration_token(tenant=emsp_tenant, partner_name="peer")
    serve_partner(peer)
    peer.authorization = "Token peer-token-b"
    peer.refusal = REFUSALS["403"][0]

    response = post_credentials(client, "2.2.1", credentials_221(peer), token_a)

    assert response.json()["status_code"] == 1000
    partner.refresh_from_db()
    assert (partner.status, partner.send_token_form) == (PartnerStatus.REGISTERED, "RAW")
    record = partner.handshakes.get()
    assert record.direction == "INBOUND" and record.succeeded
    assert "token form recorded: send_token_form = RAW (their versions refused Base64 (HTTP 403))" in steps(record)


def test_their_versions_refusing_token_b_without_probing_is_3001(client, emsp_tenant, peer):
    partner, token_a = issue_registration_token(tenant=emsp_tenant, partner_name="peer")
    Partner.objects.filter(pk=partner.pk).update(probe_token_form=False)
    serve_partner(peer)
    peer.authorization = "Token peer-token-b"

    response = post_credentials(client, "2.2.1", credentials_221(peer), token_a)

    assert response.json()["status_code"] == 3001
    assert len(peer.requests) == 1
    partner.refresh_from_db()
    assert (partner.status, partner.token_to_them) == (PartnerStatus.PENDING, "")
    assert AccessToken.objects.filter(partner=partner, kind=TokenKind.REGISTRATION, revoked_at__isnull=True).exists()


# -- one place stores a connection ------------------------------------------------------------------------


@pytest.fixture
def stores(monkeypatch):
    """Every call of the one function that writes a connection, as (partner name, direction of the handshake)."""
    calls = []
    original = handshake._store_connection

    def recording(partner, **kwargs):
        calls.append((partner.name, kwargs["progress"].handshake.direction, kwargs["progress"].handshake.action))
        return original(partner, **kwargs)

    monkeypatch.setattr(handshake, "_store_connection", recording)
    return calls


def test_every_registration_and_credentials_update_goes_through_store_connection(
    client, emsp_tenant, registered, peer, stores
):
    serve(peer, token="rotated")
    assert handshake.update_with_partner(partner=registered).succeeded
    registered.credentials_put = False
    registered.save()
    assert handshake.update_with_partner(partner=registered).succeeded

    theirs, token_a = issue_registration_token(tenant=emsp_tenant, partner_name="inbound")
    serve_partner(peer)
    answer = post_credentials(client, "2.2.1", credentials_221(peer), token_a).json()
    assert answer["status_code"] == 1000
    token_c = answer["data"]["token"]
    response = client.put(
        "/ocpi/emsp/2.2.1/credentials",
        credentials_221(peer, token="b2"),
        content_type="application/json",
        **auth(token_c, base64_form=True),
    )
    assert response.json()["status_code"] == 1000

    assert stores == [
        ("peer", "OUTBOUND", "update"),
        ("peer", "OUTBOUND", "update"),
        ("inbound", "INBOUND", "register"),
        ("inbound", "INBOUND", "update"),
    ]
