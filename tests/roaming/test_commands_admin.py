"""The Command admin shows a command's steps; the Session admin's action asks the CPO to stop a session."""

import json

from roaming.models import Command, CommandStatus, Session
from tests.bodies import SESSION
from tests.factories import commands_cpo


def test_command_page_lists_its_history(client, emsp_operator, emsp_tenant, peer):
    partner, _ = commands_cpo(emsp_tenant, peer)
    command = Command.objects.create(tenant=emsp_tenant, partner=partner, direction="SENT", command="STOP_SESSION")
    command.log("requested", "to cpo")
    command.log("answered", "ACCEPTED")
    command.save()
    page = client.get(f"/admin/roaming/command/{command.pk}/change/").content.decode()
    assert "<b>requested</b> to cpo" in page and "<b>answered</b> ACCEPTED" in page
    assert client.get("/admin/roaming/command/").status_code == 200


def test_stop_session_action_sends_stop_session_to_the_cpo_partner(client, emsp_operator, emsp_tenant, peer):
    partner, _ = commands_cpo(emsp_tenant, peer)
    peer.ok("/commands/STOP_SESSION", {"result": "ACCEPTED", "timeout": 30})
    session = Session.objects.create(
        tenant=emsp_tenant,
        partner=partner,
        country_code="NL",
        party_id="CPO",
        session_id="S1",
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
    response = client.post(
        "/admin/roaming/session/", {"action": "stop_session", "_selected_action": [session.pk]}, follow=True
    )
    assert "STOP_SESSION S1: accepted, waiting for the charge point" in response.content.decode()
    assert json.loads(peer.requests[-1]["body"])["session_id"] == "S1"
    assert Command.objects.get().status == CommandStatus.ACCEPTED
