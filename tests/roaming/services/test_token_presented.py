"""A driver presents a token at one of our charge points: the whitelist decides whether the eMSP is asked in real
time (mod_tokens), and the eMSP's authorization_reference travels into the session and its CDR."""

import pytest
from django.utils import timezone

from partners.models import PartnerEndpoint
from roaming.models import Connector, Evse, Session, Token
from roaming.ocpi.dialects import get_dialect
from roaming.services import cdrs, chargepoint, tokens
from tests.bodies import TOKEN
from tests.factories import make_partner, own_location


@pytest.fixture
def at_evse(cpo_tenant):
    own_location(cpo_tenant)
    evse = Evse.objects.get(uid="3256")
    Connector.objects.update(tariff_ids=[])  # unpriced: the CDR needs no tariff stored
    return evse, Connector.objects.filter(evse=evse).order_by("position").first()


@pytest.fixture
def token_of(cpo_tenant, peer, settings):
    settings.TOKEN_AUTHORIZATION_TIMEOUT = 1
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="tokens", role="SENDER", url=f"{peer.url}/tokens"
    )

    def make(whitelist):
        data = get_dialect("2.2.1").module("tokens").from_wire({**TOKEN, "whitelist": whitelist})
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


def present(at_evse, token):
    evse, connector = at_evse
    return chargepoint.token_presented(evse=evse, connector=connector, token=token)


def test_an_always_whitelisted_token_starts_without_asking(at_evse, token_of, peer):
    started = present(at_evse, token_of("ALWAYS"))
    assert peer.requests == []
    assert (started.session.status, started.session.auth_method) == ("ACTIVE", "WHITELIST")
    assert started.session.cdr_token["uid"] == TOKEN["uid"]


def test_an_allowed_token_asks_the_emsp_and_its_reference_reaches_the_cdr(cpo_tenant, at_evse, token_of, peer):
    peer.ok(
        f"/tokens/{TOKEN['uid']}/authorize", {"allowed": "ALLOWED", "token": TOKEN, "authorization_reference": "REF7"}
    )
    started = present(at_evse, token_of("ALLOWED"))
    [asked] = peer.requests
    assert asked["path"] == f"/tokens/{TOKEN['uid']}/authorize?type=RFID"
    assert b'"location_id":"LOC1"' in asked["body"].replace(b" ", b"")
    session = started.session
    assert (session.auth_method, session.authorization_reference) == ("AUTH_REQUEST", "REF7")
    Session.objects.filter(pk=session.pk).update(status="COMPLETED", end_date_time=timezone.now(), kwh=3)
    session.refresh_from_db()
    cdr = cdrs.build_cdr_from_session(tenant=cpo_tenant, session=session).cdr
    assert cdr.authorization_reference == "REF7"


@pytest.mark.parametrize("allowed", ["BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"])
def test_an_emsp_refusal_starts_no_session(at_evse, token_of, peer, allowed):
    peer.ok(f"/tokens/{TOKEN['uid']}/authorize", {"allowed": allowed, "token": TOKEN})
    started = present(at_evse, token_of("NEVER"))
    assert started.session is None and not started.decision.allowed
    assert not Session.objects.exists()


def test_an_unreachable_emsp_refuses_never_and_allows_allowed_offline(at_evse, token_of, peer):
    peer.routes[f"/tokens/{TOKEN['uid']}/authorize"] = (503, {}, "down")
    assert present(at_evse, token_of("NEVER")).session is None
    offline = present(at_evse, token_of("ALLOWED_OFFLINE"))
    assert offline.session is not None and offline.decision.source == "whitelist (eMSP unreachable)"


def test_an_emsp_that_hangs_past_the_timeout_counts_as_unreachable(at_evse, token_of, peer):
    peer.ok(f"/tokens/{TOKEN['uid']}/authorize", {"allowed": "ALLOWED", "token": TOKEN})
    peer.delay = 2.0  # TOKEN_AUTHORIZATION_TIMEOUT is 1 s
    started = present(at_evse, token_of("ALLOWED_OFFLINE"))
    assert started.decision.source == "whitelist (eMSP unreachable)" and started.session is not None
