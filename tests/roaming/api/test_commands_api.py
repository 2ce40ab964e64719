"""Commands endpoints over HTTP: the CPO's receiver (checks, answers, storage) and the eMSP's result URL."""

import pytest

from roaming.models import Command, CommandDirection, CommandStatus
from tests.bodies import COMMAND_TOKEN_221, COMMANDS_211, COMMANDS_221
from tests.factories import auth, make_commandable, make_partner, own_location, own_session

BASE_221 = "/ocpi/cpo/2.2.1/receiver/commands"
BASE_211 = "/ocpi/cpo/2.1.1/receiver/commands"
EMSP_VERSIONS = "https://emsp.example.com/ocpi/versions"  # the host of the requests' response_url


@pytest.fixture
def location(cpo_tenant):
    return make_commandable(own_location(cpo_tenant))  # LOC1: EVSE 3256 (connectors 1, 2) and 3257


@pytest.fixture
def dispatched(monkeypatch):
    """The commands handed to the charge point backend (after commit)."""
    handed = []
    monkeypatch.setattr("roaming.services.chargepoint.SimulatorBackend.dispatch", lambda self, c: handed.append(c.pk))
    return handed


def post(client, url, body, token):
    return client.post(url, body, content_type="application/json", **auth(token))


def start_221(**changes):
    return {**COMMANDS_221["START_SESSION"], "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1", **changes}


def test_accepted_start_session_is_stored_answered_with_a_timeout_and_dispatched_after_commit(
    client, emsp_partner, location, dispatched, django_capture_on_commit_callbacks, settings
):
    settings.COMMAND_RESULT_TIMEOUT_SECONDS = 45
    partner, token = emsp_partner
    with django_capture_on_commit_callbacks(execute=True):
        body = post(client, f"{BASE_221}/START_SESSION", start_221(), token).json()
    assert body["status_code"] == 1000
    assert body["data"] == {"result": "ACCEPTED", "timeout": 45}
    command = Command.objects.get()
    assert (command.direction, command.partner, command.command) == (
        CommandDirection.RECEIVED,
        partner,
        "START_SESSION",
    )
    assert command.status == CommandStatus.ACCEPTED
    assert command.response_url == COMMANDS_221["START_SESSION"]["response_url"]
    assert command.request["token"]["uid"] == COMMAND_TOKEN_221["uid"]
    assert command.request["connector_id"] == "1"
    assert dispatched == [command.pk]


def test_unknown_location_is_2003_rejected_per_spec_and_not_dispatched(client, emsp_partner, location, dispatched):
    """mod_commands sequence "UNLOCK_CONNECTOR Unknown Location": 2003 with result REJECTED."""
    _, token = emsp_partner
    body = post(client, f"{BASE_221}/START_SESSION", start_221(location_id="NOPE"), token).json()
    assert body["status_code"] == 2003
    assert body["data"]["result"] == "REJECTED"
    assert "NOPE" in body["data"]["message"][0]["text"]
    assert Command.objects.get().status == CommandStatus.REJECTED
    assert dispatched == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [({"evse_uid": "9999"}, "9999"), ({"connector_id": "7"}, "7")],
)
def test_unknown_evse_or_connector_is_2003_rejected(client, emsp_partner, location, dispatched, changes, named):
    _, token = emsp_partner
    body = post(client, f"{BASE_221}/START_SESSION", start_221(**changes), token).json()
    assert body["status_code"] == 2003
    assert body["data"]["result"] == "REJECTED" and named in body["data"]["message"][0]["text"]
    assert dispatched == []


def test_unknown_location_in_2_1_1_is_2003_too(client, cpo_tenant, location, dispatched):
    partner, token = make_partner(cpo_tenant, "NL:EMP:EMSP", name="old", version="2.1.1")
    body = {**COMMANDS_211["UNLOCK_CONNECTOR"], "location_id": "NOPE"}
    answer = post(client, f"{BASE_211}/UNLOCK_CONNECTOR", body, token).json()
    assert answer["status_code"] == 2003
    assert answer["data"]["result"] == "REJECTED"


def _set_capabilities(location, capabilities, uid="3256"):
    location.evses.filter(uid=uid).update(capabilities=capabilities)


@pytest.mark.parametrize(
    ("command", "body", "capability"),
    [
        ("START_SESSION", lambda: start_221(), "REMOTE_START_STOP_CAPABLE"),
        (
            "RESERVE_NOW",
            lambda: {**COMMANDS_221["RESERVE_NOW"], "location_id": "LOC1", "evse_uid": "3256"},
            "RESERVABLE",
        ),
        (
            "UNLOCK_CONNECTOR",
            lambda: {**COMMANDS_221["UNLOCK_CONNECTOR"], "location_id": "LOC1", "evse_uid": "3256"},
            "UNLOCK_CAPABLE",
        ),
    ],
)
def test_an_evse_without_the_capability_a_command_needs_answers_not_supported(
    client, emsp_partner, location, dispatched, command, body, capability
):
    _, token = emsp_partner
    _set_capabilities(location, ["RFID_READER"])
    answer = post(client, f"{BASE_221}/{command}", body(), token).json()
    assert answer["status_code"] == 1000
    assert answer["data"]["result"] == "NOT_SUPPORTED"
    assert capability in answer["data"]["message"][0]["text"]
    assert dispatched == []
    _set_capabilities(location, ["RFID_READER", capability])
    assert post(client, f"{BASE_221}/{command}", body(), token).json()["data"]["result"] == "ACCEPTED"


def test_start_session_without_connector_on_an_evse_that_requires_one_is_rejected(
    client, emsp_partner, location, dispatched
):
    _, token = emsp_partner
    _set_capabilities(location, ["REMOTE_START_STOP_CAPABLE", "START_SESSION_CONNECTOR_REQUIRED"])
    without = {k: v for k, v in start_221().items() if k != "connector_id"}
    answer = post(client, f"{BASE_221}/START_SESSION", without, token).json()
    assert answer["data"]["result"] == "REJECTED"
    assert "connector_id" in answer["data"]["message"][0]["text"]
    assert dispatched == []
    assert post(client, f"{BASE_221}/START_SESSION", start_221(), token).json()["data"]["result"] == "ACCEPTED"


def test_an_evse_declaring_no_capabilities_is_not_refused_for_them(client, emsp_partner, location, dispatched):
    _, token = emsp_partner
    _set_capabilities(location, [])
    assert post(client, f"{BASE_221}/START_SESSION", start_221(), token).json()["data"]["result"] == "ACCEPTED"


def test_a_token_of_another_emsp_is_rejected(client, emsp_partner, location, dispatched):
    _, token = emsp_partner
    body = start_221(token={**COMMAND_TOKEN_221, "party_id": "XXX"})
    assert post(client, f"{BASE_221}/START_SESSION", body, token).json()["data"]["result"] == "REJECTED"
    assert dispatched == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (start_221(location_id="L" * 37), "location_id"),
        (start_221(token={**COMMAND_TOKEN_221, "whitelist": "SOMETIMES"}), "token.whitelist"),
        ({k: v for k, v in start_221().items() if k != "response_url"}, "response_url"),
        (start_221(evse_uid=None), "evse_uid"),
    ],
)
def test_bad_request_is_2001_with_http_200_naming_the_field_and_nothing_stored(
    client, emsp_partner, location, dispatched, body, field
):
    _, token = emsp_partner
    response = post(client, f"{BASE_221}/START_SESSION", body, token)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith(field)
    assert not Command.objects.exists()


def test_unknown_command_in_the_url_is_2001(client, emsp_partner):
    _, token = emsp_partner
    response = post(client, f"{BASE_221}/SELF_DESTRUCT", {}, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert "command" in response.json()["status_message"]


def test_a_2_3_0_command_of_the_callers_own_is_not_supported_not_bad_input(client, cpo_tenant, location, dispatched):
    """2.3.0's CommandType is an OpenEnum: a command of the caller's own is a command, which no charge point
    we drive carries out; 2.2.1's is closed, so the same URL is bad input there (above)."""
    _, token = make_partner(cpo_tenant, "NL:EMP:EMSP", name="new", version="2.3.0")
    response = post(client, "/ocpi/cpo/2.3.0/receiver/commands/X_EXAMPLE_PAUSE_CHARGING", {}, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert response.json()["data"]["result"] == "NOT_SUPPORTED"
    assert "X_EXAMPLE_PAUSE_CHARGING" in response.json()["data"]["message"][0]["text"]
    assert not Command.objects.exists() and dispatched == []
    refused = post(client, "/ocpi/cpo/2.3.0/receiver/commands/not%20printable%09", {}, token)
    assert (refused.status_code, refused.json()["status_code"]) == (200, 2001)
    assert "command" in refused.json()["status_message"]


def test_wrong_token_is_401_and_nothing_stored(client, emsp_partner, location):
    response = post(client, f"{BASE_221}/START_SESSION", start_221(), "not-a-token")
    assert (response.status_code, response.json()["status_code"]) == (401, 2000)
    assert not Command.objects.exists()


def test_stop_session_of_an_unknown_session_is_unknown_session(client, emsp_partner, dispatched):
    _, token = emsp_partner
    data = post(client, f"{BASE_221}/STOP_SESSION", COMMANDS_221["STOP_SESSION"], token).json()["data"]
    assert data["result"] == "UNKNOWN_SESSION"
    assert Command.objects.get().status == CommandStatus.UNKNOWN_SESSION


def test_stop_session_of_an_active_session_of_the_partners_driver_is_accepted(
    client, cpo_tenant, emsp_partner, dispatched, django_capture_on_commit_callbacks
):
    own_session(cpo_tenant, "S1", status="ACTIVE")
    _, token = emsp_partner
    with django_capture_on_commit_callbacks(execute=True):
        data = post(client, f"{BASE_221}/STOP_SESSION", COMMANDS_221["STOP_SESSION"], token).json()["data"]
    assert data["result"] == "ACCEPTED"
    assert len(dispatched) == 1


def test_stop_session_of_another_emsps_driver_is_rejected(client, cpo_tenant, emsp_partner, dispatched):
    own_session(cpo_tenant, "S1", status="ACTIVE", cdr_token={**COMMAND_TOKEN_221, "party_id": "XXX"})
    _, token = emsp_partner
    assert post(client, f"{BASE_221}/STOP_SESSION", COMMANDS_221["STOP_SESSION"], token).json()["data"]["result"] == (
        "REJECTED"
    )


def test_cancel_reservation_needs_a_reservation_of_the_same_partner(
    client, cpo_tenant, emsp_partner, location, dispatched, django_capture_on_commit_callbacks
):
    _, token = emsp_partner
    cancel = COMMANDS_221["CANCEL_RESERVATION"]
    assert post(client, f"{BASE_221}/CANCEL_RESERVATION", cancel, token).json()["data"]["result"] == "REJECTED"
    reserve = {**COMMANDS_221["RESERVE_NOW"], "location_id": "LOC1", "evse_uid": "3257"}
    _, other = make_partner(cpo_tenant, "DE:OTH:EMSP", name="other", versions_url=EMSP_VERSIONS)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, f"{BASE_221}/RESERVE_NOW", reserve, token).json()["data"]["result"] == "ACCEPTED"
    other_cancel = post(client, f"{BASE_221}/CANCEL_RESERVATION", cancel, other).json()["data"]
    assert other_cancel["result"] == "REJECTED"
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, f"{BASE_221}/CANCEL_RESERVATION", cancel, token).json()["data"]["result"] == "ACCEPTED"


def test_unlock_connector_checks_the_connector(client, emsp_partner, location, dispatched):
    _, token = emsp_partner
    unlock = {**COMMANDS_221["UNLOCK_CONNECTOR"], "location_id": "LOC1", "evse_uid": "3256", "connector_id": "2"}
    assert post(client, f"{BASE_221}/UNLOCK_CONNECTOR", unlock, token).json()["data"]["result"] == "ACCEPTED"
    unlock["connector_id"] = "3"
    assert post(client, f"{BASE_221}/UNLOCK_CONNECTOR", unlock, token).json()["data"]["result"] == "REJECTED"


def test_2_1_1_start_session_answers_only_the_result_and_owns_the_token_by_the_connection(
    client, cpo_tenant, location, dispatched
):
    partner, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="old", version="2.1.1", versions_url=EMSP_VERSIONS)
    body = {**COMMANDS_211["START_SESSION"], "evse_uid": "3256"}
    response = post(client, f"{BASE_211}/START_SESSION", body, token).json()
    assert response["data"] == {"result": "ACCEPTED"}
    command = Command.objects.get()
    assert (command.request["token"]["country_code"], command.request["token"]["party_id"]) == ("DE", "EMS")


def test_2_1_1_cancel_reservation_is_not_supported_and_nothing_stored(client, cpo_tenant):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="old", version="2.1.1", versions_url=EMSP_VERSIONS)
    response = post(client, f"{BASE_211}/CANCEL_RESERVATION", COMMANDS_221["CANCEL_RESERVATION"], token).json()
    assert response["data"] == {"result": "NOT_SUPPORTED"}
    assert not Command.objects.exists()


# -- the eMSP's result URL ------------------------------------------------------------------------------


@pytest.fixture
def sent(emsp_tenant):
    """A START_SESSION the eMSP tenant sent to its CPO partner, accepted and waiting for the result."""
    partner, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    command = Command.objects.create(
        tenant=emsp_tenant,
        direction=CommandDirection.SENT,
        partner=partner,
        command="START_SESSION",
        status=CommandStatus.ACCEPTED,
    )
    return command, token


def result_url(command, version="2.2.1"):
    return f"/ocpi/emsp/{version}/sender/commands/{command.command}/{command.uid}"


def test_result_at_the_response_url_completes_the_command(client, sent):
    command, token = sent
    message = [{"language": "en", "text": "Plug in"}]
    response = post(client, result_url(command), {"result": "EVSE_OCCUPIED", "message": message}, token)
    assert response.json()["status_code"] == 1000
    command.refresh_from_db()
    assert (command.status, command.result, command.result_message) == ("COMPLETED", "EVSE_OCCUPIED", message)
    assert command.result_at is not None
    assert [step["event"] for step in command.history] == ["result"]


def test_result_from_another_partner_or_for_another_command_is_404_and_changes_nothing(client, emsp_tenant, sent):
    command, token = sent
    _, stranger = make_partner(emsp_tenant, "NL:OTH:CPO", name="other")
    assert post(client, result_url(command), {"result": "ACCEPTED"}, stranger).status_code == 404
    wrong_command = result_url(command).replace("START_SESSION", "STOP_SESSION")
    assert post(client, wrong_command, {"result": "ACCEPTED"}, token).status_code == 404
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.ACCEPTED, "")


def test_bad_result_is_2001_naming_the_field(client, sent):
    command, token = sent
    response = post(client, result_url(command), {"result": "MAYBE"}, token)
    assert response.json()["status_code"] == 2001 and response.json()["status_message"].startswith("result")
    command.refresh_from_db()
    assert command.status == CommandStatus.ACCEPTED


def test_2_1_1_result_is_a_command_response_mapped_to_the_2_2_1_result(client, sent):
    command, token = sent
    command.partner.version = "2.1.1"
    command.partner.save()
    assert (
        post(client, result_url(command, "2.1.1"), {"result": "UNKNOWN_SESSION"}, token).json()["status_code"] == 1000
    )
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.COMPLETED, "FAILED")


def test_a_result_after_the_timeout_is_still_recorded(client, sent):
    command, token = sent
    Command.objects.filter(pk=command.pk).update(status=CommandStatus.TIMEOUT)
    post(client, result_url(command), {"result": "ACCEPTED"}, token)
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.COMPLETED, "ACCEPTED")
    assert command.history[-1]["detail"] == "ACCEPTED (after the timeout)"


def test_version_details_list_the_receiver_to_a_cpos_partner_and_the_sender_to_an_emsps(client, emsp_partner, sent):
    _, token = emsp_partner
    endpoints = client.get("/ocpi/cpo/2.2.1", **auth(token)).json()["data"]["endpoints"]
    assert [(e["role"], e["url"]) for e in endpoints if e["identifier"] == "commands"] == [
        ("RECEIVER", "http://127.0.0.1:8000/ocpi/cpo/2.2.1/receiver/commands")
    ]
    _, token = sent
    endpoints = client.get("/ocpi/emsp/2.2.1", **auth(token)).json()["data"]["endpoints"]
    assert [(e["role"], e["url"]) for e in endpoints if e["identifier"] == "commands"] == [
        ("SENDER", "http://127.0.0.1:8000/ocpi/emsp/2.2.1/sender/commands")
    ]


def test_a_response_url_off_the_partners_hosts_is_rejected_and_never_called(client, emsp_partner, location, dispatched):
    _, token = emsp_partner
    body = post(
        client, f"{BASE_221}/START_SESSION", start_221(response_url="http://169.254.169.254/latest/meta-data"), token
    ).json()
    assert body["data"]["result"] == "REJECTED"
    assert "response_url" in body["data"]["message"][0]["text"]
    assert dispatched == []
