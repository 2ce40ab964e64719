"""What receiver endpoints read leniently, both versions (docs/compatibility.md, Reading policy): null in an optional
field at any depth is the field left out; timestamps without a zone, with an offset or a long fraction; CiString
ids in any case; URLs with or without a trailing slash. What we answer stays per spec."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.forms.models import model_to_dict

from roaming.models import Cdr, Connector, Evse, Location, Session, Token
from roaming.ocpi.dialect import get_dialect
from tariffs.models import Tariff
from tests.factories import auth, make_partner
from tests.roaming.api.test_cdrs import CDR
from tests.roaming.api.test_locations_api import LOCATION
from tests.roaming.api.test_sessions_api import SESSION
from tests.roaming.api.test_tariffs_api import TARIFF
from tests.roaming.api.test_tokens_api import TOKEN
from tests.roaming.locations_helpers import materialize

V221, V211 = get_dialect("2.2.1"), get_dialect("2.1.1")


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def patch(client, url, body, token):
    return client.patch(url, body, content_type="application/json", **auth(token))


def with_nulls(body: dict, paths: list[tuple]) -> dict:
    """`body` with each field at `paths` sent as null."""
    body = copy.deepcopy(body)
    for path in paths:
        target = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = None
    return body


def without(body: dict, paths: list[tuple]) -> dict:
    """`body` with each field at `paths` left out."""
    body = copy.deepcopy(body)
    for path in paths:
        target = body
        for part in path[:-1]:
            target = target[part]
        target.pop(path[-1], None)
    return body


def nulls_in(value, path: str = "") -> list[str]:
    """Where a JSON value holds a null, at any depth."""
    if value is None:
        return [path or "(top)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls_in(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls_in(v, f"{path}[{i}]")]
    return []


_KEYS = {"id", "tenant", "partner", "location", "evse", "last_updated", "revision"}


def stored(*models) -> list:
    """What the models hold, without surrogate keys, to compare two writes of the same object."""
    return [
        [{k: v for k, v in model_to_dict(o).items() if k not in _KEYS} for o in m.objects.order_by("pk")]
        for m in models
    ]


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
LOCATION_FULL_221 = {
    **LOCATION,
    "opening_times": {"twentyfourseven": True, "exceptional_closings": []},
    "energy_mix": {"is_green_energy": True},
}
LOCATION_FULL_221["evses"] = copy.deepcopy(LOCATION["evses"])
LOCATION_FULL_221["evses"][1]["status_schedule"] = [
    {"period_begin": "2030-01-01T00:00:00Z", "period_end": "2030-01-02T00:00:00Z", "status": "INOPERATIVE"}
]
URL_221 = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1"
URL_211 = "/ocpi/emsp/2.1.1/receiver/locations/NL/CPO/LOC1"
LOCATION_211 = V211.module("locations").to_wire(materialize(V221.module("locations").from_wire(LOCATION_FULL_221)))
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
TARIFF_211 = V211.module("tariffs").to_wire(SimpleNamespace(**V221.module("tariffs").from_wire(TARIFF)))
TARIFF_NULLS_211 = [
    ("tariff_alt_text",),
    ("tariff_alt_url",),
    ("energy_mix",),
    ("elements", 0, "restrictions"),
    ("elements", 1, "restrictions", "start_time"),
    ("elements", 1, "restrictions", "min_power"),
]


@pytest.mark.parametrize(
    "version, body, nulls", [("2.2.1", TARIFF, TARIFF_NULLS_221), ("2.1.1", TARIFF_211, TARIFF_NULLS_211)]
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


TOKEN_211 = V211.module("tokens").to_wire(SimpleNamespace(**V221.module("tokens").from_wire(TOKEN)))


@pytest.mark.parametrize(
    "version, body, nulls",
    [
        (
            "2.2.1",
            {**TOKEN, "energy_contract": {"supplier_name": "Greenpower", "contract_id": "GP1"}},
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


SESSION_211 = V211.module("sessions").to_wire(
    SimpleNamespace(
        **V221.module("sessions").from_wire(SESSION),
        location_211=LOCATION_211 | {"evses": [LOCATION_211["evses"][0]]},
    )
)


@pytest.mark.parametrize(
    "version, body, nulls",
    [
        (
            "2.2.1",
            SESSION,
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
    put(client, url, SESSION if version == "2.2.1" else SESSION_211, token)
    periods = Session.objects.get().charging_periods
    body = {"kwh": 50, "charging_periods": None, "total_cost": None, "last_updated": "2031-01-01T00:00:00Z"}
    assert patch(client, url, body, token).json()["status_code"] == 1000
    session = Session.objects.get()
    assert (float(session.kwh), session.charging_periods) == (50.0, periods)
    assert session.total_cost is not None


CDR_211 = V211.module("cdrs").to_wire(SimpleNamespace(**V221.module("cdrs").from_wire(CDR), stored_connector=None))


@pytest.mark.parametrize(
    "version, body, nulls",
    [
        (
            "2.2.1",
            CDR,
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
    from tests.roaming.api.test_locations_api import own_location

    own_location(cpo_tenant, last_updated="2031-05-06T07:08:09Z")
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version=version)
    url = f"/ocpi/cpo/{version}/sender/locations"
    before = client.get(f"{url}?date_from=2031-05-06T09:08:08.999999999%2B02:00", **auth(token)).json()
    after = client.get(f"{url}?date_from=2031-05-06T09:08:09.0000019%2B02:00", **auth(token)).json()
    assert ([x["id"] for x in before["data"]], after["data"]) == (["LOC1"], [])
