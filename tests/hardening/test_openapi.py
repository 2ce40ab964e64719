"""The OpenAPI description at /ocpi/openapi.json: public, complete, every answer an OCPI envelope."""

from roaming.api.openapi import operations
from roaming.ocpi.dialects import all_dialects


def test_the_description_needs_no_token_and_lists_every_operation(client, db):
    response = client.get("/ocpi/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    listed = {(path, method) for path, item in document["paths"].items() for method in item}
    assert {(f"/ocpi{op.path}", op.method) for op in operations()} <= listed
    assert ("/ocpi/{tenant}/versions", "get") in listed
    assert len(listed) == len(operations()) + 1 + len(all_dialects())  # plus versions and each version's details


def test_every_operation_uses_the_token_scheme_and_answers_an_envelope(client, db):
    document = client.get("/ocpi/openapi.json").json()
    assert document["components"]["securitySchemes"]["Token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "'Token <token>': raw in 2.1.1, Base64 in 2.2.1, 2.3.0",
    }
    for item in document["paths"].values():
        for operation in item.values():
            assert operation["security"] == [{"Token": []}]
            for answer in operation["responses"].values():
                schema = answer["content"]["application/json"]["schema"]
                assert schema["required"] == ["status_code", "timestamp"]


def test_bodies_are_the_wire_schemas_with_their_spec_lengths(client, db):
    document = client.get("/ocpi/openapi.json").json()
    put = document["paths"]["/ocpi/{tenant}/2.2.1/receiver/tokens/{country_code}/{party_id}/{uid}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/2_2_1_TokenWire"
    }
    token = document["components"]["schemas"]["2_2_1_TokenWire"]
    assert token["properties"]["uid"]["maxLength"] == 36
    assert "contract_id" in token["required"]
    parameters = {p["name"]: p["schema"] for p in put["parameters"]}
    assert parameters["country_code"]["maxLength"] == 2 and parameters["party_id"]["maxLength"] == 3
    listing = document["paths"]["/ocpi/{tenant}/2.1.1/sender/sessions"]["get"]
    assert {p["name"]: p["required"] for p in listing["parameters"] if p["in"] == "query"} == {
        "offset": False,
        "limit": False,
        "date_from": True,
        "date_to": False,
    }
