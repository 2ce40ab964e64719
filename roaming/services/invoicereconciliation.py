"""Invoice Reconciliation services (2.3.0 mod_invoice_reconciliation): records received (POST, PUT, DELETE)
and the tenant's own, pushed to the partner they are for, listed to it and pulled from partners.

A record is the issuer's (a CPO billing directly, an eMSP billing in reverse): its owner is one of the
issuer's parties, of either role. The chapter leaves "the relevant parties" to the implementation; here a
record of ours is for the partner its CDRs were exchanged with (our CDRs of that partner's drivers, or CDRs
received from that partner), so one partner never learns another's invoices. A record naming none of the
CDRs a partner exchanged with us is for nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from partners.models import Partner, Party, Role, Tenant
from roaming.errors import Invalid, UnknownObject
from roaming.models import Cdr, Delivery, DeliveryMethod, DeliveryStatus, InvoiceReconciliationRecord
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.headers import PartyRef
from roaming.services import outbox, ownership, sync
from roaming.services.changes import Change
from roaming.services.ownership import pull_owner

MODULE = "invoicereconciliation"
_FIELDS = ("invoice_id", "cdr_ids", "last_updated")
#: The parties that issue invoices to each other (mod_invoice_reconciliation: "Data owner: CPO or MSP").
ISSUER_ROLES = (Role.CPO, Role.EMSP)


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(InvoiceReconciliationRecord, tenant=tenant, country_code=country_code, party_id=party_id)


def find(queryset: QuerySet, *, record_id: str) -> InvoiceReconciliationRecord:
    record = queryset.filter(record_id__iexact=record_id).first()
    if record is None:
        raise UnknownObject(f"Unknown invoice reconciliation record {record_id!r}")
    return record


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The records a partner's sender list may hold before `for_partner` picks those meant for it: the tenant's
    own of the connection's CPO and eMSP parties."""
    owners = Q(pk__in=[])
    for role in ISSUER_ROLES:
        owners |= ownership.listed_q(tenant=tenant, partner=partner, dialect=dialect, role=role)
    return InvoiceReconciliationRecord.objects.for_tenant(tenant).filter(owners)


def exchanged_cdr_ids(partner: Partner, cdr_ids: Iterable[str]) -> set[str]:
    """Of `cdr_ids`, upper-cased, those of CDRs the tenant exchanged with `partner`: received from it, or
    billed to one of its drivers (whatever party owns them: a hub passes CDRs on)."""
    wanted = {cdr_id.upper() for cdr_id in cdr_ids}
    if not wanted:
        return set()
    exchanged = Q(partner=partner) | ownership.drivers_of_q(partner)
    return set(
        Cdr.objects.for_tenant(partner.tenant_id)
        .annotate(upper_id=Upper("cdr_id"))
        .filter(exchanged, upper_id__in=wanted)
        .values_list("upper_id", flat=True)
    )


def for_partner(partner: Partner, records: list[InvoiceReconciliationRecord]) -> Callable[[object], bool]:
    """Whether each of `records` is for `partner` (it names a CDR exchanged with it), read in one query."""
    exchanged = exchanged_cdr_ids(partner, (cdr_id for record in records for cdr_id in record.cdr_ids))
    return lambda record: any(cdr_id.upper() in exchanged for cdr_id in record.cdr_ids)


def _record(tenant: Tenant, partner: Partner | None, path: str, method: str) -> None:
    outbox.record_own_or_hub_change(tenant=tenant, partner=partner, module=MODULE, object_path=path, method=method)


def _check_cdr_ids(data: dict) -> None:
    seen = set()
    for cdr_id in data["cdr_ids"]:
        if cdr_id.upper() in seen:
            raise Invalid(f"cdrs: CDR {cdr_id!r} is listed twice", field="cdrs")
        seen.add(cdr_id.upper())


def _same(record: InvoiceReconciliationRecord, data: dict) -> bool:
    return (
        record.invoice_id == data["invoice_id"]
        and [c.upper() for c in record.cdr_ids] == [c.upper() for c in data["cdr_ids"]]
        and record.last_updated == data["last_updated"]
    )


@transaction.atomic
def post_record(*, tenant: Tenant, partner: Partner | None, data: dict) -> Change:
    """Store a new record (the receiver's POST). The same record again (a POST retried after its answer was
    lost) is success, stored once; another one under an id already taken is refused: changes are PUTs."""
    _check_cdr_ids(data)
    country_code, party_id = data["country_code"], data["party_id"]
    before = (
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id)
        .select_for_update()
        .filter(record_id__iexact=data["record_id"])
        .first()
    )
    if before is not None:
        if before.partner_id == (partner.pk if partner else None) and _same(before, data):
            return Change(False, before.object_path)
        raise Invalid(f"id: invoice reconciliation record {data['record_id']!r} exists; PUT its new state", field="id")
    record = InvoiceReconciliationRecord.objects.create(
        tenant=tenant,
        partner=partner,
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        record_id=data["record_id"],
        **{name: data[name] for name in _FIELDS},
    )
    _record(tenant, partner, record.object_path, DeliveryMethod.POST)
    return Change(True, record.object_path)


@transaction.atomic
def put_record(
    *, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, record_id: str, data: dict
) -> Change:
    """Replace a record (the receiver's PUT). One we do not hold yet is created: a sender whose POST was
    folded into a later change, or lost, still reaches us (transport_and_format: PUT creates or replaces)."""
    ownership.check_ids(
        {
            "id": (data.get("record_id"), record_id),
            "country_code": (data.get("country_code"), country_code),
            "party_id": (data.get("party_id"), party_id),
        }
    )
    _check_cdr_ids(data)
    record, created = ownership.upsert_owned(
        InvoiceReconciliationRecord,
        tenant=tenant,
        partner=partner,
        country_code=country_code,
        party_id=party_id,
        key={"record_id": record_id},
        data=data,
        fields=_FIELDS,
    )
    _record(tenant, partner, record.object_path, DeliveryMethod.POST if created else DeliveryMethod.PUT)
    return Change(created, record.object_path)


@transaction.atomic
def delete_record(*, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, record_id: str) -> None:
    """Delete a record: it was an error (mod_invoice_reconciliation, Push model)."""
    record = find(
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id).select_for_update(), record_id=record_id
    )
    path = record.object_path
    record.delete()
    _record(tenant, partner, path, DeliveryMethod.DELETE)


def issue_record(
    *, tenant: Tenant, party: Party, record_id: str, invoice_id: str, cdr_ids: list[str], now: datetime | None = None
) -> Change:
    """The tenant issues a record for one of its own CPO or eMSP parties (the admin), or replaces it: created
    records are POSTed to the partner they are for, changed ones PUT."""
    if party.tenant_id != tenant.pk or party.role not in ISSUER_ROLES:
        raise Invalid(f"party: {party} is not one of the tenant's CPO or eMSP parties", field="party")
    if not cdr_ids:
        raise Invalid("cdrs: a record names at least one CDR", field="cdrs")
    data = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "record_id": record_id,
        "invoice_id": invoice_id,
        "cdr_ids": list(cdr_ids),
        "last_updated": now or timezone.now(),
    }
    return put_record(
        tenant=tenant,
        partner=None,
        country_code=party.country_code,
        party_id=party.party_id,
        record_id=record_id,
        data=data,
    )


def _delivered_before(delivery: Delivery) -> bool:
    """Whether the partner holds this record: the last request about it that reached the partner was not its
    DELETE (so a change is a PUT, and a deletion owed)."""
    last = (
        Delivery.objects.filter(
            partner_id=delivery.partner_id,
            module=MODULE,
            object_path=delivery.object_path,
            status=DeliveryStatus.DELIVERED,
        )
        .exclude(pk=delivery.pk)
        .order_by("-pk")
        .values_list("method", flat=True)
        .first()
    )
    return last is not None and last != DeliveryMethod.DELETE


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    """The POST of a record new to the partner, the PUT of its current state, or its DELETE. Which one is decided
    when sent, since changes pending together fold into one delivery: a record the partner never got is POSTed
    (even when its last change was a PUT), and one it never got and that is gone is not sent at all."""
    country_code, party_id, record_id = delivery.object_path.split("/", 2)
    sent = {
        "module": MODULE,
        "from_party": PartyRef(country_code, party_id),
        "to_party": ownership.receiving_party(delivery.partner_id),
    }
    known = _delivered_before(delivery)
    if delivery.method == DeliveryMethod.DELETE:
        return outbox.OutgoingRequest("DELETE", delivery.object_path, **sent) if known else None
    record = InvoiceReconciliationRecord.objects.filter(
        tenant_id=delivery.tenant_id, country_code=country_code, party_id=party_id, record_id=record_id
    ).first()
    if record is None:
        return None
    body = dialect.module(MODULE).to_wire(record)
    if known:
        return outbox.OutgoingRequest("PUT", delivery.object_path, body=body, **sent)
    # A new record goes to the endpoint itself: the POST URL has no owner segments.
    return outbox.OutgoingRequest("POST", "", body=body, **sent)


def audience(partner: Partner, object_path: str) -> bool:
    """A record goes only to the partner it is for (the module docstring)."""
    country_code, party_id, record_id = object_path.split("/", 2)
    record = (
        InvoiceReconciliationRecord.objects.filter(
            tenant_id=partner.tenant_id, country_code=country_code, party_id=party_id, record_id=record_id
        )
        .only("cdr_ids")
        .first()
    )
    # A deleted record's DELETE goes to whoever may hold it: build_push sends it only where it was delivered.
    return record is None or for_partner(partner, [record])(record)


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Change:
    """One record pulled from a partner's sender list, stored as a receiver PUT of it would be."""
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire)
    data = translator.from_wire(wire)
    return put_record(
        tenant=partner.tenant,
        partner=partner,
        country_code=owner[0],
        party_id=owner[1],
        record_id=data["record_id"],
        data=data,
    )


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """Paths of the records a partner holds of ours once in sync: those of its sender list meant for it, oldest
    first (an initial sync POSTs those it never got: build_push)."""
    records = list(visible_to(tenant=partner.tenant, partner=partner, dialect=dialect).order_by("pk"))
    meant_for = for_partner(partner, records)
    return [record.object_path for record in records if meant_for(record)]


PUSHABLE = outbox.Pushable(MODULE, build=build_push, audience=audience, current=current)
PULLABLE = sync.Pullable(MODULE, ingest=ingest)
