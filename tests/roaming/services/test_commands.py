"""Commands services against a scripted partner: sending (eMSP), forwarding results (CPO), timeouts, simulator."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from partners.models import Partner
from roaming.models import Command, CommandDirection, CommandStatus, Delivery, DeliveryStatus, Session
from roaming.services import chargepoint, commands, outbox
from tests.bodies import COMMANDS_221
from tests.factories import auth, commands_cpo, make_partner, own_location, own_token

START = {"location_id": "LOC1", "evse_uid": "3256", "connector_id": "1", "authorization_reference": "AUTH1"}


def start_request(tenant):
    return {**START, "token": commands.token_request(own_token(tenant))}


def sent_body(peer) -> dict:
    return json.loads(peer.requests[-1]["body"])


# -- eMSP side ---------------------------------------------------------------------------------------------


def test_send_posts_the_command_with_our_response_url_and_records_the_accepted_answer(emsp_tenant, peer, settings):
    settings.OCPI_BASE_URL = "https://roaming.example.com"
    partner, _ = commands_cpo(emsp_tenant, peer)
    peer.ok("/commands/START_SESSION", {"result": "ACCEPTED", "timeout": 30})
    before = timezone.now()

    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="START_SESSION", request=start_request(emsp_tenant)
    )

    assert command.status == CommandStatus.ACCEPTED
    assert (command.response_result, command.response_timeout) == ("ACCEPTED", 30)
    assert before + timedelta(seconds=29) < command.deadline < timezone.now() + timedelta(seconds=31)
    assert command.response_url == (
        f"https://roaming.example.com/ocpi/emsp/2.2.1/sender/commands/START_SESSION/{command.uid}"
    )
    assert len(command.uid) >= 32
    body = sent_body(peer)
    assert body["response_url"] == command.response_url
    assert (body["location_id"], body["evse_uid"], body["connector_id"]) == ("LOC1", "3256", "1")
    assert body["authorization_reference"] == "AUTH1"
    assert body["token"]["uid"] == "012345678" and body["token"]["country_code"] == "DE"
    assert peer.requests[-1]["headers"]["OCPI-to-party-id"] == "CPO"
    assert [step["event"] for step in command.history] == ["requested", "answered"]


def test_a_rejected_answer_ends_the_command_with_its_message(emsp_tenant, peer):
    partner, _ = commands_cpo(emsp_tenant, peer)
    message = [{"language": "en", "text": "Charge point offline"}]
    peer.ok("/commands/UNLOCK_CONNECTOR", {"result": "REJECTED", "timeout": 30, "message": message})
    command = commands.send_command(
        tenant=emsp_tenant,
        partner=partner,
        command="UNLOCK_CONNECTOR",
        request={"location_id": "LOC1", "evse_uid": "3256", "connector_id": "1"},
    )
    assert (command.status, command.response_message) == (CommandStatus.REJECTED, message)
    assert not command.is_waiting


def test_2_1_1_partner_gets_no_cancel_reservation_request_and_it_is_not_supported(emsp_tenant, peer):
    partner, _ = commands_cpo(emsp_tenant, peer, version="2.1.1")
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="CANCEL_RESERVATION", request={"reservation_id": "R1"}
    )
    assert command.status == CommandStatus.NOT_SUPPORTED
    assert command.response_message[0]["text"] == "OCPI 2.1.1 has no CANCEL_RESERVATION command"
    assert peer.requests == []


def test_2_1_1_answer_has_no_timeout_so_the_setting_sets_the_deadline(emsp_tenant, peer, settings):
    settings.COMMAND_RESULT_TIMEOUT_SECONDS = 90
    partner, _ = commands_cpo(emsp_tenant, peer, version="2.1.1")
    peer.ok("/commands/STOP_SESSION", {"result": "ACCEPTED"})
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="STOP_SESSION", request={"session_id": "S1"}
    )
    assert (command.status, command.response_timeout) == (CommandStatus.ACCEPTED, None)
    assert timezone.now() + timedelta(seconds=85) < command.deadline
    assert "/2.1.1/sender/commands/STOP_SESSION/" in sent_body(peer)["response_url"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((500, {}, "boom"), "HTTP 500"),
        (
            (200, {}, {"status_code": 2001, "status_message": "token missing", "timestamp": "2026-01-01T00:00:00Z"}),
            "2001",
        ),
        (
            (200, {}, {"data": {"result": "PERHAPS"}, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}),
            "result",
        ),
    ],
)
def test_a_failed_request_or_a_nonsense_answer_makes_the_command_failed(emsp_tenant, peer, answer, expected):
    partner, _ = commands_cpo(emsp_tenant, peer)
    peer.routes["/commands/STOP_SESSION"] = answer
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="STOP_SESSION", request={"session_id": "S1"}
    )
    assert command.status == CommandStatus.FAILED
    assert expected in command.error


def test_an_invalid_request_is_never_sent(emsp_tenant, peer):
    partner, _ = commands_cpo(emsp_tenant, peer)
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="UNLOCK_CONNECTOR", request={"location_id": "LOC1"}
    )
    assert command.status == CommandStatus.FAILED
    assert "evse_uid: required field is missing" in command.error
    assert peer.requests == []


def test_a_partner_without_a_commands_receiver_fails_without_a_request(emsp_tenant, peer):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="bare", token_to_them="t")
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="STOP_SESSION", request={"session_id": "S1"}
    )
    assert command.status == CommandStatus.FAILED and "no commands receiver" in command.error


def test_the_result_posted_at_the_response_url_completes_the_sent_command(emsp_tenant, peer, client):
    partner, token = commands_cpo(emsp_tenant, peer)
    peer.ok("/commands/STOP_SESSION", {"result": "ACCEPTED", "timeout": 30})
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="STOP_SESSION", request={"session_id": "S1"}
    )
    path = command.response_url.removeprefix("http://127.0.0.1:8000")
    assert client.post(path, {"result": "ACCEPTED"}, content_type="application/json", **auth(token)).status_code == 200
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.COMPLETED, "ACCEPTED")


# -- timeouts ----------------------------------------------------------------------------------------------


def waiting(tenant, partner, direction, *, overdue=True, **fields):
    return Command.objects.create(
        tenant=tenant,
        partner=partner,
        direction=direction,
        command="STOP_SESSION",
        request={"session_id": "S1"},
        status=CommandStatus.ACCEPTED,
        deadline=timezone.now() + timedelta(seconds=-1 if overdue else 60),
        **fields,
    )


def test_expire_marks_only_overdue_waiting_commands_as_timeout(emsp_tenant, peer, django_capture_on_commit_callbacks):
    partner, _ = commands_cpo(emsp_tenant, peer)
    overdue = waiting(emsp_tenant, partner, CommandDirection.SENT)
    fresh = waiting(emsp_tenant, partner, CommandDirection.SENT, overdue=False)
    done = waiting(emsp_tenant, partner, CommandDirection.SENT, result="ACCEPTED")
    Command.objects.filter(pk=done.pk).update(status=CommandStatus.COMPLETED)

    with django_capture_on_commit_callbacks() as callbacks:
        assert commands.expire_overdue() == 1
    assert callbacks == []  # nothing to tell anyone about a command we sent
    statuses = dict(Command.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: "TIMEOUT", fresh.pk: "ACCEPTED", done.pk: "COMPLETED"}
    assert commands.expire_overdue() == 0


def test_expire_tells_the_emsp_of_a_received_command_that_the_charge_point_never_answered(
    cpo_tenant, emsp_partner, peer, eager, django_capture_on_commit_callbacks
):
    partner, _ = emsp_partner
    partner.token_to_them = "their-token"
    partner.save()
    peer.ok("/results/1", None)
    command = waiting(cpo_tenant, partner, CommandDirection.RECEIVED, response_url=f"{peer.url}/results/1")
    with django_capture_on_commit_callbacks(execute=True):
        commands.expire_overdue()
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.TIMEOUT, "TIMEOUT")
    assert sent_body(peer) == {"result": "TIMEOUT"}


def test_beat_runs_the_expiry_task(emsp_tenant, peer, settings):
    from roaming.tasks import expire_commands_task

    assert settings.CELERY_BEAT_SCHEDULE["expire-commands"]["task"] == expire_commands_task.name
    partner, _ = commands_cpo(emsp_tenant, peer)
    command = waiting(emsp_tenant, partner, CommandDirection.SENT)
    assert expire_commands_task.apply().get() == 1
    command.refresh_from_db()
    assert command.status == CommandStatus.TIMEOUT
    assert command.history[-1]["event"] == "timed out"


# -- CPO side: forwarding the charge point's result ---------------------------------------------------------


def received(tenant, partner, peer, command="START_SESSION", request=None):
    return Command.objects.create(
        tenant=tenant,
        partner=partner,
        direction=CommandDirection.RECEIVED,
        command=command,
        request=request or {},
        response_url=f"{peer.url}/results/1",
        status=CommandStatus.ACCEPTED,
        deadline=timezone.now() + timedelta(seconds=60),
    )


def test_charge_point_result_is_recorded_once_and_posted_in_the_partners_version(
    cpo_tenant, reachable_emsp, peer, eager, django_capture_on_commit_callbacks
):
    peer.ok("/results/1", None)
    command = received(cpo_tenant, reachable_emsp, peer)
    with django_capture_on_commit_callbacks(execute=True):
        commands.charge_point_result(command_id=command.pk, result="EVSE_OCCUPIED")
    assert commands.charge_point_result(command_id=command.pk, result="ACCEPTED") is None
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.COMPLETED, "EVSE_OCCUPIED")
    assert sent_body(peer) == {"result": "EVSE_OCCUPIED"}
    assert peer.requests[-1]["headers"]["OCPI-to-party-id"] == "EMS"
    assert len(peer.requests) == 1
    assert command.history[-1]["event"] == "result delivered"


def test_cpo_cancels_an_accepted_reservation_and_the_emsp_is_told(
    cpo_tenant, reachable_emsp, peer, eager, django_capture_on_commit_callbacks
):
    peer.ok("/results/1", None)
    reservation = received(cpo_tenant, reachable_emsp, peer, command="RESERVE_NOW", request={"reservation_id": "R1"})
    Command.objects.filter(pk=reservation.pk).update(response_result="ACCEPTED", status="COMPLETED", result="ACCEPTED")
    with django_capture_on_commit_callbacks(execute=True):
        assert commands.cancel_reservation(tenant=cpo_tenant, command_id=reservation.pk) is not None
    assert commands.cancel_reservation(tenant=cpo_tenant, command_id=reservation.pk) is None
    reservation.refresh_from_db()
    assert reservation.result == "CANCELED_RESERVATION"
    assert sent_body(peer) == {"result": "CANCELED_RESERVATION"}


def result_delivery(command) -> Delivery:
    return Delivery.objects.get(module="commands", object_path=str(command.pk))


def deliver_result(command) -> Delivery:
    """Send the result's delivery once, as a worker would."""
    outbox.deliver(delivery_id=result_delivery(command).pk)
    return result_delivery(command)


def test_2_1_1_emsp_gets_the_result_as_a_command_response(cpo_tenant, peer):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="old", version="2.1.1", token_to_them="t")
    peer.ok("/results/1", None)
    command = received(cpo_tenant, partner, peer)
    commands.charge_point_result(command_id=command.pk, result="EVSE_INOPERATIVE")
    assert deliver_result(command).status == DeliveryStatus.DELIVERED
    assert sent_body(peer) == {"result": "REJECTED"}


def test_the_result_is_owed_durably_before_any_queue_hears_of_it(cpo_tenant, reachable_emsp, peer):
    """The result is a delivery row committed with the command's completion: a broker down at that moment
    loses nothing, the sweep sends it."""
    command = received(cpo_tenant, reachable_emsp, peer)
    commands.charge_point_result(command_id=command.pk, result="ACCEPTED")  # no on-commit callback runs here
    delivery = result_delivery(command)
    assert (delivery.status, delivery.method, delivery.partner_id) == (
        DeliveryStatus.PENDING,
        "POST",
        reachable_emsp.pk,
    )
    assert Command.objects.get(pk=command.pk).history[-1]["event"] == "result owed to the eMSP"
    assert peer.requests == []


def test_a_result_the_emsp_could_not_take_is_retried_by_the_partners_policy_and_logged(
    cpo_tenant, reachable_emsp, peer
):
    peer.routes["/results/1"] = (503, {}, "down")
    command = received(cpo_tenant, reachable_emsp, peer)
    commands.charge_point_result(command_id=command.pk, result="ACCEPTED")
    delivery = deliver_result(command)
    assert (delivery.status, delivery.attempts, delivery.last_http_status) == (DeliveryStatus.PENDING, 1, 503)
    command.refresh_from_db()
    assert command.history[-1]["event"] == "result not delivered" and "503" in command.history[-1]["detail"]

    Partner.objects.filter(pk=reachable_emsp.pk).update(retry_horizon=0)  # the partner's policy: no retries
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver_result(command).status == DeliveryStatus.FAILED


def test_a_result_the_emsp_refuses_is_not_retried(cpo_tenant, reachable_emsp, peer):
    peer.fail("/results/1", 2001, "unknown command")
    command = received(cpo_tenant, reachable_emsp, peer)
    commands.charge_point_result(command_id=command.pk, result="ACCEPTED")
    delivery = deliver_result(command)
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 2001)


# -- the simulator ------------------------------------------------------------------------------------------


def test_simulator_dispatch_schedules_the_answer_with_a_countdown(
    cpo_tenant, reachable_emsp, peer, settings, monkeypatch
):
    settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS = 7
    scheduled = []
    monkeypatch.setattr(
        "roaming.tasks.simulate_charge_point_task.apply_async",
        lambda args, countdown, **options: scheduled.append((args, countdown)),
    )
    command = received(cpo_tenant, reachable_emsp, peer)
    chargepoint.backend().dispatch(command)
    settings.CHARGE_POINT_SIMULATOR_RESULT = "NO_ANSWER"
    chargepoint.backend().dispatch(command)
    assert scheduled == [((command.pk,), 7)]


def test_simulated_accepted_start_session_starts_an_active_session_by_command(
    cpo_tenant, reachable_emsp, peer, eager, django_capture_on_commit_callbacks
):
    own_location(cpo_tenant)
    peer.ok("/results/1", None)
    request, _ = commands_221().request_from_wire(
        "START_SESSION",
        {**COMMANDS_221["START_SESSION"], "location_id": "LOC1", "evse_uid": "3257", "connector_id": "1"},
    )
    command = received(cpo_tenant, reachable_emsp, peer, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        chargepoint.simulate(command_id=command.pk)
    session = Session.objects.get(tenant=cpo_tenant)
    assert (session.status, session.auth_method, session.authorization_reference) == ("ACTIVE", "COMMAND", "AUTH1")
    assert (session.location_id, session.evse_uid, session.connector_id) == ("LOC1", "3257", "1")
    assert session.cdr_token["uid"] == "012345678" and session.cdr_token["party_id"] == "EMS"
    assert sent_body(peer) == {"result": "ACCEPTED"}

    stop = received(
        cpo_tenant, reachable_emsp, peer, command="STOP_SESSION", request={"session_id": session.session_id}
    )
    with django_capture_on_commit_callbacks(execute=True):
        chargepoint.simulate(command_id=stop.pk)
    session.refresh_from_db()
    assert session.status == "COMPLETED" and session.end_date_time is not None


def test_simulated_start_where_the_location_is_gone_answers_evse_inoperative(cpo_tenant, reachable_emsp, peer):
    command = received(cpo_tenant, reachable_emsp, peer, request={**START, "token": {}})
    chargepoint.simulate(command_id=command.pk)
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.COMPLETED, "EVSE_INOPERATIVE")
    assert chargepoint.simulate(command_id=command.pk) is None  # answered once only
    assert not Session.objects.exists()


def test_simulated_rejection_starts_nothing(cpo_tenant, reachable_emsp, peer, settings):
    settings.CHARGE_POINT_SIMULATOR_RESULT = "REJECTED"
    own_location(cpo_tenant)
    command = received(cpo_tenant, reachable_emsp, peer, request={**START, "token": {}})
    chargepoint.simulate(command_id=command.pk)
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.COMPLETED, "REJECTED")
    assert not Session.objects.exists()


def commands_221():
    from roaming.ocpi.dialects import get_dialect

    return get_dialect("2.2.1").module("commands")
