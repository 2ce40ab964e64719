"""Invoice Reconciliation (2.3.0) services: the tenant's records pushed through the outbox to the partner whose
CDRs they name (POST when new to it, PUT after, DELETE of what it holds), partners' records pulled from their
sender lists, and the translation of the record."""

import json
from types import SimpleNamespace

import pytest
from django.db import transaction

from partners.models import Party
from roaming.errors import Invalid
from roaming.models import Delivery, InvoiceReconciliationRecord
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.timestamps import parse_datetime
from roaming.services import initialsync, invoicereconciliation, outbox, sync
from tests.bodies import CDR
from tests.factories import make_endpoint, make_partner, own_cdr

V230 = get_dialect("2.3.0")
WIRE = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "IR1",
    "invoice_id": "INV-2026-03",
    "cdrs": ["C1"],
    "last_updated": "2026-04-01T08:00:00Z",
}


@pytest.fixture
def emsp(cpo_tenant, peer):
    """A 2.3.0 eMSP partner (DE*EMS) of the CPO tenant whose receiver is the scripted peer, one of its drivers' CDRs
    stored as the tenant's own."""
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version="2.3.0", token_to_them="their-token")
    make_endpoint(partner, "invoicereconciliation", "RECEIVER", f"{peer.url}/ir")
    own_cdr(cpo_tenant, "C1")
    return partner


def issue(tenant, cdr_ids=("C1",), invoice_id="INV-2026-03", when="2026-04-01T08:00:00Z"):
    with transaction.atomic():
        return invoicereconciliation.issue_record(
            tenant=tenant,
            party=Party.objects.get(tenant=tenant, role="CPO"),
            record_id="IR1",
            invoice_id=invoice_id,
            cdr_ids=list(cdr_ids),
            now=parse_datetime(when),
        )


def deliver_pending(partner) -> list[str]:
    """Send what is owed to `partner`; the outcome of each."""
    pending = Delivery.objects.filter(partner=partner, status="PENDING").order_by("pk")
    return [outbox.deliver(delivery_id=d.pk).status for d in pending]


def test_the_record_translates_both_ways():
    translator = V230.module("invoicereconciliation")
    internal = translator.from_wire(WIRE)
    assert internal == {
        "country_code": "NL",
        "party_id": "CPO",
        "record_id": "IR1",
        "invoice_id": "INV-2026-03",
        "cdr_ids": ["C1"],
        "last_updated": parse_datetime("2026-04-01T08:00:00Z"),
    }
    assert translator.to_wire(SimpleNamespace(**internal)) == WIRE


def test_a_new_record_is_posted_a_change_put_and_a_deletion_deleted(cpo_tenant, emsp, peer):
    peer.ok("/ir", None, status=201)
    peer.ok("/ir/NL/CPO/IR1", None)
    issue(cpo_tenant)
    assert deliver_pending(emsp) == ["DELIVERED"]
    issue(cpo_tenant, invoice_id="INV-2026-03b", when="2026-04-02T08:00:00Z")
    assert deliver_pending(emsp) == ["DELIVERED"]
    with transaction.atomic():
        invoicereconciliation.delete_record(
            tenant=cpo_tenant, partner=None, country_code="NL", party_id="CPO", record_id="IR1"
        )
    assert deliver_pending(emsp) == ["DELIVERED"]
    assert peer.seen() == [("POST", "/ir"), ("PUT", "/ir/NL/CPO/IR1"), ("DELETE", "/ir/NL/CPO/IR1")]
    posted, replaced = (json.loads(r["body"]) for r in peer.requests[:2])
    assert posted == WIRE
    assert (replaced["invoice_id"], replaced["last_updated"]) == ("INV-2026-03b", "2026-04-02T08:00:00Z")
    assert peer.requests[0]["headers"]["OCPI-from-party-id"] == "CPO"


def test_a_record_changed_before_it_was_sent_is_still_posted(cpo_tenant, emsp, peer):
    peer.ok("/ir", None, status=201)
    issue(cpo_tenant)
    issue(cpo_tenant, invoice_id="INV-2026-03b", when="2026-04-02T08:00:00Z")  # folds into the pending POST
    assert deliver_pending(emsp) == ["DELIVERED"]
    assert peer.seen() == [("POST", "/ir")]
    assert json.loads(peer.requests[0]["body"])["invoice_id"] == "INV-2026-03b"


def test_a_record_deleted_before_it_was_sent_is_not_sent_at_all(cpo_tenant, emsp, peer):
    issue(cpo_tenant)
    with transaction.atomic():
        invoicereconciliation.delete_record(
            tenant=cpo_tenant, partner=None, country_code="NL", party_id="CPO", record_id="IR1"
        )
    deliver_pending(emsp)
    assert peer.seen() == []


def test_a_record_goes_only_to_the_partner_whose_cdrs_it_names(cpo_tenant, emsp, peer):
    other, _ = make_partner(cpo_tenant, "FR:OTH:EMSP", name="other", version="2.3.0")
    make_endpoint(other, "invoicereconciliation", "RECEIVER", f"{peer.url}/other")
    issue(cpo_tenant)
    assert list(Delivery.objects.filter(module="invoicereconciliation").values_list("partner__name", "method")) == [
        ("emsp", "POST")
    ]
    own_cdr(cpo_tenant, "C2", cdr_token={**CDR["cdr_token"], "country_code": "FR", "party_id": "OTH"})
    with transaction.atomic():
        invoicereconciliation.issue_record(
            tenant=cpo_tenant,
            party=Party.objects.get(tenant=cpo_tenant, role="CPO"),
            record_id="IR2",
            invoice_id="INV-OTH",
            cdr_ids=["C2"],
        )
    owed = Delivery.objects.filter(module="invoicereconciliation", object_path="NL/CPO/IR2")
    assert list(owed.values_list("partner__name", flat=True)) == ["other"]


def test_a_record_naming_no_cdr_is_refused_and_a_party_of_another_tenant_too(cpo_tenant, emsp_tenant):
    party = Party.objects.get(tenant=cpo_tenant, role="CPO")
    with pytest.raises(Invalid, match="^cdrs:"):
        invoicereconciliation.issue_record(tenant=cpo_tenant, party=party, record_id="IR1", invoice_id="I", cdr_ids=[])
    foreign = Party.objects.get(tenant=emsp_tenant)
    with pytest.raises(Invalid, match="^party:"):
        invoicereconciliation.issue_record(
            tenant=cpo_tenant, party=foreign, record_id="IR1", invoice_id="I", cdr_ids=["C1"]
        )
    assert not InvoiceReconciliationRecord.objects.exists()


def test_records_are_pulled_from_a_partners_sender_list(emsp_tenant, peer):
    cpo, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version="2.3.0", token_to_them="t")
    make_endpoint(cpo, "invoicereconciliation", "SENDER", f"{peer.url}/list")
    foreign = {**WIRE, "id": "IR2", "country_code": "FR", "party_id": "OTH"}
    peer.ok("/list", [WIRE, {**WIRE, "id": "IR3", "cdrs": []}, foreign], headers={"X-Total-Count": "3"})
    [state] = [s for s in sync.ensure_sync_states(partner=cpo) if s.module == "invoicereconciliation"]
    result = sync.pull(state_id=state.pk)
    assert (result.complete, result.objects) == (True, 1)
    assert [line.split(":")[0] for line in result.refused] == [
        "invoicereconciliation 'IR3'",
        "invoicereconciliation 'IR2'",
    ]
    assert "cdrs" in result.refused[0] and "FR*OTH" in result.refused[1]
    record = InvoiceReconciliationRecord.objects.get()
    assert (record.partner, record.owner, record.record_id, record.cdr_ids) == (cpo, "NL*CPO", "IR1", ["C1"])
    assert "/list?" in peer.requests[0]["path"] and "date_from=" in peer.requests[0]["path"]


def test_an_initial_sync_posts_the_records_meant_for_the_partner_and_no_others(cpo_tenant, emsp, peer):
    peer.ok("/ir", None, status=201)
    issue(cpo_tenant)
    own_cdr(cpo_tenant, "C2", cdr_token={**CDR["cdr_token"], "country_code": "FR", "party_id": "OTH"})
    with transaction.atomic():  # a record for another partner's drivers
        invoicereconciliation.issue_record(
            tenant=cpo_tenant,
            party=Party.objects.get(tenant=cpo_tenant, role="CPO"),
            record_id="IR2",
            invoice_id="INV-OTH",
            cdr_ids=["C2"],
        )
    Delivery.objects.all().delete()  # as for a partner that connects after the records were issued
    runs = initialsync.start(partner=emsp, reason="test", pull=False, modules=["invoicereconciliation"])
    assert [(r.module, r.total) for r in runs] == [("invoicereconciliation", 1)]
    assert deliver_pending(emsp) == ["DELIVERED"]
    assert peer.seen() == [("POST", "/ir")]
    assert json.loads(peer.requests[0]["body"]) == WIRE
