"""Invoice Reconciliation records in the admin: an operator issues, changes and deletes its tenant's records (each
owed to the partner whose CDRs it names), sees those partners sent, and nothing of another tenant."""

from partners.models import Party
from roaming.models import Delivery, InvoiceReconciliationRecord
from roaming.ocpi.timestamps import parse_datetime
from tests.factories import log_in_operator, make_endpoint, make_partner, make_tenant, own_cdr

ADMIN = "/admin/roaming/invoicereconciliationrecord/"


def test_an_operator_issues_changes_and_deletes_a_record_and_its_partner_is_owed_each(client, cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version="2.3.0")
    make_endpoint(partner, "invoicereconciliation", "RECEIVER", "https://emsp.example.com/ir")
    own_cdr(cpo_tenant, "C1")
    party = Party.objects.get(tenant=cpo_tenant)
    log_in_operator(client, cpo_tenant)

    form = {"party": party.pk, "record_id": "IR1", "invoice_id": "INV-1", "cdrs": "C1\nC2"}
    assert client.post(f"{ADMIN}add/", form).status_code == 302
    record = InvoiceReconciliationRecord.objects.get()
    assert (record.owner, record.partner, record.invoice_id, record.cdr_ids) == ("NL*CPO", None, "INV-1", ["C1", "C2"])
    assert list(Delivery.objects.values_list("partner__name", "method", "object_path")) == [
        ("emsp", "POST", "NL/CPO/IR1")
    ]

    page = client.get(f"{ADMIN}{record.pk}/change/").content.decode()
    assert "C1\nC2" in page
    assert "C1\nC2" not in client.get(f"{ADMIN}add/").content.decode()  # a record's CDRs stay on its own page
    assert client.post(f"{ADMIN}{record.pk}/change/", {"invoice_id": "INV-1b", "cdrs": "C1"}).status_code == 302
    record.refresh_from_db()
    assert (record.invoice_id, record.cdr_ids) == ("INV-1b", ["C1"])

    assert client.post(f"{ADMIN}{record.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not InvoiceReconciliationRecord.objects.exists()
    assert Delivery.objects.filter(status="PENDING").values_list("method", flat=True).get() == "DELETE"


def test_a_record_naming_no_cdr_is_not_issued(client, cpo_tenant):
    party = Party.objects.get(tenant=cpo_tenant)
    log_in_operator(client, cpo_tenant)
    response = client.post(f"{ADMIN}add/", {"party": party.pk, "record_id": "IR1", "invoice_id": "I", "cdrs": " "})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    too_long = {"party": party.pk, "record_id": "IR1", "invoice_id": "I", "cdrs": "C" * 37}
    assert "at most 36" in client.post(f"{ADMIN}add/", too_long).content.decode()
    assert not InvoiceReconciliationRecord.objects.exists()


def test_an_operator_sees_only_its_tenants_records_and_cannot_change_a_partners(client, cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version="2.3.0")
    received = InvoiceReconciliationRecord.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        country_code="DE",
        party_id="EMS",
        record_id="THEIRS",
        invoice_id="INV-T",
        cdr_ids=["C1"],
        last_updated=parse_datetime("2026-04-01T08:00:00Z"),
    )
    other = make_tenant("other", "FR:OTC:CPO")
    hidden = InvoiceReconciliationRecord.objects.create(
        tenant=other,
        country_code="FR",
        party_id="OTC",
        record_id="HIDDEN",
        invoice_id="INV-H",
        cdr_ids=["X"],
        last_updated=parse_datetime("2026-04-01T08:00:00Z"),
    )
    log_in_operator(client, cpo_tenant)
    listing = client.get(ADMIN).content.decode()
    assert "THEIRS" in listing and "HIDDEN" not in listing
    assert client.get(f"{ADMIN}{hidden.pk}/change/").status_code == 302  # not found in the operator's tenant
    assert client.post(f"{ADMIN}{received.pk}/change/", {"invoice_id": "X", "cdrs": "C9"}).status_code == 403
    add_page = client.get(f"{ADMIN}add/").content.decode()
    assert "NL*CPO" in add_page and "FR*OTC" not in add_page
    received.refresh_from_db()
    assert received.invoice_id == "INV-T"
