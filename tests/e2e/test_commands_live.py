"""An eMSP tenant's remote start and stop reach a CPO tenant of the same platform over real HTTP; the
simulated charge point accepts through a real worker, and the results come back to the eMSP's response_url."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q

from partners.models import Partner
from roaming.models import Command, CommandDirection, CommandStatus, Session
from roaming.services import commands
from tests.factories import connect_tenants, make_commandable, make_tenant, own_location, own_token
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_remote_start_and_stop_complete_with_the_charge_points_result(celery_worker, live_server, settings, version):
    settings.OCPI_BASE_URL = live_server.url
    settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS = 0.5
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, version)
    at_emsp = Partner.objects.for_tenant(emsp).get(name="cpo")
    make_commandable(own_location(cpo))
    token = own_token(emsp)

    start = commands.send_command(
        tenant=emsp,
        partner=at_emsp,
        command="START_SESSION",
        request={"location_id": "LOC1", "evse_uid": "3256", "token": commands.token_request(token)},
    )
    assert (start.status, start.response_result) == (CommandStatus.ACCEPTED, "ACCEPTED")

    start = wait_for(lambda: Command.objects.filter(pk=start.pk, status=CommandStatus.COMPLETED).first(), timeout=60)
    assert start.result == "ACCEPTED"
    received = Command.objects.get(tenant=cpo, direction=CommandDirection.RECEIVED)
    assert (received.partner.tenant, received.command, received.result) == (cpo, "START_SESSION", "ACCEPTED")
    assert received.response_url == start.response_url
    # The CPO logs the delivery once the eMSP has answered the POST, which may be after the eMSP recorded it.
    wait_for(lambda: any(s["event"] == "result delivered" for s in Command.objects.get(pk=received.pk).history))
    # The started session reaches the eMSP through the sessions push.
    session = wait_for(lambda: Session.objects.filter(tenant=emsp, status="ACTIVE").first(), timeout=60)
    assert (session.location_id, session.evse_uid, session.cdr_token["uid"]) == ("LOC1", "3256", token.uid)

    stop = commands.send_command(
        tenant=emsp, partner=at_emsp, command="STOP_SESSION", request={"session_id": session.session_id}
    )
    assert stop.status == CommandStatus.ACCEPTED
    stop = wait_for(lambda: Command.objects.filter(pk=stop.pk, status=CommandStatus.COMPLETED).first(), timeout=60)
    assert stop.result == "ACCEPTED"
    wait_for(lambda: Session.objects.get(tenant=emsp, session_id=session.session_id).status == "COMPLETED", timeout=60)


def test_send_command_waits_for_the_result(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS = 0.5
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, "2.2.1")
    make_commandable(own_location(cpo))
    out = StringIO()
    args = ["emsp", "cpo", "UNLOCK_CONNECTOR", "--location", "LOC1", "--evse", "3256", "--connector", "2", "--wait"]
    call_command("send_command", *args, stdout=out)
    first, last = out.getvalue().splitlines()
    assert first.startswith("UNLOCK_CONNECTOR to cpo: accepted")
    assert last.endswith("result ACCEPTED")


def test_a_command_the_charge_point_never_answers_ends_as_timeout(celery_worker, live_server, settings):
    """No result within the timeout the CPO gave: beat ends the command TIMEOUT on both sides, no sleep."""
    settings.OCPI_BASE_URL = live_server.url
    settings.CHARGE_POINT_SIMULATOR_RESULT = "NO_ANSWER"
    settings.COMMAND_RESULT_TIMEOUT_SECONDS = 2  # what the CPO answers as its timeout
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, "2.2.1")
    at_emsp = Partner.objects.for_tenant(emsp).get(name="cpo")
    make_commandable(own_location(cpo))
    token = own_token(emsp)

    start = commands.send_command(
        tenant=emsp,
        partner=at_emsp,
        command="START_SESSION",
        request={"location_id": "LOC1", "evse_uid": "3256", "token": commands.token_request(token)},
    )
    assert (start.status, start.response_timeout) == (CommandStatus.ACCEPTED, 2)
    # Whichever comes first ends it: the eMSP's own deadline (status TIMEOUT), or the CPO's TIMEOUT result.
    timed_out = Q(status=CommandStatus.TIMEOUT) | Q(result="TIMEOUT")
    wait_for(lambda: Command.objects.filter(timed_out, pk=start.pk).exists(), timeout=60)
    received = Command.objects.get(tenant=cpo, direction=CommandDirection.RECEIVED)
    wait_for(lambda: Command.objects.get(pk=received.pk).status == CommandStatus.TIMEOUT, timeout=60)
    assert not Session.objects.exists()
