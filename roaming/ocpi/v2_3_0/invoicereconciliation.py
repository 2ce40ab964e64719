"""2.3.0 Invoice Reconciliation (mod_invoice_reconciliation): the InvoiceReconciliationRecord on the wire.

A module 2.3.0 adds, so nothing here is shared with another version. The record names its owner in the
body, like every 2.2.1-style object; `cdrs` is the list of CDR ids (at least one) the invoice covers.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from roaming.ocpi.common import owner_from_body
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, WireModel, validate


class InvoiceReconciliationRecordWire(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    invoice_id: CiString(255)
    cdrs: Annotated[list[CiString(36)], Field(min_length=1)]
    last_updated: DateTime


class InvoiceReconciliation:
    dialect: Dialect
    #: Wire schema of the bodies this module takes and answers with (validation, OpenAPI).
    schema = InvoiceReconciliationRecordWire
    #: The receiver interface has GET, POST, PUT and DELETE; PATCH is n/a.
    supports_patch = False

    def to_wire(self, record) -> dict:
        return {
            "country_code": record.country_code,
            "party_id": record.party_id,
            "id": record.record_id,
            "invoice_id": record.invoice_id,
            "cdrs": list(record.cdr_ids),
            "last_updated": format_datetime(record.last_updated),
        }

    def from_wire(self, data) -> dict:
        wire = validate(self.schema, data)
        return {
            "country_code": wire.country_code.upper(),
            "party_id": wire.party_id.upper(),
            "record_id": wire.id,
            "invoice_id": wire.invoice_id,
            "cdr_ids": list(wire.cdrs),
            "last_updated": wire.last_updated,
        }

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)
