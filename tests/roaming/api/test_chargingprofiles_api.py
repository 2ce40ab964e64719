"""Charging profiles endpoints over HTTP: the CPO's receiver (checks, answers, storage) and the eMSP's sender PUT."""

import pytest

from roaming.models import ActiveChargingProfile, ChargingProfileDirection, ChargingProfileRequest
from tests.bodies import SESSION
from tests.factories import auth, make_partner, make_tenant, own_location, own_session

BASE = "/ocpi/cpo/2.2.1/receiver/chargingprofiles"
PROFILE = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 7400.0}]}
SET = {"charging_profile": PROFILE, "response_url": "https://emsp.example.com/profiles/1"}


@pytest.fixture
def session(cpo_tenant):
    own_session(cpo_tenant, "S1", status="ACTIVE")  # a driver of DE*EMS


@pytest.fixture
def dispatched(monkeypatch):
    """The requests handed to the charge point backend (after commit), by backend method."""
    handed = []
    for method in ("set_profile", "get_profile", "clear_profile"):
        monkeypatch.setattr(
            f"roaming.services.chargepoint.SimulatorBackend.{method}",
            lambda self, r, method=method: handed.append((method, r.pk)),
        )
    return handed


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def test_put_on_an_active_session_is_accepted_stored_and_dispatched_after_commit(
    client, emsp_partner, session, dispatched, django_capture_on_commit_callbacks, settings
):
    settings.COMMAND_RESULT_TIMEOUT_SECONDS = 45
    partner, token = emsp_partner
    with django_capture_on_commit_callbacks(execute=True):
        body = put(client, f"{BASE}/s1", SET, token).json()
    assert (body["status_code"], body["data"]) == (1000, {"result": "ACCEPTED", "timeout": 45})
    request = ChargingProfileRequest.objects.get()
    assert (request.direction, request.partner, request.kind) == (ChargingProfileDirection.RECEIVED, partner, "SET")
    assert (request.session_id, request.profile, request.response_url) == ("s1", PROFILE, SET["response_url"])
    assert dispatched == [("set_profile", request.pk)]


def test_get_and_delete_take_their_parameters_from_the_query(client, emsp_partner, session, dispatched):
    _, token = emsp_partner
    url = "https://emsp.example.com/profiles/2"
    got = client.get(f"{BASE}/S1", {"duration": "900", "response_url": url}, **auth(token)).json()
    cleared = client.delete(f"{BASE}/S1?response_url={url}", **auth(token)).json()
    assert (got["data"]["result"], cleared["data"]["result"]) == ("ACCEPTED", "ACCEPTED")
    get, clear = ChargingProfileRequest.objects.order_by("pk")
    assert (get.kind, get.duration, get.response_url) == ("GET", 900, url)
    assert (clear.kind, clear.response_url) == ("CLEAR", url)


@pytest.mark.parametrize(
    ("method", "path", "body", "named"),
    [
        ("put", "/S1", {"response_url": "https://a/b"}, "charging_profile: required field is missing"),
        ("put", "/S1", {**SET, "charging_profile": {**PROFILE, "charging_rate_unit": "kW"}}, "charging_rate_unit"),
        ("put", "/S1", {**SET, "response_url": "not a url"}, "response_url"),
        ("put", "/" + "X" * 37, SET, "URL segment session_id"),
        ("get", "/S1?response_url=https://a/b", None, "duration: required field is missing"),
        ("get", "/S1?duration=soon&response_url=https://a/b", None, "duration"),
        ("delete", "/S1", None, "response_url: required field is missing"),
    ],
)
def test_bad_input_is_2001_naming_the_field_and_stores_nothing(
    client, emsp_partner, session, dispatched, method, path, body, named
):
    _, token = emsp_partner
    if method == "put":
        response = put(client, BASE + path, body, token)
    else:
        response = getattr(client, method)(BASE + path, **auth(token))
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert named in response.json()["status_message"]
    assert not ChargingProfileRequest.objects.exists()
    assert dispatched == []


def test_unknown_session_is_answered_unknown_session_and_not_dispatched(client, emsp_partner, session, dispatched):
    _, token = emsp_partner
    body = put(client, f"{BASE}/NOPE", SET, token).json()
    assert (body["status_code"], body["data"]["result"]) == (1000, "UNKNOWN_SESSION")
    assert ChargingProfileRequest.objects.get().status == "UNKNOWN_SESSION"
    assert dispatched == []


def test_a_session_of_another_emsps_driver_or_a_finished_one_is_rejected(client, cpo_tenant, emsp_partner, dispatched):
    own_session(cpo_tenant, "THEIRS", status="ACTIVE", cdr_token={**SESSION["cdr_token"], "party_id": "XXX"})
    own_session(cpo_tenant, "DONE", status="COMPLETED")
    _, token = emsp_partner
    assert put(client, f"{BASE}/THEIRS", SET, token).json()["data"]["result"] == "REJECTED"
    assert put(client, f"{BASE}/DONE", SET, token).json()["data"]["result"] == "REJECTED"
    assert [r.history[-1]["detail"] for r in ChargingProfileRequest.objects.order_by("pk")] == [
        "REJECTED: The session is not one of your drivers'",
        "REJECTED: The session is COMPLETED",
    ]
    assert dispatched == []


def test_2_1_1_has_no_charging_profiles_endpoint(client, emsp_partner, session):
    _, token = emsp_partner
    response = put(client, "/ocpi/cpo/2.1.1/receiver/chargingprofiles/S1", SET, token)
    assert response.status_code == 404
    assert not ChargingProfileRequest.objects.exists()


def test_only_2_2_1_version_details_list_the_module(client, emsp_partner):
    _, token = emsp_partner
    details = client.get("/ocpi/cpo/2.2.1", **auth(token)).json()["data"]["endpoints"]
    assert {"identifier": "chargingprofiles", "role": "RECEIVER", "url": f"http://127.0.0.1:8000{BASE}"} in details
    old = client.get("/ocpi/cpo/2.1.1", **auth(token)).json()["data"]["endpoints"]
    assert "chargingprofiles" not in [e["identifier"] for e in old]


def test_the_cpo_pushes_an_active_profile_to_the_emsps_sender_interface(client, emsp_tenant):
    partner, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    active = {"start_date_time": "2026-03-01T10:05:00Z", "charging_profile": PROFILE}
    url = "/ocpi/emsp/2.2.1/sender/chargingprofiles/S1"

    assert put(client, url, active, token).json()["status_code"] == 1000
    assert put(client, url, {**active, "charging_profile": {**PROFILE, "duration": 60}}, token).status_code == 200
    bad = put(client, url, {"charging_profile": PROFILE}, token).json()

    stored = ActiveChargingProfile.objects.get(tenant=emsp_tenant, partner=partner, session_id="S1")
    assert stored.charging_profile == {**PROFILE, "duration": 60}
    assert (bad["status_code"], bad["status_message"]) == (2001, "start_date_time: required field is missing")


def test_a_response_url_off_the_partners_hosts_is_rejected_and_never_called(client, emsp_partner, session, dispatched):
    _, token = emsp_partner
    body = put(client, f"{BASE}/S1", {**SET, "response_url": "http://10.0.0.1/internal"}, token).json()
    assert body["data"]["result"] == "REJECTED"
    assert ChargingProfileRequest.objects.get().history[-1]["detail"] == (
        "REJECTED: The response_url is not on a host of your OCPI endpoints"
    )
    assert dispatched == []


def test_the_sender_interface_is_listed_once_for_emsp_and_scsp_parties(client, db):
    both = make_tenant("both", "DE:EMS:EMSP", "DE:SCS:SCSP")
    scsp = make_tenant("scsp", "DE:SCS:SCSP")
    for tenant in (both, scsp):
        _, token = make_partner(tenant, "NL:CPO:CPO", name="cpo")
        endpoints = client.get(f"/ocpi/{tenant.slug}/2.2.1", **auth(token)).json()["data"]["endpoints"]
        listed = [e for e in endpoints if e["identifier"] == "chargingprofiles"]
        assert [e["role"] for e in listed] == ["SENDER"]


def test_an_evse_that_is_not_charging_profile_capable_answers_not_supported(
    client, cpo_tenant, emsp_partner, dispatched
):
    location = own_location(cpo_tenant, location_id=SESSION["location_id"])  # the spec's EVSEs: only RESERVABLE
    own_session(cpo_tenant, "S1", status="ACTIVE", evse_uid="3256", connector_id="1")
    _, token = emsp_partner
    body = put(client, f"{BASE}/S1", SET, token).json()
    assert body["data"]["result"] == "NOT_SUPPORTED"
    assert ChargingProfileRequest.objects.get().status == "NOT_SUPPORTED"
    assert dispatched == []
    location.evses.update(capabilities=["CHARGING_PROFILE_CAPABLE"])
    assert put(client, f"{BASE}/S1", SET, token).json()["data"]["result"] == "ACCEPTED"


def test_setting_profiles_faster_than_allowed_answers_too_often(client, emsp_partner, session, dispatched, settings):
    settings.CHARGING_PROFILE_MIN_INTERVAL_SECONDS = 60
    _, token = emsp_partner
    assert put(client, f"{BASE}/S1", SET, token).json()["data"]["result"] == "ACCEPTED"
    again = put(client, f"{BASE}/S1", SET, token).json()
    assert again["data"]["result"] == "TOO_OFTEN"
    assert list(ChargingProfileRequest.objects.order_by("pk").values_list("status", flat=True)) == [
        "ACCEPTED",
        "TOO_OFTEN",
    ]
    settings.CHARGING_PROFILE_MIN_INTERVAL_SECONDS = 0
    assert put(client, f"{BASE}/S1", SET, token).json()["data"]["result"] == "ACCEPTED"


def test_an_scsp_the_cpo_delegated_to_steers_sessions_of_any_driver(client, cpo_tenant, session, dispatched):
    """mod_charging_profiles, "The CPO delegated Smart Charging to SCSP": the SCSP owns no driver's token."""
    _, token = make_partner(cpo_tenant, "NL:SCS:SCSP", name="scsp", versions_url="https://emsp.example.com/v")
    assert put(client, f"{BASE}/S1", SET, token).json()["data"]["result"] == "ACCEPTED"
    _, other = make_partner(cpo_tenant, "NL:OTH:EMSP", name="other", versions_url="https://emsp.example.com/v")
    assert put(client, f"{BASE}/S1", SET, other).json()["data"]["result"] == "REJECTED"
