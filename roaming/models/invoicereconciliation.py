"""Invoice Reconciliation records (2.3.0 mod_invoice_reconciliation): which CDRs an invoice covers.

Owned by the party that issued the invoice (a CPO billing directly, an eMSP billing in reverse); the
invoice itself travels outside OCPI. The CDRs are named by id only: a record may name CDRs we do not
hold, and it is the receiver who compares them with what it has.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from roaming.models.base import PartyOwned


class InvoiceReconciliationRecord(PartyOwned):
    record_id = models.CharField(max_length=36)
    invoice_id = models.CharField(max_length=255)
    #: The ids (CiString(36)) of the CDRs the invoice covers, at least one, in the order given.
    cdr_ids = models.JSONField(default=list)
    #: When the record was issued (the chapter's last_updated).
    last_updated = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "invoice reconciliation record"
        constraints = [
            models.UniqueConstraint(
                "tenant", "country_code", "party_id", Upper("record_id"), name="invoicerecord_unique_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.record_id} (invoice {self.invoice_id})"

    @property
    def object_path(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.record_id}"
