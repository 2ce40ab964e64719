"""Defects the generated cases and the schemathesis run found, each pinned by the smallest request."""

import json

from roaming.models import Cdr
from tests.factories import auth, make_partner


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
