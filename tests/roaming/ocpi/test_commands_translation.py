"""Commands wire formats of both versions: round trips, what 2.1.1 drops or maps, and 2001 naming the field."""

import pytest

from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import InvalidParameters
from tests.bodies import COMMAND_RESPONSE_URL, COMMAND_TOKEN_221, COMMANDS_211, COMMANDS_221


def commands(version):
    return get_dialect(version).module("commands")


@pytest.mark.parametrize("command", sorted(COMMANDS_221))
def test_2_2_1_requests_round_trip(command):
    request, response_url = commands("2.2.1").request_from_wire(command, COMMANDS_221[command])
    assert response_url == COMMAND_RESPONSE_URL
    assert "response_url" not in request
    assert commands("2.2.1").request_to_wire(command, request, response_url) == COMMANDS_221[command]


@pytest.mark.parametrize("command", sorted(COMMANDS_211))
def test_2_1_1_requests_round_trip(command):
    request, response_url = commands("2.1.1").request_from_wire(
        command, COMMANDS_211[command], token_owner=("DE", "EMS")
    )
    assert response_url == COMMAND_RESPONSE_URL
    assert commands("2.1.1").request_to_wire(command, request, response_url) == COMMANDS_211[command]


def test_2_1_1_token_is_owned_by_the_connections_emsp_party_and_reservation_id_is_text_inside():
    request, _ = commands("2.1.1").request_from_wire(
        "RESERVE_NOW", COMMANDS_211["RESERVE_NOW"], token_owner=("DE", "EMS")
    )
    assert (request["token"]["country_code"], request["token"]["party_id"]) == ("DE", "EMS")
    assert request["token"]["contract_id"] == "DE8ACC12E46L89"
    assert request["reservation_id"] == "42"


def test_2_2_1_start_session_towards_2_1_1_drops_connector_and_authorization_reference():
    request, url = commands("2.2.1").request_from_wire("START_SESSION", COMMANDS_221["START_SESSION"])
    wire = commands("2.1.1").request_to_wire("START_SESSION", request, url)
    assert set(wire) == {"response_url", "token", "location_id", "evse_uid"}
    assert wire["token"]["type"] == "OTHER"  # APP_USER has no 2.1.1 name
    assert wire["token"]["auth_id"] == "DE8ACC12E46L89"


def test_a_reservation_id_that_is_not_a_number_cannot_go_to_2_1_1():
    request, url = commands("2.2.1").request_from_wire("RESERVE_NOW", COMMANDS_221["RESERVE_NOW"])
    with pytest.raises(InvalidParameters, match="reservation_id"):
        commands("2.1.1").request_to_wire("RESERVE_NOW", request, url)


def test_2_1_1_knows_no_cancel_reservation():
    assert "CANCEL_RESERVATION" in commands("2.2.1").commands
    assert "CANCEL_RESERVATION" not in commands("2.1.1").commands


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"location_id": "x" * 37}, "location_id"),
        ({"response_url": "ftp://example.com/x"}, "response_url"),
        ({"token": {**COMMAND_TOKEN_221, "type": "BADGE"}}, "token.type"),
        ({"evse_uid": None}, "evse_uid"),
    ],
)
def test_bad_2_2_1_start_session_is_2001_naming_the_field(change, field):
    with pytest.raises(InvalidParameters) as error:
        commands("2.2.1").request_from_wire("START_SESSION", {**COMMANDS_221["START_SESSION"], **change})
    assert error.value.message.startswith(field)


def test_2_2_1_command_response_and_result_round_trip():
    v221 = commands("2.2.1")
    message = [{"language": "en", "text": "Busy"}]
    wire = v221.response_to_wire(result="REJECTED", timeout=30, message=message)
    assert wire == {"result": "REJECTED", "timeout": 30, "message": message}
    assert v221.response_from_wire(wire) == {"result": "REJECTED", "timeout": 30, "message": message}
    wire = v221.result_to_wire(result="EVSE_OCCUPIED", message=[])
    assert wire == {"result": "EVSE_OCCUPIED"}
    assert v221.result_from_wire(wire) == {"result": "EVSE_OCCUPIED", "message": []}


def test_2_2_1_response_without_timeout_is_2001():
    with pytest.raises(InvalidParameters, match="timeout"):
        commands("2.2.1").response_from_wire({"result": "ACCEPTED"})


def test_2_1_1_responses_carry_only_the_result():
    v211 = commands("2.1.1")
    assert v211.response_to_wire(result="ACCEPTED", timeout=30, message=[{"language": "en", "text": "x"}]) == {
        "result": "ACCEPTED"
    }
    assert v211.response_from_wire({"result": "ACCEPTED"}) == {"result": "ACCEPTED", "timeout": None, "message": []}
    assert v211.response_from_wire({"result": "TIMEOUT"})["result"] == "REJECTED"


@pytest.mark.parametrize(
    ("internal", "wire"),
    [
        ("ACCEPTED", "ACCEPTED"),
        ("TIMEOUT", "TIMEOUT"),
        ("EVSE_OCCUPIED", "REJECTED"),
        ("CANCELED_RESERVATION", "REJECTED"),
    ],
)
def test_2_1_1_async_result_maps_2_2_1_result_types(internal, wire):
    assert commands("2.1.1").result_to_wire(result=internal, message=[]) == {"result": wire}


def test_2_1_1_async_unknown_session_is_read_as_failed():
    assert commands("2.1.1").result_from_wire({"result": "UNKNOWN_SESSION"})["result"] == "FAILED"
    assert commands("2.1.1").result_from_wire({"result": "ACCEPTED"})["result"] == "ACCEPTED"
