"""OCPI-to and OCPI-from are checked on every request that carries them, not only where the URL names an owner:
commands, charging profiles, authorize, charging preferences and sender lists (transport_and_format, message
routing; status_codes 4001)."""

import pytest

from roaming.models import ChargingProfileRequest, Command
from tests.bodies import COMMANDS_221
from tests.factories import auth, make_commandable, make_partner, own_location

TO_NOBODY = {"HTTP_OCPI_TO_COUNTRY_CODE": "FR", "HTTP_OCPI_TO_PARTY_ID": "XYZ"}
TO_US = {"HTTP_OCPI_TO_COUNTRY_CODE": "NL", "HTTP_OCPI_TO_PARTY_ID": "CPO"}
FROM_OTHER = {"HTTP_OCPI_FROM_COUNTRY_CODE": "FR", "HTTP_OCPI_FROM_PARTY_ID": "ABC"}
FROM_CALLER = {"HTTP_OCPI_FROM_COUNTRY_CODE": "DE", "HTTP_OCPI_FROM_PARTY_ID": "EMS"}
START = {**COMMANDS_221["START_SESSION"], "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1"}
PROFILE = {
    "charging_profile": {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 7.0}]},
    "response_url": "https://emsp.example.com/profiles/1",
}


def call(client, token, method, path, body=None, **headers):
    url = f"/ocpi/cpo/2.2.1/{path}"
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(url, body, **kwargs, **auth(token), **headers)


REQUESTS = [
    ("post", "receiver/commands/START_SESSION", START),
    ("put", "receiver/chargingprofiles/S1", PROFILE),
    ("get", "sender/locations", None),
    ("put", "sender/sessions/S1/charging_preferences", {"profile_type": "REGULAR"}),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_a_request_addressed_to_a_party_we_do_not_host_is_4001_and_does_nothing(
    client, cpo_tenant, emsp_partner, method, path, body
):
    make_commandable(own_location(cpo_tenant))
    _, token = emsp_partner
    response = call(client, token, method, path, body, **TO_NOBODY, **FROM_CALLER)
    assert response.json()["status_code"] == 4001
    assert "FR*XYZ" in response.json()["status_message"]
    assert not Command.objects.exists() and not ChargingProfileRequest.objects.exists()


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_a_request_from_a_party_the_caller_does_not_speak_for_is_403(
    client, cpo_tenant, emsp_partner, method, path, body
):
    make_commandable(own_location(cpo_tenant))
    _, token = emsp_partner
    response = call(client, token, method, path, body, **TO_US, **FROM_OTHER)
    assert response.status_code == 403
    assert "FR*ABC" in response.json()["status_message"]
    assert not Command.objects.exists()


def test_a_command_addressed_to_our_party_from_the_callers_is_taken(client, cpo_tenant, emsp_partner):
    make_commandable(own_location(cpo_tenant))
    _, token = emsp_partner
    response = call(client, token, "post", "receiver/commands/START_SESSION", START, **TO_US, **FROM_CALLER)
    assert response.json()["data"]["result"] == "ACCEPTED"


def test_authorize_addressed_to_a_party_we_do_not_host_is_4001(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    response = client.post(
        "/ocpi/emsp/2.2.1/sender/tokens/T1/authorize",
        {},
        content_type="application/json",
        **auth(token),
        **TO_NOBODY,
    )
    assert response.json()["status_code"] == 4001
