"""2.2.1 Charging Profiles wire objects both ways (the chapter has no example JSON: its tables are the source)."""

from datetime import UTC, datetime

import pytest

from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import InvalidParameters

PROFILE = {
    "start_date_time": "2026-03-01T10:00:00Z",
    "duration": 3600,
    "charging_rate_unit": "A",
    "min_charging_rate": 6.0,
    "charging_profile_period": [{"start_period": 0, "limit": 16.0}, {"start_period": 900, "limit": 8.1}],
}
ACTIVE = {"start_date_time": "2026-03-01T10:05:00Z", "charging_profile": PROFILE}


@pytest.fixture
def translator():
    return get_dialect("2.2.1").module("chargingprofiles")


def test_2_1_1_has_no_charging_profiles_module():
    assert not get_dialect("2.1.1").has_module("chargingprofiles")
    assert get_dialect("2.2.1").has_module("chargingprofiles")


def test_set_charging_profile_round_trips(translator):
    wire = {"charging_profile": PROFILE, "response_url": "https://www.msp.com/ocpi/2.2.1/chargingprofile/response/5678"}
    profile, url = translator.set_from_wire(wire)
    assert url == wire["response_url"]
    assert translator.set_to_wire(profile=profile, response_url=url) == wire


def test_a_minimal_profile_keeps_only_what_it_has(translator):
    profile, _ = translator.set_from_wire(
        {"charging_profile": {"charging_rate_unit": "W", "charging_profile_period": []}, "response_url": "https://a/b"}
    )
    assert profile == {"charging_rate_unit": "W", "charging_profile_period": []}


def test_get_and_delete_parameters_come_from_the_query(translator):
    query = {
        "duration": "900",
        "response_url": "https://www.msp.com/ocpi/2.2.1/chargingprofile/response?request_id=5678",
    }
    assert translator.get_from_wire(query) == (900, query["response_url"])
    assert translator.get_to_wire(duration=900, response_url=query["response_url"]) == {**query, "duration": 900}
    assert translator.clear_from_wire({"response_url": "https://www.server.com/example"}) == (
        "https://www.server.com/example"
    )


def test_response_and_results_round_trip(translator):
    assert translator.response_from_wire({"result": "TOO_OFTEN", "timeout": 30}) == {
        "result": "TOO_OFTEN",
        "timeout": 30,
    }
    assert translator.response_to_wire(result="ACCEPTED", timeout=30) == {"result": "ACCEPTED", "timeout": 30}
    result = translator.result_from_wire("GET", {"result": "ACCEPTED", "profile": ACTIVE})
    assert result["profile"]["start_date_time"] == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    assert translator.result_to_wire("GET", **result) == {"result": "ACCEPTED", "profile": ACTIVE}
    assert translator.result_from_wire("SET", {"result": "UNKNOWN"}) == {"result": "UNKNOWN", "profile": None}
    assert translator.result_to_wire("CLEAR", result="REJECTED") == {"result": "REJECTED"}
    assert translator.active_profile_to_wire(translator.active_profile_from_wire(ACTIVE)) == ACTIVE


@pytest.mark.parametrize(
    ("call", "data", "named"),
    [
        ("set_from_wire", {"response_url": "https://a/b"}, "charging_profile: required field is missing"),
        (
            "set_from_wire",
            {"charging_profile": {**PROFILE, "charging_rate_unit": "kW"}, "response_url": "https://a/b"},
            "charging_profile.charging_rate_unit",
        ),
        (
            "set_from_wire",
            {"charging_profile": {**PROFILE, "charging_profile_period": [{"start_period": 0, "limit": 8.15}]}},
            "charging_profile.charging_profile_period[0].limit: Value error, accepts at most one digit fraction",
        ),
        ("set_from_wire", {"charging_profile": PROFILE, "response_url": "ftp://a/b"}, "response_url"),
        ("get_from_wire", {"response_url": "https://a/b"}, "duration: required field is missing"),
        ("get_from_wire", {"duration": "soon", "response_url": "https://a/b"}, "duration"),
        ("clear_from_wire", {}, "response_url: required field is missing"),
        ("active_profile_from_wire", {"charging_profile": PROFILE}, "start_date_time: required field is missing"),
    ],
)
def test_invalid_objects_are_refused_naming_the_field(translator, call, data, named):
    with pytest.raises(InvalidParameters) as error:
        getattr(translator, call)(data)
    assert named in error.value.message


def test_a_session_id_longer_than_36_is_refused(translator):
    assert translator.session_id("1234") == "1234"
    with pytest.raises(InvalidParameters, match="URL segment session_id"):
        translator.session_id("x" * 37)
