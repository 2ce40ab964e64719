"""Defects the generated cases and the schemathesis run found, each pinned by the smallest request."""

import json

from roaming.models import Cdr
from tests.factories import auth, make_partner
from tests.spec_examples import examples_211


def cdr_211() -> dict:
    """The 2.1.1 chapter's CDR example, with its tariff price a number as the type says."""
    cdr = examples_211("mod_cdrs")[0]["json"]
    cdr["tariffs"][0]["elements"][0]["price_components"][0]["price"] = 2.0
    return cdr


def test_json_nested_too_deeply_is_http_400_not_a_server_error(client, cpo_tenant):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP")
    body = "[" * 100_000 + "]" * 100_000
    response = client.put(
        "/ocpi/cpo/2.2.1/receiver/tokens/DE/EMS/T1", body, content_type="application/json", **auth(token)
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert "nested" in response.json()["status_message"]


def test_cdr_with_an_overlong_owner_is_2001_naming_the_field_not_403(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO")
    body = {"country_code": "NLD", "party_id": "CPO", "id": "CDR1"}
    response = client.post(
        "/ocpi/emsp/2.2.1/receiver/cdrs", json.dumps(body), content_type="application/json", **auth(token)
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert "country_code" in response.json()["status_message"]
    assert not Cdr.objects.exists()


def test_body_over_the_limit_is_refused_unread_with_413(client, cpo_tenant, settings):
    settings.OCPI_MAX_BODY_BYTES = 100
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP")
    response = client.put(
        "/ocpi/cpo/2.2.1/receiver/tokens/DE/EMS/T1",
        json.dumps({"padding": "x" * 200}),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 413
    assert response.json()["status_code"] == 2000
    assert response.json()["status_message"] == "Body of 215 bytes is over the limit of 100 bytes"


def test_nul_in_a_field_we_keep_unread_is_2001_naming_it_not_a_server_error(client, emsp_tenant):
    """A 2.1.1 CDR's location is kept as received, unknown fields too; PostgreSQL cannot store NUL."""
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", version="2.1.1")
    cdr = cdr_211()
    cdr["location"]["owner"] = {"name": "x", "extra": ["\u0000"]}
    response = client.post(
        "/ocpi/emsp/2.1.1/receiver/cdrs", json.dumps(cdr), content_type="application/json", **auth(token)
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("location.owner.extra[0]: ")
    assert not Cdr.objects.exists()


def test_unpaired_surrogate_in_a_field_we_keep_unread_is_2001_naming_it_not_a_server_error(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", version="2.1.1")
    cdr = cdr_211()
    cdr["location"]["owner"] = {"name": "x", "extra": "MARK"}
    body = json.dumps(cdr).replace("MARK", "\\ud800")  # an escape json.dumps does not write
    response = client.post("/ocpi/emsp/2.1.1/receiver/cdrs", body, content_type="application/json", **auth(token))
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("location.owner.extra: ")
    assert not Cdr.objects.exists()


def test_number_too_large_to_store_is_2001_naming_the_field_not_a_server_error(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", version="2.1.1")
    cdr = {**cdr_211(), "total_energy": 4.8e16}
    response = client.post(
        "/ocpi/emsp/2.1.1/receiver/cdrs", json.dumps(cdr), content_type="application/json", **auth(token)
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("total_energy: ")
    assert not Cdr.objects.exists()


def test_charging_profile_get_with_a_duration_past_an_integer_column_is_2001_not_a_server_error(client, cpo_tenant):
    """Found by schemathesis: ?duration=42414783835 reached PostgreSQL's integer column."""
    from roaming.models import ChargingProfileRequest

    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP")
    response = client.get(
        "/ocpi/cpo/2.2.1/receiver/chargingprofiles/S1",
        {"duration": "42414783835", "response_url": "https://emsp.example.com/r/1"},
        **auth(token),
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("duration: ")
    assert not ChargingProfileRequest.objects.exists()


def test_connector_voltage_past_an_integer_column_is_2001_not_a_server_error(client, emsp_tenant):
    """Same defect class: max_voltage is stored in an integer column (2^31 - 1 at most)."""
    from roaming.models import Connector
    from tests.spec_examples import example_221

    _, token = make_partner(emsp_tenant, "NL:CPO:CPO")
    location = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPO", "id": "LOC1"}
    location["evses"][0]["connectors"][0]["max_voltage"] = 3_000_000_000
    response = client.put(
        "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1",
        json.dumps(location),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("evses[0].connectors[0].max_voltage: ")
    assert not Connector.objects.exists()
