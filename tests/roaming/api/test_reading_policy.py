"""What receiver endpoints read leniently, both versions (docs/compatibility.md, Reading policy): null in an optional
field at any depth is the field left out; timestamps without a zone, with an offset or a long fraction; CiString
ids in any case; URLs with or without a trailing slash. What we answer stays per spec."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from roaming.models import Cdr, Connector, Evse, Location, Session, Token
from tariffs.models import Tariff
from tests.bodies import (
    CDR_211,
    CDR_221,
    CLIENT_INFO,
    LOCATION,
    LOCATION_211,
    SESSION_211,
    SESSION_221,
    TARIFF_211,
    TARIFF_221,
    TOKEN_211,
    TOKEN_221,
)
from tests.bodies import LOCATION_221 as LOCATION_FULL_221
from tests.factories import auth, make_partner, own_location, own_session
from tests.roaming.reading_helpers import stored, with_nulls, without


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def patch(client, url, body, token):
    return client.patch(url, body, content_type="application/json", **auth(token))


def nulls_in(value, path: str = "") -> list[str]:
    """Where a JSON value holds a null, at any depth."""
    if value is None:
        return [path or "(top)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls_in(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls_in(v, f"{path}[{i}]")]
    return []


# -- null is the field left out ---------------------------------------------------------------------------------

#: Optional fields of the spec's example location, at every depth, that the tests send as null.
LOCATION_NULLS_221 = [
    ("name",),
    ("postal_code",),
    ("state",),
    ("related_locations",),
    ("parking_type",),
    ("directions",),
    ("operator",),
    ("suboperator",),
    ("owner",),
    ("facilities",),
    ("opening_times", "regular_hours"),
    ("opening_times", "exceptional_openings"),
    ("charging_when_closed",),
    ("images",),
    ("energy_mix", "energy_sources"),
    ("energy_mix", "supplier_name"),
    ("publish_allowed_to",),
    ("evses", 0, "evse_id"),
    ("evses", 0, "status_schedule"),
    ("evses", 0, "capabilities"),
    ("evses", 0, "floor_level"),
    ("evses", 0, "coordinates"),
    ("evses", 0, "physical_reference"),
    ("evses", 0, "directions"),
    ("evses", 0, "parking_restrictions"),
    ("evses", 0, "images"),
    ("evses", 0, "connectors", 0, "max_electric_power"),
    ("evses", 0, "connectors", 0, "tariff_ids"),
    ("evses", 0, "connectors", 0, "terms_and_conditions"),
    ("evses", 1, "status_schedule", 0, "period_end"),
]
URL_221 = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1"
URL_211 = "/ocpi/emsp/2.1.1/receiver/locations/NL/CPO/LOC1"
LOCATION_NULLS_211 = [
    ("name",),
    ("related_locations",),
    ("directions",),
    ("operator",),
    ("facilities",),
    ("time_zone",),
    ("opening_times", "regular_hours"),
    ("charging_when_closed",),
    ("images",),
    ("energy_mix", "environ_impact"),
    ("evses", 0, "evse_id"),
    ("evses", 0, "status_schedule"),
    ("evses", 0, "capabilities"),
    ("evses", 0, "floor_level"),
    ("evses", 0, "coordinates"),
    ("evses", 0, "images"),
    ("evses", 0, "connectors", 0, "tariff_id"),
    ("evses", 0, "connectors", 0, "terms_and_conditions"),
]
LOCATION_CASES = [
    pytest.param("2.2.1", URL_221, LOCATION_FULL_221, LOCATION_NULLS_221, id="2.2.1"),
    pytest.param("2.1.1", URL_211, LOCATION_211, LOCATION_NULLS_211, id="2.1.1"),
]


@pytest.mark.parametrize("version, url, body, nulls", LOCATION_CASES)
def test_a_location_with_null_optionals_at_every_depth_is_stored_as_without_them(
    client, emsp_tenant, version, url, body, nulls
):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    response = put(client, url, with_nulls(body, nulls), token)
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    evse = Evse.objects.get(uid="3256")
    connector = evse.connectors.get(connector_id="1")
    assert (evse.status_schedule, evse.floor_level, evse.latitude, evse.images) == ([], "", "", [])
    assert (connector.tariff_ids, connector.terms_and_conditions, connector.max_electric_power) == ([], "", None)
    location = Location.objects.get()
    assert (location.operator, location.images, location.facilities, location.charging_when_closed) == (
        None,
        [],
        [],
        None,
    )
    with_null = stored(Location, Evse, Connector)
    Location.objects.all().delete()
    assert put(client, url, without(body, nulls), token).status_code == 201
    assert stored(Location, Evse, Connector) == with_null


@pytest.mark.parametrize("version, url, body, nulls", LOCATION_CASES)
def test_what_we_answer_for_a_location_received_with_nulls_has_none(client, emsp_tenant, version, url, body, nulls):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    put(client, url, with_nulls(body, nulls), token)
    answer = client.get(url, **auth(token)).json()
    assert answer["data"]["id"] == "LOC1" and nulls_in(answer["data"]) == []


def test_the_evse_status_schedule_null_of_the_issue_is_taken(client, emsp_tenant):
    """Uneven partners: a location with "status_schedule": null on an EVSE was refused ("Input should be a
    valid list")."""
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    body = with_nulls(LOCATION, [("evses", 0, "status_schedule"), ("evses", 1, "status_schedule")])
    assert put(client, URL_221, body, token).json()["status_code"] == 1000
    assert list(Evse.objects.values_list("status_schedule", flat=True)) == [[], []]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_patch_leaves_an_optional_field_sent_as_null_unchanged(client, emsp_tenant, version):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = URL_221 if version == "2.2.1" else URL_211
    put(client, url, LOCATION_FULL_221 if version == "2.2.1" else LOCATION_211, token)
    body = {"status": "CHARGING", "floor_level": None, "physical_reference": None, "status_schedule": None}
    response = patch(client, f"{url}/3257", {**body, "last_updated": "2031-01-01T00:00:00Z"}, token)
    assert response.json()["status_code"] == 1000
    evse = Evse.objects.get(uid="3257")
    assert (evse.status, evse.floor_level, evse.physical_reference) == ("CHARGING", "-2", "2")
    assert [s["status"] for s in evse.status_schedule] == ["INOPERATIVE"]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
@pytest.mark.parametrize("level, field", [("/3257", "status"), ("/3257/1", "standard"), ("", "address")])
def test_a_patch_setting_a_required_field_to_null_is_2001_naming_it_and_changes_nothing(
    client, emsp_tenant, version, level, field
):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = URL_221 if version == "2.2.1" else URL_211
    put(client, url, LOCATION_FULL_221 if version == "2.2.1" else LOCATION_211, token)
    before = stored(Location, Evse, Connector)
    response = patch(client, f"{url}{level}", {field: None, "last_updated": "2031-01-01T00:00:00Z"}, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert response.json()["status_message"] == f"{field}: may not be null"
    assert stored(Location, Evse, Connector) == before


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_put_with_a_required_field_null_deep_inside_is_2001_naming_its_path(client, emsp_tenant, version):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url, body = (URL_221, LOCATION_FULL_221) if version == "2.2.1" else (URL_211, LOCATION_211)
    response = put(client, url, with_nulls(body, [("evses", 1, "connectors", 0, "format")]), token)
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"] == "evses[1].connectors[0].format: may not be null"
    assert not Location.objects.exists()


TARIFF_NULLS_221 = [
    ("type",),
    ("tariff_alt_text",),
    ("tariff_alt_url",),
    ("min_price",),
    ("max_price",),
    ("start_date_time",),
    ("end_date_time",),
    ("energy_mix",),
    ("elements", 0, "restrictions"),
    ("elements", 0, "price_components", 0, "vat"),
    ("elements", 1, "restrictions", "day_of_week"),
    ("elements", 1, "restrictions", "min_kwh"),
    ("elements", 4, "restrictions", "reservation"),
]
TARIFF_NULLS_211 = [
    ("tariff_alt_text",),
    ("tariff_alt_url",),
    ("energy_mix",),
    ("elements", 0, "restrictions"),
    ("elements", 1, "restrictions", "start_time"),
    ("elements", 1, "restrictions", "min_power"),
]


@pytest.mark.parametrize(
    "version, body, nulls", [("2.2.1", TARIFF_221, TARIFF_NULLS_221), ("2.1.1", TARIFF_211, TARIFF_NULLS_211)]
)
def test_a_tariff_with_null_optionals_in_its_elements_is_stored_as_without_them(
    client, emsp_tenant, version, body, nulls
):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = f"/ocpi/emsp/{version}/receiver/tariffs/NL/CPO/T1"
    assert put(client, url, with_nulls(body, nulls), token).status_code == 201
    tariff = Tariff.objects.get()
    assert "restrictions" not in tariff.elements[0] and "vat" not in tariff.elements[0]["price_components"][0]
    assert nulls_in(tariff.elements) == []
    with_null = stored(Tariff)
    Tariff.objects.all().delete()
    assert put(client, url, without(body, nulls), token).status_code == 201
    assert stored(Tariff) == with_null
    assert nulls_in(client.get(url, **auth(token)).json()["data"]) == []


@pytest.mark.parametrize(
    "version, body, nulls",
    [
        (
            "2.2.1",
            {**TOKEN_221, "energy_contract": {"supplier_name": "Greenpower", "contract_id": "GP1"}},
            [
                ("visual_number",),
                ("group_id",),
                ("language",),
                ("default_profile_type",),
                ("energy_contract", "contract_id"),
            ],
        ),
        ("2.1.1", TOKEN_211, [("visual_number",), ("language",)]),
    ],
)
def test_a_token_with_null_optionals_is_stored_as_without_them(client, cpo_tenant, version, body, nulls):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version=version)
    url = f"/ocpi/cpo/{version}/receiver/tokens/DE/EMS/{body['uid']}"
    assert put(client, url, with_nulls(body, nulls), token).status_code == 201
    assert (Token.objects.get().visual_number, Token.objects.get().language) == ("", "")
    with_null = stored(Token)
    Token.objects.all().delete()
    assert put(client, url, without(body, nulls), token).status_code == 201
    assert stored(Token) == with_null


@pytest.mark.parametrize(
    "version, body, nulls",
    [
        (
            "2.2.1",
            SESSION_221,
            [
                ("end_date_time",),
                ("authorization_reference",),
                ("meter_id",),
                ("total_cost", "incl_vat"),
                ("charging_periods", 2, "tariff_id"),
            ],
        ),
        (
            "2.1.1",
            SESSION_211,
            [("end_datetime",), ("meter_id",), ("total_cost",), ("location", "evses", 0, "status_schedule")],
        ),
    ],
)
def test_a_session_with_null_optionals_is_stored_as_without_them(client, emsp_tenant, version, body, nulls):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = f"/ocpi/emsp/{version}/receiver/sessions/NL/CPO/S1"
    assert put(client, url, with_nulls(body, nulls), token).status_code == 201
    session = Session.objects.get()
    assert (session.end_date_time, session.meter_id) == (None, "")
    assert nulls_in(session.charging_periods) == [] and nulls_in(session.location_211 or {}) == []
    with_null = stored(Session)
    Session.objects.all().delete()
    assert put(client, url, without(body, nulls), token).status_code == 201
    assert stored(Session) == with_null


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_session_patch_with_null_charging_periods_keeps_them(client, emsp_tenant, version):
    """mod_sessions PATCH: a list left out changes nothing; null is left out."""
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = f"/ocpi/emsp/{version}/receiver/sessions/NL/CPO/S1"
    put(client, url, SESSION_221 if version == "2.2.1" else SESSION_211, token)
    periods = Session.objects.get().charging_periods
    body = {"kwh": 50, "charging_periods": None, "total_cost": None, "last_updated": "2031-01-01T00:00:00Z"}
    assert patch(client, url, body, token).json()["status_code"] == 1000
    session = Session.objects.get()
    assert (float(session.kwh), session.charging_periods) == (50.0, periods)
    assert session.total_cost is not None


@pytest.mark.parametrize(
    "version, body, nulls",
    [
        (
            "2.2.1",
            CDR_221,
            [
                ("session_id",),
                ("authorization_reference",),
                ("meter_id",),
                ("signed_data",),
                ("total_fixed_cost",),
                ("total_parking_time",),
                ("remark",),
                ("credit",),
                ("cdr_location", "name"),
                ("cdr_location", "postal_code"),
                ("total_cost", "incl_vat"),
                ("tariffs", 0, "tariff_alt_text"),
                ("tariffs", 0, "elements", 0, "restrictions"),
            ],
        ),
        (
            "2.1.1",
            CDR_211,
            [
                ("meter_id",),
                ("remark",),
                ("total_parking_time",),
                ("location", "name"),
                ("location", "evses", 0, "evse_id"),
            ],
        ),
    ],
)
def test_a_cdr_with_null_optionals_is_stored_as_without_them(client, emsp_tenant, version, body, nulls):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = f"/ocpi/emsp/{version}/receiver/cdrs"
    response = client.post(url, with_nulls(body, nulls), content_type="application/json", **auth(token))
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    cdr = Cdr.objects.get()
    assert (cdr.meter_id, cdr.remark, cdr.total_parking_time) == ("", "", None)
    # sub-objects kept in their wire shape (a CDR's tariffs are the tariffs module's internal dicts)
    kept = [cdr.cdr_token, cdr.cdr_location, cdr.charging_periods, cdr.total_cost, cdr.location_211 or {}]
    assert nulls_in([*kept, [t["elements"] for t in cdr.tariffs]]) == []
    with_null = stored(Cdr)
    Cdr.objects.all().delete()
    client.post(url, without(body, nulls), content_type="application/json", **auth(token))
    assert stored(Cdr) == with_null


# -- timestamps -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
@pytest.mark.parametrize(
    "sent, expected",
    [
        ("2031-05-06T07:08:09", datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2031-05-06T09:08:09.123456789012+02:00", datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)),
        ("2031-05-06t02:08:09.5-0500", datetime(2031, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)),
        ("2031-05-06t07:08:09z", datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)),
    ],
)
def test_timestamps_are_read_in_utc_whatever_form_they_come_in_and_answered_with_z(
    client, emsp_tenant, version, sent, expected
):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url, body = (URL_221, LOCATION_FULL_221) if version == "2.2.1" else (URL_211, LOCATION_211)
    body = copy.deepcopy(body)
    body["last_updated"] = body["evses"][0]["last_updated"] = body["evses"][0]["connectors"][0]["last_updated"] = sent
    assert put(client, url, body, token).json()["status_code"] == 1000
    assert Location.objects.get().last_updated == expected
    assert Connector.objects.get(evse__uid="3256", connector_id="1").last_updated == expected
    answer = client.get(url, **auth(token)).json()["data"]
    assert answer["last_updated"] == answer["evses"][0]["connectors"][0]["last_updated"] == "2031-05-06T07:08:09Z"


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_list_asked_from_a_date_with_an_offset_and_a_long_fraction_is_filtered_in_utc(client, cpo_tenant, version):
    own_location(cpo_tenant, last_updated="2031-05-06T07:08:09Z")
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version=version)
    url = f"/ocpi/cpo/{version}/sender/locations"
    before = client.get(f"{url}?date_from=2031-05-06T09:08:08.999999999%2B02:00", **auth(token)).json()
    after = client.get(f"{url}?date_from=2031-05-06T09:08:09.0000019%2B02:00", **auth(token)).json()
    assert ([x["id"] for x in before["data"]], after["data"]) == (["LOC1"], [])


# -- CiString ids in any case -----------------------------------------------------------------------------------


def _mixed_case_location(version: str) -> dict:
    """A location whose ids hold letters (the spec example's EVSE uids and connector ids are digits)."""
    body = copy.deepcopy(LOCATION_FULL_221 if version == "2.2.1" else LOCATION_211)
    body["id"] = "Loc-A1"
    body["evses"][0]["uid"] = "Evse-A1"
    body["evses"][0]["connectors"][0]["id"] = "Con-A1"
    return body


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_location_put_in_another_case_updates_the_stored_one_which_keeps_its_ids_as_received(
    client, emsp_tenant, version
):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    base = f"/ocpi/emsp/{version}/receiver/locations"
    assert put(client, f"{base}/NL/CPO/Loc-A1", _mixed_case_location(version), token).status_code == 201
    again = {**_mixed_case_location(version), "id": "LOC-a1", "name": "Renamed"}
    if version == "2.2.1":
        again.update(country_code="nl", party_id="cpo")
    response = put(client, f"{base}/nl/cpo/LOC-a1", again, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    location = Location.objects.get()
    assert (location.location_id, location.country_code, location.party_id, location.name) == (
        "Loc-A1",
        "NL",
        "CPO",
        "Renamed",
    )
    assert list(Evse.objects.values_list("uid", flat=True)) == ["Evse-A1", "3257"]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_get_and_patch_find_a_location_evse_and_connector_in_any_case(client, emsp_tenant, version):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    base = f"/ocpi/emsp/{version}/receiver/locations"
    put(client, f"{base}/NL/CPO/Loc-A1", _mixed_case_location(version), token)
    assert client.get(f"{base}/nl/cpo/LOC-A1", **auth(token)).json()["data"]["id"] == "Loc-A1"
    assert client.get(f"{base}/nl/cpo/loc-a1/EVSE-A1", **auth(token)).json()["data"]["uid"] == "Evse-A1"
    assert client.get(f"{base}/NL/CPO/loc-a1/evse-a1/CON-a1", **auth(token)).json()["data"]["id"] == "Con-A1"
    stamp = "2031-01-01T00:00:00Z"
    status = {"status": "CHARGING", "last_updated": stamp}
    assert patch(client, f"{base}/nl/cpo/LOC-A1/evse-A1", status, token).json()["status_code"] == 1000
    amperage = {"max_amperage" if version == "2.2.1" else "amperage": 10, "last_updated": stamp}
    assert patch(client, f"{base}/nl/cpo/loc-a1/EVSE-a1/con-a1", amperage, token).json()["status_code"] == 1000
    evse = Evse.objects.get(uid="Evse-A1")
    assert (evse.status, evse.connectors.get(connector_id="Con-A1").max_amperage) == ("CHARGING", 10)
    assert Location.objects.count() == 1 and Evse.objects.count() == 2


def test_an_evse_status_patch_in_another_case_costs_the_same_four_statements(client, emsp_tenant):
    """The hot path compares upper(id) with an upper() index: any case, no extra statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    base = "/ocpi/emsp/2.2.1/receiver/locations"
    put(client, f"{base}/NL/CPO/Loc-A1", _mixed_case_location("2.2.1"), token)
    counts = []
    for path in ("NL/CPO/Loc-A1/Evse-A1", "nl/cpo/LOC-a1/eVSE-a1"):
        with CaptureQueriesContext(connection) as queries:
            response = patch(
                client, f"{base}/{path}", {"status": "BLOCKED", "last_updated": "2031-01-01T00:00:00Z"}, token
            )
        assert response.json()["status_code"] == 1000
        counts.append(len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]))
    assert counts == [4, 4]
    assert Evse.objects.get(uid="Evse-A1").status == "BLOCKED"


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_tariff_put_in_another_case_updates_the_stored_one(client, emsp_tenant, version):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    base = f"/ocpi/emsp/{version}/receiver/tariffs"
    body = TARIFF_221 if version == "2.2.1" else TARIFF_211
    assert put(client, f"{base}/NL/CPO/Tar-1", {**body, "id": "Tar-1"}, token).status_code == 201
    response = put(client, f"{base}/nl/cpo/TAR-1", {**body, "id": "TAR-1", "currency": "GBP"}, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert list(Tariff.objects.values_list("tariff_id", "currency")) == [("Tar-1", "GBP")]
    assert client.get(f"{base}/NL/CPO/tar-1", **auth(token)).json()["data"]["id"] == "Tar-1"


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_token_put_get_and_patch_in_another_case_address_the_stored_one(client, cpo_tenant, version):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version=version)
    base = f"/ocpi/cpo/{version}/receiver/tokens"
    body = TOKEN_221 if version == "2.2.1" else TOKEN_211
    assert put(client, f"{base}/DE/EMS/Tok-A1", {**body, "uid": "Tok-A1"}, token).status_code == 201
    response = put(client, f"{base}/de/ems/TOK-a1", {**body, "uid": "TOK-a1", "issuer": "Renamed"}, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert client.get(f"{base}/DE/EMS/tok-a1", **auth(token)).json()["data"]["uid"] == "Tok-A1"
    response = patch(client, f"{base}/de/ems/tok-A1", {"valid": False, "last_updated": "2031-01-01T00:00:00Z"}, token)
    assert response.json()["status_code"] == 1000
    assert list(Token.objects.values_list("uid", "issuer", "valid")) == [("Tok-A1", "Renamed", False)]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_session_put_and_patch_in_another_case_address_the_stored_one(client, emsp_tenant, version):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    base = f"/ocpi/emsp/{version}/receiver/sessions"
    body = SESSION_221 if version == "2.2.1" else SESSION_211
    assert put(client, f"{base}/NL/CPO/Ses-1", {**body, "id": "Ses-1"}, token).status_code == 201
    assert put(client, f"{base}/nl/cpo/SES-1", {**body, "id": "SES-1", "kwh": 7}, token).status_code == 200
    response = patch(client, f"{base}/NL/CPO/ses-1", {"kwh": 8, "last_updated": "2031-01-01T00:00:00Z"}, token)
    assert response.json()["status_code"] == 1000
    assert [(s.session_id, float(s.kwh)) for s in Session.objects.all()] == [("Ses-1", 8.0)]
    assert client.get(f"{base}/nl/cpo/SES-1", **auth(token)).json()["data"]["id"] == "Ses-1"


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_cdr_posted_again_in_another_case_is_the_same_cdr_and_found_in_any_case(client, emsp_tenant, version):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    url = f"/ocpi/emsp/{version}/receiver/cdrs"
    body = CDR_221 if version == "2.2.1" else CDR_211
    first = client.post(url, {**body, "id": "Cdr-1"}, content_type="application/json", **auth(token))
    again = client.post(url, {**body, "id": "CDR-1"}, content_type="application/json", **auth(token))
    assert (first.status_code, again.status_code, again.json()["status_code"]) == (201, 200, 1000)
    assert list(Cdr.objects.values_list("cdr_id", flat=True)) == ["Cdr-1"]
    assert client.get(f"{url}/nl/cpo/cdr-1", **auth(token)).json()["data"]["id"] == "Cdr-1"


def test_client_info_put_in_another_case_updates_the_stored_one(client, cpo_tenant):
    from roaming.models import ClientInfo

    _, token = make_partner(cpo_tenant, "NL:HUB:HUB", name="hub")
    url = "/ocpi/cpo/2.2.1/receiver/hubclientinfo"
    assert (
        put(client, f"{url}/de/ems", {**CLIENT_INFO, "country_code": "de", "party_id": "ems"}, token).status_code == 201
    )
    response = put(client, f"{url}/DE/EMS", {**CLIENT_INFO, "status": "OFFLINE"}, token)
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert list(ClientInfo.objects.values_list("country_code", "party_id", "status")) == [("DE", "EMS", "OFFLINE")]
    assert client.get(f"{url}/De/Ems", **auth(token)).json()["data"]["status"] == "OFFLINE"


def test_a_2_1_1_session_embeds_its_location_though_it_names_it_in_another_case(client, cpo_tenant, emsp_partner):
    own_location(cpo_tenant, location_id="Loc-A1")
    own_session(cpo_tenant, location_id="LOC-a1", evse_uid="3256", connector_id="1")
    _, token = emsp_partner
    url = "/ocpi/cpo/2.1.1/sender/sessions?date_from=2000-01-01T00:00:00Z"
    [session] = client.get(url, **auth(token)).json()["data"]
    assert session["location"]["id"] == "Loc-A1"
    assert [e["uid"] for e in session["location"]["evses"]] == ["3256"]
