"""CDRs: the spec's examples, receiving once with a Location header, the sender list, pushes exactly once."""

import copy
import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction

from partners.models import PartnerEndpoint
from partners.services import PartySpec, provision_tenant
from roaming.models import Cdr, Delivery
from roaming.ocpi.dialects import get_dialect
from roaming.services import cdrs, outbox
from tests.bodies import CDR
from tests.factories import auth, make_partner, own_cdr
from tests.roaming.locations_helpers import normalized
from tests.spec_examples import example, example_221, examples_211

C221 = get_dialect("2.2.1").module("cdrs")
C211 = get_dialect("2.1.1").module("cdrs")


def obj(internal, **extra):
    return SimpleNamespace(**internal, **extra)


def test_2_2_1_cdr_example_round_trips():
    wire = example_221("cdr_example.json")
    assert C221.to_wire(obj(C221.from_wire(wire))) == normalized(wire)


def test_2_3_0_cdr_example_round_trips_with_its_tax_amounts():
    wire = example("2.3.0", "cdr_example.json")
    cdrs_230 = get_dialect("2.3.0").module("cdrs")
    internal = cdrs_230.from_wire(wire)
    assert internal["total_cost"] == {"excl_vat": 4.0, "incl_vat": 4.4, "taxes": [{"name": "VAT", "amount": 0.4}]}
    # The example's tariff leaves out tax_included, which is written as NO: its prices are before VAT.
    expected = copy.deepcopy(wire)
    expected["tariffs"][0]["tax_included"] = "NO"
    assert cdrs_230.to_wire(obj(internal)) == normalized(expected)
    # 2.2.1 gets the same costs as excl_vat and incl_vat.
    assert C221.to_wire(obj(internal))["total_cost"] == {"excl_vat": 4.0, "incl_vat": 4.4}


def test_2_1_1_cdr_example_is_refused_for_its_string_price():
    # The published 2.1.1 CDR example writes the tariff price as the string "2.00"; number is the type.
    from roaming.ocpi.errors import InvalidParameters

    with pytest.raises(InvalidParameters, match=r"tariffs\[0\]\.elements\[0\]\.price_components\[0\]\.price"):
        C211.from_wire(examples_211("mod_cdrs")[0]["json"], owner=("BE", "BEC"), token_owner=("NL", "TNM"))


def test_2_1_1_cdr_example_with_a_numeric_price_round_trips():
    wire = copy.deepcopy(examples_211("mod_cdrs")[0]["json"])
    wire["tariffs"][0]["elements"][0]["price_components"][0]["price"] = 2.0
    internal = C211.from_wire(wire, owner=("BE", "BEC"), token_owner=("NL", "TNM"))
    assert internal["cdr_location"]["evse_uid"] == wire["location"]["evses"][0]["uid"]
    assert internal["total_cost"] == {"excl_vat": wire["total_cost"]}
    assert C211.to_wire(obj(internal)) == normalized(wire)


def test_2_2_1_cdr_to_2_1_1_builds_the_location_and_drops_what_2_1_1_lacks():
    internal = C221.from_wire(CDR)
    wire = C211.to_wire(obj(internal, stored_connector=SimpleNamespace(max_voltage=230, max_amperage=16)))
    assert wire["stop_date_time"] == CDR["end_date_time"] and wire["auth_id"] == CDR["cdr_token"]["contract_id"]
    assert wire["total_cost"] == CDR["total_cost"]["excl_vat"]
    assert wire["location"]["evses"][0]["connectors"][0]["voltage"] == 230
    assert "total_time_cost" not in wire and "cdr_token" not in wire
    assert all("vat" not in pc for t in wire["tariffs"] for e in t["elements"] for pc in e["price_components"])


def post(client, version, body, token):
    return client.post(f"/ocpi/emsp/{version}/receiver/cdrs", body, content_type="application/json", **auth(token))


def test_post_stores_the_cdr_and_answers_its_url(client, cpo_partner, settings):
    settings.OCPI_BASE_URL = "https://roam.example.com"
    _, token = cpo_partner
    response = post(client, "2.2.1", CDR, token)
    assert response.status_code == 201
    assert response["Location"] == "https://roam.example.com/ocpi/emsp/2.2.1/receiver/cdrs/NL/CPO/12345"
    got = client.get("/ocpi/emsp/2.2.1/receiver/cdrs/NL/CPO/12345", **auth(token)).json()["data"]
    assert got["id"] == "12345" and got["total_cost"] == CDR["total_cost"]


def test_second_post_of_the_same_cdr_is_refused_and_the_first_stays(client, cpo_partner):
    _, token = cpo_partner
    post(client, "2.2.1", CDR, token)
    changed = copy.deepcopy(CDR)
    changed["total_cost"] = {"excl_vat": 999}
    response = post(client, "2.2.1", changed, token)
    assert response.json()["status_code"] == 2001 and "received before" in response.json()["status_message"]
    assert Cdr.objects.get().total_cost == CDR["total_cost"]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_post_retried_after_a_lost_answer_is_success_and_stored_once(client, emsp_tenant, version, settings):
    settings.OCPI_BASE_URL = "https://roam.example.com"
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version)
    body = CDR if version == "2.2.1" else C211.to_wire(obj(C221.from_wire(CDR), stored_connector=None))
    first = post(client, version, body, token)
    again = post(client, version, body, token)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status_code"] == 1000
    assert again["Location"] == first["Location"]
    assert Cdr.objects.count() == 1


def test_the_same_cdr_id_from_another_partner_is_still_refused(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    post(client, "2.2.1", CDR, token)
    Cdr.objects.update(partner=None)  # as if it were the tenant's own
    response = post(client, "2.2.1", CDR, token)
    assert response.json()["status_code"] == 2001


def test_2_1_1_post_takes_the_owner_from_the_connection(client, emsp_tenant):
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="old", version="2.1.1")
    body = C211.to_wire(obj(C221.from_wire(CDR), stored_connector=None))
    assert post(client, "2.1.1", body, token).status_code == 201
    cdr = Cdr.objects.get()
    assert (cdr.country_code, cdr.party_id, cdr.cdr_token["party_id"]) == ("NL", "CPO", "EMS")


def test_cdr_of_another_party_is_refused(client, cpo_partner):
    _, token = cpo_partner
    response = post(client, "2.2.1", {**CDR, "party_id": "XXX"}, token)
    assert response.status_code == 403 and not Cdr.objects.exists()


def test_bad_cdr_is_2001_naming_the_field(client, cpo_partner):
    _, token = cpo_partner
    body = copy.deepcopy(CDR)
    body["cdr_location"]["connector_standard"] = "PLUG"
    response = post(client, "2.2.1", body, token)
    assert response.json()["status_code"] == 2001
    assert "cdr_location.connector_standard" in response.json()["status_message"]
    assert not Cdr.objects.exists()


def test_own_cdr_is_owed_once_as_a_post_to_the_drivers_emsp(cpo_tenant, emsp_partner):
    partner, _ = emsp_partner
    other, _ = make_partner(cpo_tenant, "FR:OTH:EMSP", name="other")
    for p in (partner, other):
        PartnerEndpoint.objects.create(
            tenant=cpo_tenant, partner=p, identifier="cdrs", role="RECEIVER", url="https://emsp.example.com/cdrs"
        )
    own_cdr(cpo_tenant)
    assert list(Delivery.objects.values_list("partner__name", "method", "object_path")) == [
        ("emsp-partner", "POST", "NL/CPO/C1")
    ]


def test_sender_list_leaves_credit_cdrs_out_for_2_1_1(client, cpo_tenant, emsp_partner):
    own_cdr(cpo_tenant, "C1")
    own_cdr(
        cpo_tenant, "C1-CREDIT", credit=True, credit_reference_id="C1", total_cost={"excl_vat": -4.0, "incl_vat": -4.4}
    )
    _, token = emsp_partner
    assert [c["id"] for c in client.get("/ocpi/cpo/2.2.1/sender/cdrs", **auth(token)).json()["data"]] == [
        "C1",
        "C1-CREDIT",
    ]
    assert [c["id"] for c in client.get("/ocpi/cpo/2.1.1/sender/cdrs", **auth(token)).json()["data"]] == ["C1"]


def test_a_hub_tenant_passes_a_received_cdr_on_to_the_drivers_emsp_only(client, db):
    hub = provision_tenant(slug="hub", name="Hub", parties=[PartySpec("DE", "HUB", "HUB")])
    cpo, token = make_partner(hub, "NL:CPO:CPO", name="cpo")
    emsp, _ = make_partner(hub, "DE:EMS:EMSP", name="emsp")
    other, _ = make_partner(hub, "FR:OTH:EMSP", name="other")
    for partner in (cpo, emsp, other):
        PartnerEndpoint.objects.create(
            tenant=hub, partner=partner, identifier="cdrs", role="RECEIVER", url="https://x.example.com/cdrs"
        )
    response = client.post(
        "/ocpi/hub/2.2.1/receiver/cdrs",
        CDR,
        content_type="application/json",
        **auth(token),
        HTTP_OCPI_FROM_COUNTRY_CODE="NL",
        HTTP_OCPI_FROM_PARTY_ID="CPO",
    )
    assert response.status_code == 201
    assert list(Delivery.objects.values_list("partner__name", "method", "object_path")) == [
        ("emsp", "POST", "NL/CPO/12345")
    ]


def test_a_tenant_that_is_no_hub_passes_no_received_cdr_on(client, cpo_partner):
    _, token = cpo_partner
    post(client, "2.2.1", CDR, token)
    assert not Delivery.objects.exists()


def test_the_location_a_receiver_answers_is_kept_and_the_cdr_fetched_back_from_it(cpo_tenant, peer, capsys):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="cdrs", role="RECEIVER", url=f"{peer.url}/cdrs"
    )
    with transaction.atomic():
        own_cdr(cpo_tenant, "C1")
    delivery = Delivery.objects.get()
    peer.ok("/cdrs", None, headers={"Location": f"{peer.url}/cdrs/theirs/77"}, status=201)
    peer.ok("/cdrs/theirs/77", {"id": "C1", "total_cost": {"excl_vat": 9.0}})
    assert outbox.deliver(delivery_id=delivery.pk).status == "DELIVERED"
    delivery.refresh_from_db()
    assert delivery.remote_url == f"{peer.url}/cdrs/theirs/77"
    [copy] = cdrs.partner_copies(tenant=cpo_tenant, cdr=Cdr.objects.get())
    assert (copy.partner, copy.data["total_cost"], copy.error) == ("emsp", {"excl_vat": 9.0}, "")
    call_command("export_objects", cpo_tenant.slug, "cdrs", "--partner-copies", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["partner_copies"][0]["url"] == f"{peer.url}/cdrs/theirs/77"


def test_a_partner_copy_that_cannot_be_fetched_says_why(cpo_tenant, peer):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", token_to_them="t")
    cdr = own_cdr(cpo_tenant, "C1") or Cdr.objects.get()
    Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="cdrs",
        object_path=cdr.object_path,
        method="POST",
        status="DELIVERED",
        next_attempt_at=cdr.last_updated,
        remote_url=f"{peer.url}/gone",
    )
    [copy] = cdrs.partner_copies(tenant=cpo_tenant, cdr=cdr)
    assert copy.data is None and "404" in copy.error
