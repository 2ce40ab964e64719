"""Storing a connection owes its initial sync: a registration in either direction, or a credentials PUT that
changes the version or the endpoints; a partner that registered with us gets a moment to store our answer."""

from datetime import timedelta

from django.utils import timezone

from partners import handshake
from partners.models import Partner
from partners.services import issue_registration_token
from roaming.models import InitialSync, SyncState
from tests.factories import auth

ROLES = [{"role": "CPO", "party_id": "PEE", "country_code": "NL", "business_details": {"name": "Peer"}}]


def serve_cpo_peer(peer, *, tokens_url="tokens"):
    """A 2.2.1 CPO: a locations sender and a tokens receiver, and a credentials endpoint that answers."""
    peer.ok("/versions", [{"version": "2.2.1", "url": f"{peer.url}/2.2.1"}])
    peer.ok(
        "/2.2.1",
        {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": "credentials", "role": "SENDER", "url": f"{peer.url}/credentials"},
                {"identifier": "locations", "role": "SENDER", "url": f"{peer.url}/locations"},
                {"identifier": "tokens", "role": "RECEIVER", "url": f"{peer.url}/{tokens_url}"},
            ],
        },
    )
    peer.ok("/credentials", {"token": "their-token-c", "url": f"{peer.url}/versions", "roles": ROLES})
    peer.ok("/locations", [])


def runs_of(partner):
    return sorted(InitialSync.objects.filter(partner=partner).values_list("direction", "module", "reason"))


def test_a_partner_registering_with_us_is_owed_its_initial_sync_after_a_moment(
    client, emsp_tenant, peer, settings, django_capture_on_commit_callbacks
):
    settings.INITIAL_SYNC_DELAY_SECONDS = 7
    partner, token_a = issue_registration_token(tenant=emsp_tenant, partner_name="peer")
    serve_cpo_peer(peer)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/ocpi/emsp/2.2.1/credentials",
            {"token": "peer-token-b", "url": f"{peer.url}/versions", "roles": ROLES},
            content_type="application/json",
            **auth(token_a, base64_form=True),
        )
    assert response.status_code == 200
    assert runs_of(partner) == [("PULL", "locations", "registration"), ("PUSH", "tokens", "registration")]
    for run in InitialSync.objects.filter(partner=partner):
        assert timedelta(seconds=6) < run.starts_at - timezone.now() <= timedelta(seconds=7)
    # The full pull is asked for in the same transaction, and queued to run once the moment has passed.
    assert SyncState.objects.get(partner=partner, module="locations").full_resync_requested
    assert callbacks


def test_registering_with_a_partner_begins_its_initial_sync_at_once(
    emsp_tenant, peer, eager, django_capture_on_commit_callbacks
):
    serve_cpo_peer(peer)
    partner = Partner.objects.create(
        tenant=emsp_tenant, name="peer", versions_url=f"{peer.url}/versions", token_to_them="their-token-a"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert handshake.register_with_partner(partner=partner).succeeded
    pull = InitialSync.objects.get(partner=partner, direction="PULL")
    assert pull.starts_at == pull.created
    assert SyncState.objects.get(partner=partner, module="locations").last_completed_at is not None
    assert any(r["path"].startswith("/locations?date_from=1970-01-01") for r in peer.requests)
    push = InitialSync.objects.get(partner=partner, direction="PUSH")
    assert (push.module, push.total, push.finished is not None) == ("tokens", 0, True)  # the tenant has none yet


def test_a_credentials_put_owes_a_new_initial_sync_only_when_the_endpoints_or_version_change(emsp_tenant, peer):
    serve_cpo_peer(peer)
    partner = Partner.objects.create(
        tenant=emsp_tenant, name="peer", versions_url=f"{peer.url}/versions", token_to_them="their-token-a"
    )
    assert handshake.register_with_partner(partner=partner).succeeded
    assert len(runs_of(partner)) == 2

    partner.refresh_from_db()
    assert handshake.update_with_partner(partner=partner).succeeded  # new tokens, nothing else
    assert len(runs_of(partner)) == 2

    serve_cpo_peer(peer, tokens_url="v2/tokens")
    partner.refresh_from_db()
    assert handshake.update_with_partner(partner=partner).succeeded
    assert [run for run in runs_of(partner) if run[2] == "endpoints changed"] == [
        ("PULL", "locations", "endpoints changed"),
        ("PUSH", "tokens", "endpoints changed"),
    ]
