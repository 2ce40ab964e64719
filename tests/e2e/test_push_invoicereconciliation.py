"""Invoice Reconciliation between two tenants connected in 2.3.0, through a real worker: the CPO's record of an
invoice reaches the eMSP and follows its changes and deletion; an eMSP billing in reverse reaches the CPO."""

import pytest

from partners.models import Party
from roaming.models import Cdr, InvoiceReconciliationRecord
from roaming.services import invoicereconciliation
from tests.bodies import CDR
from tests.factories import connect_tenants, make_tenant, own_cdr
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def issue(tenant, role, record_id, invoice_id):
    invoicereconciliation.issue_record(
        tenant=tenant,
        party=Party.objects.get(tenant=tenant, role=role),
        record_id=record_id,
        invoice_id=invoice_id,
        cdr_ids=["C1"],
    )


def held(tenant, record_id):
    return InvoiceReconciliationRecord.objects.filter(tenant=tenant, record_id=record_id).first()


def test_records_travel_both_ways_between_a_cpo_and_an_emsp(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp-new", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, "2.3.0")
    own_cdr(cpo, "C1", cdr_token={**CDR["cdr_token"], "country_code": "DE", "party_id": "EMS"})
    wait_for(lambda: Cdr.objects.filter(tenant=emsp, cdr_id="C1").exists(), timeout=30)

    issue(cpo, "CPO", "IR1", "INV-1")  # direct billing
    received = wait_for(lambda: held(emsp, "IR1"), timeout=30)
    assert (received.owner, received.invoice_id, received.cdr_ids, received.partner.name) == (
        "NL*CPO",
        "INV-1",
        ["C1"],
        "cpo",
    )
    issue(cpo, "CPO", "IR1", "INV-1b")
    wait_for(lambda: held(emsp, "IR1").invoice_id == "INV-1b", timeout=30)
    invoicereconciliation.delete_record(tenant=cpo, partner=None, country_code="NL", party_id="CPO", record_id="IR1")
    wait_for(lambda: held(emsp, "IR1") is None, timeout=30)

    issue(emsp, "EMSP", "IR2", "CREDIT-1")  # reverse billing, for the CDR the CPO sent
    credited = wait_for(lambda: held(cpo, "IR2"), timeout=30)
    assert (credited.owner, credited.invoice_id, credited.cdr_ids) == ("DE*EMS", "CREDIT-1", ["C1"])
