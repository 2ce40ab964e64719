"""Hub Client Info services: a hub publishes its parties' status to its partners; its clients keep the
hub's party list in step, pull the hub's list, and send nothing to a party the hub reports unreachable."""

import json

import pytest
from django.db import transaction

from partners import handshake
from partners.models import PartnerEndpoint, PartnerParty, PartnerStatus
from roaming.models import ClientInfo, Delivery, DeliveryStatus
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.headers import PartyRef
from roaming.services import hubclientinfo, locations, outbox, sync
from tests.factories import make_partner, make_tenant, own_token
from tests.spec_examples import example_221


def with_endpoint(tenant, peer, *parties, module, role="RECEIVER", name=None):
    partner, _ = make_partner(tenant, *parties, name=name, token_to_them="their-token")
    PartnerEndpoint.objects.create(
        tenant=tenant, partner=partner, identifier=module, role=role, url=f"{peer.url}/{module}/{partner.name}"
    )
    return partner


def deliver_all() -> list[str]:
    return [
        outbox.deliver(delivery_id=pk).status for pk in Delivery.objects.order_by("pk").values_list("pk", flat=True)
    ]


@pytest.fixture
def hub(db):
    return make_tenant("hub", "NL:HUB:HUB")


def test_a_partner_registering_with_a_hub_is_pushed_connected_to_the_other_partners(hub, peer):
    other = with_endpoint(hub, peer, "FR:EMB:EMSP", module="hubclientinfo", name="other")
    joining = with_endpoint(hub, peer, "DE:CPA:CPO", module="hubclientinfo", name="joining")
    peer.ok("/hubclientinfo/other/DE/CPA", None)
    hubclientinfo.connection_changed(partner=joining)
    assert list(Delivery.objects.values_list("partner", "object_path")) == [(other.pk, "DE/CPA/CPO")]
    assert deliver_all() == [DeliveryStatus.DELIVERED]
    [sent] = peer.requests
    assert (sent["method"], sent["path"]) == ("PUT", "/hubclientinfo/other/DE/CPA")
    body = json.loads(sent["body"])
    assert {k: body[k] for k in ("country_code", "party_id", "role", "status")} == {
        "country_code": "DE",
        "party_id": "CPA",
        "role": "CPO",
        "status": "CONNECTED",
    }
    assert "OCPI-to-party-id" not in sent["headers"] and "OCPI-from-party-id" not in sent["headers"]


def test_a_partner_unregistering_from_a_hub_is_pushed_suspended(hub, peer):
    other = with_endpoint(hub, peer, "FR:EMB:EMSP", module="hubclientinfo", name="other")
    leaving = with_endpoint(hub, peer, "DE:CPA:CPO", module="hubclientinfo", name="leaving")
    peer.ok("/hubclientinfo/other/DE/CPA", None)
    hubclientinfo.connection_changed(partner=leaving)
    deliver_all()
    handshake.unregister(partner=leaving)
    assert hubclientinfo.published(tenant=hub).get(party_id="CPA").status == "SUSPENDED"
    Delivery.objects.filter(status=DeliveryStatus.DELIVERED).delete()
    assert deliver_all() == [DeliveryStatus.DELIVERED]
    assert Delivery.objects.get().partner == other
    assert json.loads(peer.requests[-1]["body"])["status"] == "SUSPENDED"


def test_a_suspended_partner_is_published_offline_and_an_unchanged_status_is_not_pushed_again(hub, peer):
    with_endpoint(hub, peer, "FR:EMB:EMSP", module="hubclientinfo", name="other")
    partner = with_endpoint(hub, peer, "DE:CPA:CPO", module="hubclientinfo", name="paused")
    hubclientinfo.connection_changed(partner=partner)
    assert hubclientinfo.connection_changed(partner=partner) is None
    assert Delivery.objects.count() == 1
    partner.set_status(PartnerStatus.SUSPENDED)
    partner.save()
    [changed] = hubclientinfo.publish_connection(tenant=hub, partner=partner)
    assert (changed.party_id, changed.status) == ("CPA", "OFFLINE")


def test_a_tenant_that_is_no_hub_publishes_nothing(cpo_tenant, peer):
    with_endpoint(cpo_tenant, peer, "FR:EMB:EMSP", module="hubclientinfo", name="other")
    partner = with_endpoint(cpo_tenant, peer, "DE:CPA:CPO", module="hubclientinfo", name="joining")
    assert hubclientinfo.publish_connection(tenant=cpo_tenant, partner=partner) == []
    assert not ClientInfo.objects.exists() and not Delivery.objects.exists()


def test_a_credentials_update_keeps_the_parties_a_hub_reported_connected(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "NL:HUB:HUB", name="hub")
    data = {"country_code": "DE", "party_id": "EMS", "role": "EMSP", "status": "CONNECTED"}
    data["last_updated"] = "2026-11-29T08:00:00Z"
    hubclientinfo.put_client_info(tenant=cpo_tenant, partner=partner, country_code="DE", party_id="EMS", data=data)
    PartnerParty.objects.filter(partner=partner).exclude(role="HUB").delete()  # what a credentials exchange does
    assert hubclientinfo.restore_served_parties(partner=partner) == 1
    assert {str(p) for p in PartnerParty.objects.filter(partner=partner)} == {"NL*HUB HUB", "DE*EMS EMSP"}


def test_a_hubs_client_info_list_is_pulled(cpo_tenant, peer):
    partner = with_endpoint(cpo_tenant, peer, "NL:HUB:HUB", module="hubclientinfo", role="SENDER", name="hub")
    info = {"country_code": "DE", "party_id": "EMS", "role": "EMSP", "status": "CONNECTED"}
    peer.ok("/hubclientinfo/hub", [{**info, "last_updated": "2026-11-29T08:00:00Z"}])
    [state] = sync.ensure_sync_states(partner=partner)
    result = sync.pull(state_id=state.pk)
    assert (result.complete, result.objects, result.rejected) == (True, 1, 0)
    assert str(hubclientinfo.received_from(tenant=cpo_tenant, partner=partner).get()) == "DE*EMS EMSP CONNECTED"
    assert "DE*EMS EMSP" in {str(p) for p in PartnerParty.objects.filter(partner=partner)}
    assert "OCPI-to-party-id" not in peer.requests[0]["headers"]


def test_pushes_to_a_hub_are_broadcast_from_the_owner_to_the_hubs_party(cpo_tenant, peer):
    partner = with_endpoint(cpo_tenant, peer, "NL:HUB:HUB", "DE:EMS:EMSP", module="locations", name="hub")
    peer.ok("/locations/hub/NL/CPO/LOC1", None)
    wire = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPO", "id": "LOC1"}
    data = get_dialect("2.2.1").module("locations").from_wire(wire, level="location", owner=("NL", "CPO"))
    with transaction.atomic():
        locations.put_location(
            tenant=cpo_tenant, partner=None, country_code="NL", party_id="CPO", location_id="LOC1", data=data
        )
    assert Delivery.objects.get().partner == partner
    assert deliver_all() == [DeliveryStatus.DELIVERED]
    headers = peer.requests[0]["headers"]
    assert (headers["OCPI-from-country-code"], headers["OCPI-from-party-id"]) == ("NL", "CPO")
    assert (headers["OCPI-to-country-code"], headers["OCPI-to-party-id"]) == ("NL", "HUB")


ADDRESSED = "hubtestaddressed"
outbox.register_pushable(
    outbox.Pushable(
        ADDRESSED,
        build=lambda delivery, dialect: outbox.OutgoingRequest(
            "POST", "", body={}, from_party=PartyRef("NL", "CPO"), to_party=PartyRef("DE", "EMS")
        ),
    )
)


@pytest.mark.parametrize("status, sent", [("CONNECTED", True), ("OFFLINE", False), ("SUSPENDED", False)])
def test_a_push_to_a_party_the_hub_reports_unreachable_fails_4003_unsent(cpo_tenant, peer, status, sent):
    partner = with_endpoint(cpo_tenant, peer, "NL:HUB:HUB", module=ADDRESSED, name="hub")
    peer.ok(f"/{ADDRESSED}/hub", None)
    data = {"country_code": "DE", "party_id": "EMS", "role": "EMSP", "status": status}
    data["last_updated"] = "2026-11-29T08:00:00Z"
    hubclientinfo.put_client_info(tenant=cpo_tenant, partner=partner, country_code="DE", party_id="EMS", data=data)
    with transaction.atomic():
        outbox.record_change(tenant=cpo_tenant, module=ADDRESSED, object_path="X1", method="POST")
    deliver_all()
    delivery = Delivery.objects.get()
    assert bool(peer.requests) is sent
    if sent:
        assert peer.requests[0]["headers"]["OCPI-to-party-id"] == "EMS"
        assert delivery.status == DeliveryStatus.DELIVERED
    else:
        assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 4003)
        assert delivery.last_error == f"OCPI 4003: DE*EMS is {status} according to the hub"


def test_a_pull_of_a_functional_module_from_a_hub_is_a_get_all_via_the_hub(cpo_tenant, peer):
    partner = with_endpoint(cpo_tenant, peer, "NL:HUB:HUB", "DE:EMS:EMSP", module="tokens", role="SENDER", name="hub")
    peer.ok("/tokens/hub", [])
    [state] = sync.ensure_sync_states(partner=partner)
    assert sync.pull(state_id=state.pk).complete
    headers = peer.requests[0]["headers"]
    assert (headers["OCPI-to-country-code"], headers["OCPI-to-party-id"]) == ("NL", "HUB")
    assert (headers["OCPI-from-country-code"], headers["OCPI-from-party-id"]) == ("NL", "CPO")


def test_suspending_and_resuming_a_partner_of_a_hub_pushes_offline_then_connected(hub, peer):
    other = with_endpoint(hub, peer, "FR:EMB:EMSP", module="hubclientinfo", name="other")
    partner = with_endpoint(hub, peer, "DE:CPA:CPO", module="hubclientinfo", name="paused")
    hubclientinfo.connection_changed(partner=partner)
    assert handshake.suspend(partner=partner)
    assert not handshake.suspend(partner=partner)
    assert hubclientinfo.published(tenant=hub).get(party_id="CPA").status == "OFFLINE"
    assert handshake.suspend(partner=partner, suspended=False)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED and partner.suspended_at is not None
    assert hubclientinfo.published(tenant=hub).get(party_id="CPA").status == "CONNECTED"
    # The three changes folded into the one pending delivery to the other partner, which sends the newest.
    assert list(Delivery.objects.values_list("partner", "changes")) == [(other.pk, 3)]


def test_a_command_through_a_hub_is_addressed_to_the_cpo_that_owns_the_location(emsp_tenant, peer):
    from roaming.services import commands

    hub = with_endpoint(emsp_tenant, peer, "NL:HUB:HUB", "NL:CPA:CPO", "BE:CPB:CPO", module="commands", name="hub")
    wire = {**example_221("location_example.json"), "country_code": "BE", "party_id": "CPB", "id": "LOC1"}
    data = get_dialect("2.2.1").module("locations").from_wire(wire, level="location", owner=("BE", "CPB"))
    locations.put_location(
        tenant=emsp_tenant, partner=hub, country_code="BE", party_id="CPB", location_id="LOC1", data=data
    )
    peer.ok("/commands/hub/START_SESSION", {"result": "ACCEPTED", "timeout": 30})
    request = {"token": commands.token_request(own_token(emsp_tenant)), "location_id": "LOC1", "evse_uid": "3256"}
    commands.send_command(tenant=emsp_tenant, partner=hub, command="START_SESSION", request=request)
    headers = peer.requests[-1]["headers"]
    assert (headers["OCPI-to-country-code"], headers["OCPI-to-party-id"]) == ("BE", "CPB")
    assert (headers["OCPI-from-country-code"], headers["OCPI-from-party-id"]) == ("DE", "EMS")


def test_a_charging_profile_through_a_hub_is_addressed_to_the_cpo_that_owns_the_session(emsp_tenant, peer):
    from roaming.models import Session
    from roaming.services import chargingprofiles

    hub = with_endpoint(
        emsp_tenant, peer, "NL:HUB:HUB", "NL:CPA:CPO", "BE:CPB:CPO", module="chargingprofiles", name="hub"
    )
    Session.objects.create(
        tenant=emsp_tenant,
        partner=hub,
        country_code="BE",
        party_id="CPB",
        session_id="S1",
        start_date_time="2026-11-29T08:00:00Z",
        kwh=0,
        cdr_token={"country_code": "DE", "party_id": "EMS", "uid": "U1", "type": "RFID", "contract_id": "C1"},
        auth_method="WHITELIST",
        location_id="LOC1",
        evse_uid="E1",
        connector_id="1",
        currency="EUR",
        status="ACTIVE",
        last_updated="2026-11-29T08:00:00Z",
    )
    peer.ok("/chargingprofiles/hub/S1", {"result": "ACCEPTED", "timeout": 30})
    chargingprofiles.clear_profile(tenant=emsp_tenant, partner=hub, session_id="S1")
    headers = peer.requests[-1]["headers"]
    assert (headers["OCPI-to-country-code"], headers["OCPI-to-party-id"]) == ("BE", "CPB")


def test_a_command_to_a_cpo_the_hub_reports_offline_is_not_sent(emsp_tenant, peer):
    from roaming.models import CommandStatus
    from roaming.services import commands

    hub = with_endpoint(emsp_tenant, peer, "NL:HUB:HUB", "BE:CPB:CPO", module="commands", name="hub")
    data = {"country_code": "BE", "party_id": "CPB", "role": "CPO", "status": "OFFLINE"}
    data["last_updated"] = "2026-11-29T08:00:00Z"
    hubclientinfo.put_client_info(tenant=emsp_tenant, partner=hub, country_code="BE", party_id="CPB", data=data)
    request = {"token": commands.token_request(own_token(emsp_tenant)), "location_id": "LOC1"}
    command = commands.send_command(tenant=emsp_tenant, partner=hub, command="START_SESSION", request=request)
    assert command.status == CommandStatus.FAILED
    assert command.error == "OCPI 4003: BE*CPB is OFFLINE according to the hub"
    assert peer.requests == []
