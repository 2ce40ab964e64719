"""The Session admin's charging profile actions, the request admin's history, and the charging_profile command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from roaming.models import ChargingProfileRequest, Session
from tests.bodies import SESSION
from tests.factories import chargingprofiles_cpo


def partner_session(tenant, partner, session_id="S1"):
    return Session.objects.create(
        tenant=tenant,
        partner=partner,
        country_code="NL",
        party_id="CPO",
        session_id=session_id,
        start_date_time=SESSION["start_date_time"],
        kwh=0,
        cdr_token=SESSION["cdr_token"],
        auth_method="COMMAND",
        location_id="LOC1",
        evse_uid="3256",
        connector_id="1",
        currency="EUR",
        status="ACTIVE",
        last_updated=SESSION["last_updated"],
    )


def act(client, action, session, **values):
    data = {"action": action, "_selected_action": [session.pk], **values}
    return client.post("/admin/roaming/session/", data, follow=True).content.decode()


def test_set_action_sends_the_limit_from_the_form(client, emsp_operator, emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    session = partner_session(emsp_tenant, partner)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    page = act(client, "set_charging_profile", session, limit="11000", unit="W")
    assert "SET charging profile S1: accepted, waiting for the charge point" in page
    assert json.loads(peer.requests[-1]["body"])["charging_profile"] == {
        "charging_rate_unit": "W",
        "charging_profile_period": [{"start_period": 0, "limit": 11000.0}],
    }


def test_get_and_clear_actions_use_their_defaults(client, emsp_operator, emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    session = partner_session(emsp_tenant, partner)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    act(client, "get_active_charging_profile", session)
    assert "duration=900" in peer.requests[-1]["path"]
    act(client, "clear_charging_profile", session)
    assert peer.requests[-1]["method"] == "DELETE"
    assert list(ChargingProfileRequest.objects.order_by("pk").values_list("kind", flat=True)) == ["GET", "CLEAR"]


def test_an_action_on_a_2_1_1_partners_session_says_it_is_not_supported(client, emsp_operator, emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer, version="2.1.1")
    session = partner_session(emsp_tenant, partner)
    page = act(client, "set_charging_profile", session)
    assert "SET charging profile S1: not supported (OCPI 2.1.1 of cpo has no charging profiles)" in page
    assert peer.requests == []


def test_request_page_lists_its_history(client, emsp_operator, emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    request = ChargingProfileRequest.objects.create(
        tenant=emsp_tenant, partner=partner, direction="SENT", kind="CLEAR", session_id="S1"
    )
    request.log("requested", "to cpo")
    request.save()
    page = client.get(f"/admin/roaming/chargingprofilerequest/{request.pk}/change/").content.decode()
    assert "<b>requested</b> to cpo" in page
    assert client.get("/admin/roaming/chargingprofilerequest/").status_code == 200
    assert client.get("/admin/roaming/activechargingprofile/").status_code == 200


def run(*args) -> str:
    out = StringIO()
    call_command("charging_profile", *args, stdout=out)
    return out.getvalue()


def test_command_sets_a_profile_and_prints_the_answer(emsp_tenant, peer):
    chargingprofiles_cpo(emsp_tenant, peer)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    out = run("emsp", "cpo", "set", "S1", "--limit", "10", "--unit", "A")
    assert out.strip() == "SET S1 at cpo: accepted, waiting for the charge point; answer ACCEPTED (timeout 30 s)"
    assert json.loads(peer.requests[-1]["body"])["charging_profile"]["charging_profile_period"][0]["limit"] == 10.0


def test_command_get_prints_json_and_fails_for_a_2_1_1_partner(emsp_tenant, peer):
    chargingprofiles_cpo(emsp_tenant, peer)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    data = json.loads(run("emsp", "cpo", "get", "S1", "--duration", "60", "--json"))
    assert (data["kind"], data["status"], data["uid"]) == ("GET", "ACCEPTED", ChargingProfileRequest.objects.get().uid)
    chargingprofiles_cpo(emsp_tenant, peer, version="2.1.1", name="old")
    with pytest.raises(CommandError, match="not supported: OCPI 2.1.1 of old has no charging profiles"):
        run("emsp", "old", "clear", "S1")
