"""Sessions endpoints over HTTP: receiver PUT/PATCH (periods appended in 2.2.1), sender list, charging preferences."""

import copy

from roaming.models import Evse, Session
from tests.bodies import SESSION
from tests.factories import auth, make_partner, own_location, own_session

URL = "/ocpi/emsp/2.2.1/receiver/sessions/NL/CPO/S1"
PERIOD = {"start_date_time": "2015-06-29T23:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 1.5}]}


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def patch(client, url, body, token):
    return client.patch(url, body, content_type="application/json", **auth(token))


def test_put_then_get(client, cpo_partner):
    _, token = cpo_partner
    assert put(client, URL, SESSION, token).status_code == 201
    assert put(client, URL, SESSION, token).status_code == 200
    assert client.get(URL, **auth(token)).json()["data"]["id"] == "S1"


def test_2_2_1_patch_appends_charging_periods_and_updates_kwh_and_status(client, cpo_partner):
    _, token = cpo_partner
    put(client, URL, SESSION, token)
    before = len(Session.objects.get().charging_periods)
    response = patch(
        client,
        URL,
        {"charging_periods": [PERIOD], "kwh": 16.5, "status": "COMPLETED", "last_updated": "2030-01-01T00:00:00Z"},
        token,
    )
    assert response.json()["status_code"] == 1000
    session = Session.objects.get()
    assert len(session.charging_periods) == before + 1
    assert (float(session.kwh), session.status) == (16.5, "COMPLETED")


def test_2_2_1_patch_without_last_updated_is_2001(client, cpo_partner):
    _, token = cpo_partner
    put(client, URL, SESSION, token)
    assert patch(client, URL, {"kwh": 99}, token).json()["status_code"] == 2001
    assert float(Session.objects.get().kwh) != 99


def test_2_1_1_patch_replaces_charging_periods(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old", version="2.1.1")
    put(client, URL, SESSION, make_partner(emsp_tenant, "NL:CPO:CPO", name="new")[1])
    url = URL.replace("2.2.1", "2.1.1")
    assert patch(client, url, {"charging_periods": [PERIOD]}, token).json()["status_code"] == 1000
    assert Session.objects.get().charging_periods == [PERIOD]


def test_bad_session_is_2001_naming_the_field_and_nothing_stored(client, cpo_partner):
    _, token = cpo_partner
    body = copy.deepcopy(SESSION)
    body["cdr_token"]["type"] = "BADGE"
    response = put(client, URL, body, token)
    assert response.json()["status_code"] == 2001 and "cdr_token.type" in response.json()["status_message"]
    assert not Session.objects.exists()


def test_sender_list_needs_date_from_and_shows_only_the_partners_drivers(client, cpo_tenant, emsp_partner):
    own_session(cpo_tenant, "MINE")
    own_session(cpo_tenant, "OTHERS", cdr_token={**SESSION["cdr_token"], "party_id": "XXX"})
    _, token = emsp_partner
    assert client.get("/ocpi/cpo/2.2.1/sender/sessions", **auth(token)).json()["status_code"] == 2001
    data = client.get("/ocpi/cpo/2.2.1/sender/sessions?date_from=2000-01-01T00:00:00Z", **auth(token)).json()["data"]
    assert [s["id"] for s in data] == ["MINE"]


def test_2_1_1_sender_list_embeds_the_stored_location(client, cpo_tenant, emsp_partner):
    location = own_location(cpo_tenant, location_id=SESSION["location_id"])
    own_session(cpo_tenant, evse_uid="3256", connector_id="1")
    _, token = emsp_partner
    [data] = client.get("/ocpi/cpo/2.1.1/sender/sessions?date_from=2000-01-01T00:00:00Z", **auth(token)).json()["data"]
    assert data["location"]["id"] == location.location_id
    assert [e["uid"] for e in data["location"]["evses"]] == ["3256"]
    assert [c["id"] for c in data["location"]["evses"][0]["connectors"]] == ["1"]
    assert data["auth_id"] == SESSION["cdr_token"]["contract_id"]


PREFERENCES = {"profile_type": "REGULAR", "energy_need": 30}


def test_charging_preferences_are_accepted_where_the_evse_can_take_them(client, cpo_tenant, emsp_partner):
    own_location(cpo_tenant, location_id=SESSION["location_id"])
    Evse.objects.filter(uid="3256").update(capabilities=["CHARGING_PREFERENCES_CAPABLE"])
    own_session(cpo_tenant, evse_uid="3256", connector_id="1", status="ACTIVE")
    _, token = emsp_partner
    response = put(client, "/ocpi/cpo/2.2.1/sender/sessions/S1/charging_preferences", PREFERENCES, token)
    assert response.json()["data"] == "ACCEPTED"
    assert Session.objects.get().charging_preferences == {"profile_type": "REGULAR", "energy_need": 30.0}


def test_charging_preferences_for_an_incapable_evse_are_404_with_2001(client, cpo_tenant, emsp_partner):
    own_location(cpo_tenant, location_id=SESSION["location_id"])
    own_session(cpo_tenant, evse_uid="3256", connector_id="1")
    _, token = emsp_partner
    response = put(client, "/ocpi/cpo/2.2.1/sender/sessions/S1/charging_preferences", PREFERENCES, token)
    assert response.status_code == 404 and response.json()["status_code"] == 2001
    assert put(client, "/ocpi/cpo/2.1.1/sender/sessions/S1/charging_preferences", PREFERENCES, token).status_code == 404
