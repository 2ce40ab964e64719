"""Charging profiles services against a scripted partner: sending (eMSP), results, timeouts, the CPO side, simulator."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from partners.models import PartnerEndpoint
from roaming.models import (
    ActiveChargingProfile,
    ChargingProfileDirection,
    ChargingProfileRequest,
    ChargingProfileStatus,
    Delivery,
    DeliveryStatus,
)
from roaming.services import chargepoint, chargingprofiles, outbox
from tests.factories import auth, chargingprofiles_cpo, make_partner, own_location, own_session

PROFILE = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 10.0}]}
ACTIVE = {"start_date_time": "2026-03-01T10:05:00Z", "charging_profile": {**PROFILE, "duration": 900}}


def last_query(peer) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(peer.requests[-1]["path"]).query).items()}


# -- eMSP side ---------------------------------------------------------------------------------------------


def test_set_puts_the_profile_with_our_response_url_and_records_the_accepted_answer(emsp_tenant, peer, settings):
    settings.OCPI_BASE_URL = "https://roaming.example.com"
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    before = timezone.now()

    request = chargingprofiles.set_profile(tenant=emsp_tenant, partner=partner, session_id="S1", profile=PROFILE)

    assert (request.status, request.response_result, request.response_timeout) == ("ACCEPTED", "ACCEPTED", 30)
    assert before + timedelta(seconds=29) < request.deadline < timezone.now() + timedelta(seconds=31)
    assert request.response_url == (
        f"https://roaming.example.com/ocpi/emsp/2.2.1/sender/chargingprofiles/SET/{request.uid}"
    )
    sent = peer.requests[-1]
    assert (sent["method"], sent["path"]) == ("PUT", "/cp/S1")
    assert json.loads(sent["body"]) == {"charging_profile": PROFILE, "response_url": request.response_url}
    assert (sent["headers"]["OCPI-to-party-id"], sent["headers"]["OCPI-from-party-id"]) == ("CPO", "EMS")
    assert [step["event"] for step in request.history] == ["requested", "answered"]


def test_get_and_clear_carry_their_parameters_in_the_query(emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})

    get = chargingprofiles.get_active_profile(tenant=emsp_tenant, partner=partner, session_id="S1", duration=900)
    assert peer.requests[-1]["method"] == "GET"
    assert last_query(peer) == {"duration": "900", "response_url": get.response_url}
    assert get.response_url.endswith(f"/sender/chargingprofiles/GET/{get.uid}")

    clear = chargingprofiles.clear_profile(tenant=emsp_tenant, partner=partner, session_id="S1")
    assert peer.requests[-1]["method"] == "DELETE"
    assert last_query(peer) == {"response_url": clear.response_url}
    assert (get.status, clear.status) == ("ACCEPTED", "ACCEPTED")


def test_an_unknown_session_answer_ends_the_request(emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    peer.ok("/cp/NOPE", {"result": "UNKNOWN_SESSION", "timeout": 30})
    request = chargingprofiles.clear_profile(tenant=emsp_tenant, partner=partner, session_id="NOPE")
    assert request.status == ChargingProfileStatus.UNKNOWN_SESSION
    assert not request.is_waiting


def test_a_2_1_1_partner_is_not_supported_and_gets_nothing(emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer, version="2.1.1")
    request = chargingprofiles.set_profile(tenant=emsp_tenant, partner=partner, session_id="S1", profile=PROFILE)
    assert (request.status, request.response_result) == ("NOT_SUPPORTED", "NOT_SUPPORTED")
    assert request.error == "OCPI 2.1.1 of cpo has no charging profiles"
    assert peer.requests == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((500, {}, "boom"), "HTTP 500"),
        ((200, {}, {"data": {"result": "MAYBE", "timeout": 3}, "status_code": 1000, "timestamp": "x"}), "result"),
    ],
)
def test_a_failed_call_or_a_nonsense_answer_makes_the_request_failed(emsp_tenant, peer, answer, expected):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    peer.routes["/cp/S1"] = answer
    request = chargingprofiles.clear_profile(tenant=emsp_tenant, partner=partner, session_id="S1")
    assert request.status == ChargingProfileStatus.FAILED
    assert expected in request.error


def test_an_invalid_profile_is_never_sent(emsp_tenant, peer):
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    profile = {**PROFILE, "charging_rate_unit": "kW"}
    request = chargingprofiles.set_profile(tenant=emsp_tenant, partner=partner, session_id="S1", profile=profile)
    assert request.status == ChargingProfileStatus.FAILED
    assert "charging_rate_unit: Input should be 'W' or 'A'" in request.error
    assert peer.requests == []


def test_a_partner_without_a_chargingprofiles_receiver_fails_without_a_request(emsp_tenant, peer):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="bare", token_to_them="t")
    request = chargingprofiles.clear_profile(tenant=emsp_tenant, partner=partner, session_id="S1")
    assert request.status == ChargingProfileStatus.FAILED and "no chargingprofiles receiver" in request.error


def result_path(request) -> str:
    return urlsplit(request.response_url).path


def test_the_get_result_completes_the_request_and_keeps_the_active_profile(emsp_tenant, peer, client):
    partner, token = chargingprofiles_cpo(emsp_tenant, peer)
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    request = chargingprofiles.get_active_profile(tenant=emsp_tenant, partner=partner, session_id="S1", duration=900)
    body = {"result": "ACCEPTED", "profile": ACTIVE}

    response = client.post(result_path(request), body, content_type="application/json", **auth(token))

    assert response.json()["status_code"] == 1000 and "data" not in response.json()
    request.refresh_from_db()
    assert (request.status, request.result) == (ChargingProfileStatus.COMPLETED, "ACCEPTED")
    assert request.result_profile["start_date_time"] == "2026-03-01T10:05:00+00:00"
    active = ActiveChargingProfile.objects.get(tenant=emsp_tenant, partner=partner, session_id="S1")
    assert active.charging_profile == ACTIVE["charging_profile"]


def test_a_result_from_another_partner_or_for_another_kind_is_refused(emsp_tenant, peer, client):
    partner, token = chargingprofiles_cpo(emsp_tenant, peer)
    _, other_token = chargingprofiles_cpo(emsp_tenant, peer, name="other")
    peer.ok("/cp/S1", {"result": "ACCEPTED", "timeout": 30})
    request = chargingprofiles.set_profile(tenant=emsp_tenant, partner=partner, session_id="S1", profile=PROFILE)

    body = {"result": "ACCEPTED"}
    wrong_partner = client.post(result_path(request), body, content_type="application/json", **auth(other_token))
    wrong_url = result_path(request).replace("/SET/", "/CLEAR/")
    wrong_kind = client.post(wrong_url, body, content_type="application/json", **auth(token))

    assert (wrong_partner.status_code, wrong_partner.json()["status_code"]) == (404, 2000)
    assert wrong_kind.status_code == 404
    request.refresh_from_db()
    assert (request.status, request.result) == (ChargingProfileStatus.ACCEPTED, "")


# -- timeouts ----------------------------------------------------------------------------------------------


def waiting(tenant, partner, direction, *, overdue=True, **fields):
    return ChargingProfileRequest.objects.create(
        tenant=tenant,
        partner=partner,
        direction=direction,
        kind="CLEAR",
        session_id="S1",
        status=ChargingProfileStatus.ACCEPTED,
        deadline=timezone.now() + timedelta(seconds=-1 if overdue else 60),
        **fields,
    )


def test_the_beat_task_marks_only_overdue_waiting_requests_as_timeout(emsp_tenant, peer, settings):
    from roaming.tasks import expire_charging_profiles_task

    assert settings.CELERY_BEAT_SCHEDULE["expire-charging-profiles"]["task"] == expire_charging_profiles_task.name
    partner, _ = chargingprofiles_cpo(emsp_tenant, peer)
    overdue = waiting(emsp_tenant, partner, ChargingProfileDirection.SENT)
    received = waiting(emsp_tenant, partner, ChargingProfileDirection.RECEIVED)
    fresh = waiting(emsp_tenant, partner, ChargingProfileDirection.SENT, overdue=False)

    assert expire_charging_profiles_task.apply().get() == 2

    statuses = dict(ChargingProfileRequest.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: "TIMEOUT", received.pk: "TIMEOUT", fresh.pk: "ACCEPTED"}
    assert ChargingProfileRequest.objects.get(pk=overdue.pk).history[-1]["event"] == "timed out"
    assert peer.requests == []  # ChargingProfileResultType has no TIMEOUT to tell anyone
    assert chargingprofiles.expire_overdue() == 0


# -- CPO side: the charge point's result --------------------------------------------------------------------


def received(tenant, partner, peer, kind="SET", **fields):
    return ChargingProfileRequest.objects.create(
        tenant=tenant,
        partner=partner,
        direction=ChargingProfileDirection.RECEIVED,
        kind=kind,
        session_id="S1",
        response_url=f"{peer.url}/results/1",
        status=ChargingProfileStatus.ACCEPTED,
        deadline=timezone.now() + timedelta(seconds=60),
        **fields,
    )


def sent_body(peer) -> dict:
    return json.loads(peer.requests[-1]["body"])


def test_an_accepted_set_is_kept_as_the_sessions_profile_posted_once_and_cleared_later(
    cpo_tenant, reachable_emsp, peer, eager, django_capture_on_commit_callbacks
):
    peer.ok("/results/1", None)
    request = received(cpo_tenant, reachable_emsp, peer, profile=PROFILE)
    with django_capture_on_commit_callbacks(execute=True):
        chargingprofiles.charge_point_result(request_id=request.pk, result="ACCEPTED")
    assert chargingprofiles.charge_point_result(request_id=request.pk, result="REJECTED") is None
    request.refresh_from_db()
    assert (request.status, request.result) == (ChargingProfileStatus.COMPLETED, "ACCEPTED")
    assert sent_body(peer) == {"result": "ACCEPTED"}
    assert (len(peer.requests), peer.requests[-1]["headers"]["OCPI-to-party-id"]) == (1, "EMS")
    assert request.history[-1]["event"] == "result delivered"
    assert ActiveChargingProfile.objects.get(tenant=cpo_tenant, partner=None).charging_profile == PROFILE

    clear = received(cpo_tenant, reachable_emsp, peer, kind="CLEAR")
    with django_capture_on_commit_callbacks(execute=True):
        chargingprofiles.charge_point_result(request_id=clear.pk, result="ACCEPTED")
    assert not ActiveChargingProfile.objects.exists()


def test_a_result_is_owed_durably_and_retried_when_the_sender_could_not_take_it(cpo_tenant, reachable_emsp, peer):
    peer.routes["/results/1"] = (503, {}, "down")
    request = received(cpo_tenant, reachable_emsp, peer)
    chargingprofiles.charge_point_result(request_id=request.pk, result="REJECTED")  # no on-commit callback runs
    delivery = Delivery.objects.get(module="chargingprofiles", object_path=f"result/{request.pk}")
    assert (delivery.status, delivery.method) == (DeliveryStatus.PENDING, "POST")

    outbox.deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_http_status) == (DeliveryStatus.PENDING, 1, 503)
    request.refresh_from_db()
    assert request.history[-1]["event"] == "result not delivered" and "503" in request.history[-1]["detail"]
    assert json.loads(peer.requests[-1]["body"]) == {"result": "REJECTED"}


# -- the simulator ------------------------------------------------------------------------------------------


def test_simulator_schedules_its_answer_with_a_countdown_unless_told_to_stay_silent(
    cpo_tenant, reachable_emsp, peer, settings, monkeypatch
):
    settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS = 7
    scheduled = []
    monkeypatch.setattr(
        "roaming.tasks.simulate_charging_profile_task.apply_async",
        lambda args, countdown, **options: scheduled.append((args, countdown)),
    )
    request = received(cpo_tenant, reachable_emsp, peer)
    backend = chargepoint.backend()
    backend.set_profile(request)
    backend.get_profile(request)
    settings.CHARGE_POINT_SIMULATOR_RESULT = "NO_ANSWER"
    backend.clear_profile(request)
    assert scheduled == [((request.pk,), 7), ((request.pk,), 7)]


def test_simulated_get_without_a_profile_answers_the_connectors_full_capacity(cpo_tenant, reachable_emsp, peer, eager):
    own_location(cpo_tenant)
    own_session(cpo_tenant, status="ACTIVE")  # LOC1, EVSE 3256, connector 1: 16 A
    request = received(cpo_tenant, reachable_emsp, peer, kind="GET", duration=600)
    chargepoint.simulate_charging_profile(request_id=request.pk)
    request.refresh_from_db()
    assert request.result == "ACCEPTED"
    assert request.result_profile["charging_profile"] == {
        "duration": 600,
        "charging_rate_unit": "A",
        "charging_profile_period": [{"start_period": 0, "limit": 16.0}],
    }


def test_simulated_rejection_answers_rejected_and_keeps_no_profile(cpo_tenant, reachable_emsp, peer, settings):
    settings.CHARGE_POINT_SIMULATOR_RESULT = "EVSE_OCCUPIED"
    request = received(cpo_tenant, reachable_emsp, peer, profile=PROFILE)
    chargepoint.simulate_charging_profile(request_id=request.pk)
    request.refresh_from_db()
    assert (request.status, request.result) == (ChargingProfileStatus.COMPLETED, "REJECTED")
    assert not ActiveChargingProfile.objects.exists()
    assert chargepoint.simulate_charging_profile(request_id=request.pk) is None  # answered once only


def test_a_changed_plan_is_pushed_only_to_partners_whose_profile_was_accepted(
    cpo_tenant, reachable_emsp, peer, eager, django_capture_on_commit_callbacks
):
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant,
        partner=reachable_emsp,
        identifier="chargingprofiles",
        role="SENDER",
        url=f"{peer.url}/profiles",
    )
    other, _ = make_partner(cpo_tenant, "DE:OTH:EMSP", name="other", token_to_them="t")
    peer.ok("/profiles/S1", None)
    received(cpo_tenant, reachable_emsp, peer, profile=PROFILE, response_result="ACCEPTED")
    received(cpo_tenant, other, peer, profile=PROFILE, response_result="REJECTED")
    active = {"start_date_time": timezone.now(), "charging_profile": {**PROFILE, "duration": 900}}

    with django_capture_on_commit_callbacks(execute=True):
        assert chargingprofiles.report_active_profile(tenant=cpo_tenant, session_id="S1", active=active) == 1

    assert [(r["method"], r["path"]) for r in peer.requests] == [("PUT", "/profiles/S1")]
    assert sent_body(peer)["charging_profile"] == {**PROFILE, "duration": 900}
    assert peer.requests[-1]["headers"]["OCPI-to-party-id"] == "EMS"
    assert ActiveChargingProfile.objects.get(tenant=cpo_tenant, partner=None).charging_profile["duration"] == 900
