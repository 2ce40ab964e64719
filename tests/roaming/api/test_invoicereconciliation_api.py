"""Invoice Reconciliation (2.3.0) over HTTP: the receiver's POST, GET, PUT and DELETE with their ownership
checks and refusals, the sender's list of the records meant for the caller, and the versions without it."""

import copy

import pytest

from roaming.models import InvoiceReconciliationRecord
from roaming.services import invoicereconciliation
from tests.bodies import CDR
from tests.factories import auth, make_partner, make_tenant, own_cdr

BASE = "/ocpi/cpo/2.3.0/receiver/invoicereconciliation"
URL = f"{BASE}/DE/EMS/IR1"
SENDER = "/ocpi/cpo/2.3.0/sender/invoicereconciliation"
#: A record an eMSP billing in reverse (DE*EMS) issues to the CPO tenant for two of its CDRs.
RECORD = {
    "country_code": "DE",
    "party_id": "EMS",
    "id": "IR1",
    "invoice_id": "INV-2026-03",
    "cdrs": ["CDR1", "CDR2"],
    "last_updated": "2026-04-01T08:00:00Z",
}


@pytest.fixture
def emsp(cpo_tenant):
    """A 2.3.0 eMSP partner (DE*EMS) of the CPO tenant, and its token."""
    return make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version="2.3.0")


def send(client, method, url, body, token):
    return client.generic(method, url, body, content_type="application/json", **auth(token))


def post(client, body, token):
    return client.post(BASE, body, content_type="application/json", **auth(token))


def put(client, url, body, token):
    return client.put(url, body, content_type="application/json", **auth(token))


def test_post_stores_the_record_and_answers_where_it_is(client, emsp, settings):
    settings.OCPI_BASE_URL = "https://ocpi.example.com"
    partner, token = emsp
    response = post(client, RECORD, token)
    assert response.status_code == 201 and response.json()["status_code"] == 1000
    assert response["Location"] == "https://ocpi.example.com/ocpi/cpo/2.3.0/receiver/invoicereconciliation/DE/EMS/IR1"
    record = InvoiceReconciliationRecord.objects.get()
    assert (record.partner, record.owner, record.record_id, record.invoice_id, record.cdr_ids) == (
        partner,
        "DE*EMS",
        "IR1",
        "INV-2026-03",
        ["CDR1", "CDR2"],
    )
    got = client.get(URL, **auth(token))
    assert got.status_code == 200 and got.json()["data"] == RECORD


def test_the_same_post_again_is_success_stored_once_and_another_under_its_id_is_refused(client, emsp):
    _, token = emsp
    post(client, RECORD, token)
    again = post(client, RECORD, token)
    assert again.status_code == 200 and again.json()["status_code"] == 1000
    changed = post(client, {**RECORD, "invoice_id": "INV-OTHER"}, token)
    assert changed.status_code == 200 and changed.json()["status_code"] == 2001
    assert changed.json()["status_message"].startswith("id:")
    assert list(InvoiceReconciliationRecord.objects.values_list("invoice_id", flat=True)) == ["INV-2026-03"]


def test_put_replaces_the_record_and_creates_one_not_held_yet(client, emsp):
    _, token = emsp
    assert put(client, URL, RECORD, token).status_code == 201
    newer = {**RECORD, "cdrs": ["CDR1", "CDR3"], "last_updated": "2026-04-02T08:00:00Z"}
    response = put(client, URL, newer, token)
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    assert InvoiceReconciliationRecord.objects.get().cdr_ids == ["CDR1", "CDR3"]
    assert client.get(URL.lower(), **auth(token)).json()["data"]["cdrs"] == ["CDR1", "CDR3"]  # CiString ids


def test_an_older_put_is_answered_success_and_not_applied(client, emsp):
    _, token = emsp
    put(client, URL, RECORD, token)
    older = {**RECORD, "invoice_id": "INV-OLD", "last_updated": "2026-03-01T08:00:00Z"}
    assert put(client, URL, older, token).json()["status_code"] == 1000
    assert InvoiceReconciliationRecord.objects.get().invoice_id == "INV-2026-03"


def test_delete_removes_the_record(client, emsp):
    _, token = emsp
    post(client, RECORD, token)
    response = client.delete(URL, **auth(token))
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    assert not InvoiceReconciliationRecord.objects.exists()
    assert client.get(URL, **auth(token)).status_code == 404
    assert client.delete(URL, **auth(token)).status_code == 404


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r.pop("invoice_id"), "invoice_id: required field is missing"),
        (lambda r: r.update(invoice_id=12), "invoice_id:"),
        (lambda r: r.update(invoice_id="I" * 256), "invoice_id:"),
        (lambda r: r.pop("cdrs"), "cdrs: required field is missing"),
        (lambda r: r.update(cdrs=[]), "cdrs:"),
        (lambda r: r.update(cdrs=["C" * 37]), "cdrs[0]:"),
        (lambda r: r.update(cdrs=["CDR1", "cdr1"]), "cdrs:"),
        (lambda r: r.update(id="I" * 37), "id:"),
        (lambda r: r.update(last_updated="yesterday"), "last_updated:"),
        (lambda r: r.pop("last_updated"), "last_updated: required field is missing"),
        (lambda r: r.update(country_code="DEU"), "country_code:"),
    ],
)
def test_a_bad_record_is_2001_naming_the_field_and_nothing_is_stored(client, emsp, mutate, field):
    _, token = emsp
    body = copy.deepcopy(RECORD)
    mutate(body)
    for response in (post(client, body, token), put(client, URL, body, token)):
        assert response.status_code == 200 and response.json()["status_code"] == 2001
        assert field in response.json()["status_message"]
    assert not InvoiceReconciliationRecord.objects.exists()


def test_a_put_whose_body_names_another_record_than_its_url_is_refused(client, emsp):
    _, token = emsp
    response = put(client, URL, {**RECORD, "id": "IR2"}, token)
    assert response.json()["status_code"] == 2001 and response.json()["status_message"].startswith("id:")
    assert not InvoiceReconciliationRecord.objects.exists()


def test_a_partner_writes_and_reads_only_its_own_parties_records(client, cpo_tenant, emsp):
    _, token = emsp
    _, other_token = make_partner(cpo_tenant, "FR:OTH:EMSP", name="other", version="2.3.0")
    post(client, RECORD, token)
    foreign = {**RECORD, "country_code": "FR", "party_id": "OTH"}
    assert post(client, foreign, token).status_code == 403
    assert put(client, f"{BASE}/FR/OTH/IR1", foreign, token).status_code == 403
    for method in ("GET", "DELETE"):
        assert send(client, method, URL, None, other_token).status_code == 403
    assert put(client, URL, {**RECORD, "invoice_id": "INV-X"}, other_token).status_code == 403
    assert list(InvoiceReconciliationRecord.objects.values_list("country_code", "invoice_id")) == [
        ("DE", "INV-2026-03")
    ]


def test_a_partner_of_another_tenant_is_not_let_in(client, emsp):
    _, token = emsp
    post(client, RECORD, token)
    elsewhere = make_tenant("elsewhere", "NL:ELS:CPO")
    _, foreign_token = make_partner(elsewhere, "DE:EMS:EMSP", name="foreign", version="2.3.0")
    assert client.get(URL, **auth(foreign_token)).status_code == 401
    assert post(client, {**RECORD, "id": "IR9"}, foreign_token).status_code == 401
    assert client.get(URL.replace("/cpo/", "/elsewhere/"), **auth(foreign_token)).status_code == 404
    assert InvoiceReconciliationRecord.objects.count() == 1


def test_versions_before_2_3_0_neither_list_nor_serve_the_module(client, cpo_tenant):
    _, token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version="2.2.1")
    for version in ("2.1.1", "2.2.1"):
        endpoints = client.get(f"/ocpi/cpo/{version}", **auth(token)).json()["data"]["endpoints"]
        assert "invoicereconciliation" not in {e["identifier"] for e in endpoints}
        url = f"/ocpi/cpo/{version}/receiver/invoicereconciliation"
        response = client.post(url, RECORD, content_type="application/json", **auth(token))
        assert response.status_code == 404, version
        assert client.get(f"{url}/DE/EMS/IR1", **auth(token)).status_code == 404
    assert not InvoiceReconciliationRecord.objects.exists()


def test_2_3_0_details_list_both_interfaces(client, emsp, settings):
    settings.OCPI_BASE_URL = "http://h"
    _, token = emsp
    endpoints = client.get("/ocpi/cpo/2.3.0", **auth(token)).json()["data"]["endpoints"]
    listed = [e for e in endpoints if e["identifier"] == "invoicereconciliation"]
    assert listed == [
        {"identifier": "invoicereconciliation", "role": "SENDER", "url": f"http://h{SENDER}"},
        {"identifier": "invoicereconciliation", "role": "RECEIVER", "url": f"http://h{BASE}"},
    ]


# -- sender ----------------------------------------------------------------------------------------------------


def issue(tenant, record_id, cdr_ids, when="2026-04-01T08:00:00Z"):
    from partners.models import Party
    from roaming.ocpi.timestamps import parse_datetime

    party = Party.objects.get(tenant=tenant, role="CPO")
    invoicereconciliation.issue_record(
        tenant=tenant,
        party=party,
        record_id=record_id,
        invoice_id=f"INV-{record_id}",
        cdr_ids=cdr_ids,
        now=parse_datetime(when),
    )


def test_the_sender_lists_only_the_records_naming_the_callers_cdrs(client, cpo_tenant, emsp):
    _, token = emsp
    own_cdr(cpo_tenant, "C1")  # a DE*EMS driver's
    own_cdr(cpo_tenant, "C2", cdr_token={**CDR["cdr_token"], "country_code": "FR", "party_id": "OTH"})
    issue(cpo_tenant, "IR1", ["C1", "C9"])
    issue(cpo_tenant, "IR2", ["C2"])  # another eMSP's invoice
    issue(cpo_tenant, "IR3", ["c1"])
    response = client.get(SENDER, **auth(token))
    assert response.status_code == 200 and response["X-Total-Count"] == "2"
    data = response.json()["data"]
    assert [r["id"] for r in data] == ["IR1", "IR3"]
    assert data[0] == {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "IR1",
        "invoice_id": "INV-IR1",
        "cdrs": ["C1", "C9"],
        "last_updated": "2026-04-01T08:00:00Z",
    }


def test_the_sender_list_pages_and_filters_by_last_updated(client, cpo_tenant, emsp):
    _, token = emsp
    own_cdr(cpo_tenant, "C1")
    for n in range(1, 4):
        issue(cpo_tenant, f"IR{n}", ["C1"], when=f"2026-04-0{n}T08:00:00Z")
    first = client.get(f"{SENDER}?limit=2", **auth(token))
    assert (first["X-Total-Count"], first["X-Limit"]) == ("3", "2")
    assert [r["id"] for r in first.json()["data"]] == ["IR1", "IR2"]
    link = first["Link"]
    assert link.endswith('rel="next"') and "offset=2" in link
    second = client.get(link[1 : link.index(">")], **auth(token))
    assert [r["id"] for r in second.json()["data"]] == ["IR3"] and "Link" not in second
    window = client.get(f"{SENDER}?date_from=2026-04-02T08:00:00Z&date_to=2026-04-03T08:00:00Z", **auth(token))
    assert [r["id"] for r in window.json()["data"]] == ["IR2"] and window["X-Total-Count"] == "1"
    bad = client.get(f"{SENDER}?date_from=soon", **auth(token))
    assert bad.json()["status_code"] == 2001 and "date_from" in bad.json()["status_message"]


def test_records_received_from_partners_are_not_listed_back(client, emsp):
    _, token = emsp
    post(client, RECORD, token)
    assert client.get(SENDER, **auth(token)).json()["data"] == []


def test_an_id_in_the_url_longer_than_a_cistring_36_is_refused(client, emsp):
    _, token = emsp
    long_id = "I" * 37
    response = put(client, f"{BASE}/DE/EMS/{long_id}", {**RECORD, "id": long_id}, token)
    assert response.json()["status_code"] == 2001 and "record_id" in response.json()["status_message"]
    assert not InvoiceReconciliationRecord.objects.exists()
