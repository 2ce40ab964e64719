"""Tariffs endpoints over HTTP: sender list, receiver GET/PUT/DELETE, PATCH only where the version has it."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roaming.ocpi.dialects import get_dialect
from tariffs import services
from tariffs.models import Tariff
from tests.bodies import TARIFF
from tests.factories import auth, make_partner

URL_221 = "/ocpi/emsp/2.2.1/receiver/tariffs/NL/CPO/T1"
URL_211 = "/ocpi/emsp/2.1.1/receiver/tariffs/NL/CPO/T1"


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def test_put_creates_then_updates_and_get_returns_it(client, cpo_partner):
    _, token = cpo_partner
    assert put(client, URL_221, TARIFF, token).status_code == 201
    assert put(client, URL_221, TARIFF, token).status_code == 200
    data = client.get(URL_221, **auth(token)).json()["data"]
    assert data["id"] == "T1" and data["elements"] == TARIFF["elements"]
    assert Tariff.objects.count() == 1


def test_delete_removes_it(client, cpo_partner):
    _, token = cpo_partner
    put(client, URL_221, TARIFF, token)
    assert client.delete(URL_221, **auth(token)).json()["status_code"] == 1000
    assert not Tariff.objects.exists()
    assert client.get(URL_221, **auth(token)).status_code == 404


def test_2_2_1_has_no_patch(client, cpo_partner):
    _, token = cpo_partner
    put(client, URL_221, TARIFF, token)
    response = client.patch(URL_221, {"currency": "GBP"}, content_type="application/json", **auth(token))
    assert response.status_code == 405
    assert Tariff.objects.get().currency == "EUR"


def test_2_1_1_patch_changes_the_tariff(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old", version="2.1.1")
    body = get_dialect("2.1.1").module("tariffs").to_wire(_obj(TARIFF))
    assert put(client, URL_211, body, token).status_code == 201
    response = client.patch(URL_211, {"currency": "GBP"}, content_type="application/json", **auth(token))
    assert response.json()["status_code"] == 1000
    assert Tariff.objects.get().currency == "GBP"


def _obj(wire):
    from types import SimpleNamespace

    return SimpleNamespace(**get_dialect("2.2.1").module("tariffs").from_wire(wire))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t.pop("elements"), "elements: required field is missing"),
        (lambda t: t.update(elements=[]), "elements:"),
        (lambda t: t["elements"][0]["price_components"][0].update(type="KWH"), "elements[0].price_components[0].type"),
        (lambda t: t["elements"][0]["price_components"][0].update(step_size="1"), "step_size"),
        (lambda t: t.update(currency="EURO"), "currency:"),
        (lambda t: t["elements"][0].update(restrictions={"start_time": "25:00"}), "restrictions.start_time"),
    ],
)
def test_bad_tariff_is_2001_naming_the_field_and_nothing_stored(client, cpo_partner, mutate, message):
    _, token = cpo_partner
    body = copy.deepcopy(TARIFF)
    mutate(body)
    response = put(client, URL_221, body, token)
    assert response.status_code == 200 and response.json()["status_code"] == 2001
    assert message in response.json()["status_message"]
    assert not Tariff.objects.exists()


def test_foreign_party_is_refused(client, cpo_partner):
    _, token = cpo_partner
    response = put(client, "/ocpi/emsp/2.2.1/receiver/tariffs/NL/XXX/T1", {**TARIFF, "party_id": "XXX"}, token)
    assert response.status_code == 403 and not Tariff.objects.exists()


def own(tenant, tariff_id, **changes):
    data = get_dialect("2.2.1").module("tariffs").from_wire({**TARIFF, "id": tariff_id, **changes})
    services.put_tariff(tenant=tenant, partner=None, country_code="NL", party_id="CPO", tariff_id=tariff_id, data=data)


def test_sender_list_in_both_versions(client, cpo_tenant, emsp_partner):
    own(cpo_tenant, "T1")
    own(cpo_tenant, "OLD", end_date_time="2020-01-01T00:00:00Z")
    _, token = emsp_partner
    v221 = client.get("/ocpi/cpo/2.2.1/sender/tariffs", **auth(token)).json()["data"]
    v211 = client.get("/ocpi/cpo/2.1.1/sender/tariffs", **auth(token)).json()["data"]
    assert [t["id"] for t in v221] == ["T1", "OLD"]
    assert [t["id"] for t in v211] == ["T1"]  # 2.1.1 cannot say a tariff has ended
    assert "country_code" not in v211[0] and v221[0]["country_code"] == "NL"


def test_2_1_1_pages_are_full_though_ended_tariffs_are_left_out(client, cpo_tenant, emsp_partner):
    for index in range(6):
        own(cpo_tenant, f"T{index}", **({"end_date_time": "2020-01-01T00:00:00Z"} if index % 2 == 0 else {}))
    _, token = emsp_partner
    first = client.get("/ocpi/cpo/2.1.1/sender/tariffs?limit=2", **auth(token))
    assert [t["id"] for t in first.json()["data"]] == ["T1", "T3"]
    assert first.headers["X-Total-Count"] == "3"
    assert "offset=2" in first.headers["Link"]
    last = client.get("/ocpi/cpo/2.1.1/sender/tariffs?limit=2&offset=2", **auth(token))
    assert [t["id"] for t in last.json()["data"]] == ["T5"]
    assert "Link" not in last.headers


@pytest.mark.parametrize("size", [10, 200])
def test_a_tariffs_page_costs_the_same_queries_whatever_its_size(client, cpo_tenant, emsp_partner, size):
    for index in range(size):
        own(cpo_tenant, f"T{index}")
    _, token = emsp_partner
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/ocpi/cpo/2.2.1/sender/tariffs?limit={size}", **auth(token))
    assert len(response.json()["data"]) == size
    assert len(queries) == 3  # token with its tenant, connection parties, the list (counted and sliced as kept)


def test_changing_an_own_tariff_owes_partners_a_put(cpo_tenant, emsp_partner):
    from partners.models import PartnerEndpoint
    from roaming.models import Delivery

    partner, _ = emsp_partner
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        identifier="tariffs",
        role="RECEIVER",
        url="https://emsp.example.com/tariffs",
    )
    own(cpo_tenant, "T1")
    assert list(Delivery.objects.values_list("method", "object_path")) == [("PUT", "NL/CPO/T1")]
