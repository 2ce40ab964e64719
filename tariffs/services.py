"""Tariffs services: PUT, PATCH (2.1.1 receivers) and DELETE, the sender's selector, and how tariffs
are pushed to and pulled from partners (mod_tariffs, both versions)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from partners.models import Partner, Role, Tenant
from roaming.errors import UnknownObject
from roaming.models import DeliveryMethod
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.timestamps import now
from roaming.services import outbox, ownership, sync
from roaming.services.changes import Change
from roaming.services.ownership import pull_owner, receiving_party
from tariffs.models import Tariff

MODULE = "tariffs"
_FIELDS = [
    f.name
    for f in Tariff._meta.concrete_fields
    if f.name not in ("id", "tenant", "partner", "country_code", "party_id", "tariff_id")
]


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Tariff, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own tariffs a partner may list: those of the connection's CPO parties."""
    owners = ownership.listed_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.CPO)
    return Tariff.objects.for_tenant(tenant).filter(owners)


def find(queryset: QuerySet, *, tariff_id: str) -> Tariff:
    tariff = queryset.filter(tariff_id__iexact=tariff_id).first()
    if tariff is None:
        raise UnknownObject(f"Unknown tariff {tariff_id!r}")
    return tariff


def _record(tenant: Tenant, partner: Partner | None, path: str, method: str, fields=()) -> None:
    outbox.record_own_or_hub_change(
        tenant=tenant, partner=partner, module=MODULE, object_path=path, method=method, fields=fields
    )


@transaction.atomic
def put_tariff(
    *, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, tariff_id: str, data: dict
) -> Change:
    """Create or replace a tariff."""
    ownership.check_ids(
        {
            "id": (data.get("tariff_id"), tariff_id),
            "country_code": (data.get("country_code"), country_code),
            "party_id": (data.get("party_id"), party_id),
        }
    )
    tariff, created = ownership.upsert_owned(
        Tariff,
        tenant=tenant,
        partner=partner,
        country_code=country_code,
        party_id=party_id,
        key={"tariff_id": tariff_id},
        data=data,
        fields=_FIELDS,
    )
    _record(tenant, partner, tariff.object_path, DeliveryMethod.PUT)
    return Change(created, tariff.object_path)


@transaction.atomic
def patch_tariff(
    *, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, tariff_id: str, fields: dict
) -> Change:
    """Apply a 2.1.1 PATCH; one without last_updated is stamped with the time received."""
    fields = dict(fields)
    ownership.check_ids({"id": (fields.pop("tariff_id", None), tariff_id)})
    fields.setdefault("last_updated", now())
    tariff = find(
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id).select_for_update(), tariff_id=tariff_id
    )
    ownership.refuse_stale(tariff.last_updated, fields["last_updated"], f"tariff {tariff.object_path}")
    for name, value in fields.items():
        if name in _FIELDS:
            setattr(tariff, name, value)
    tariff.save()
    # Partners on 2.2.1 cannot take a tariff PATCH: every partner gets the whole tariff again.
    _record(tenant, partner, tariff.object_path, DeliveryMethod.PUT)
    return Change(False, tariff.object_path)


@transaction.atomic
def delete_tariff(*, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, tariff_id: str) -> None:
    tariff = find(owned_by(tenant=tenant, country_code=country_code, party_id=party_id), tariff_id=tariff_id)
    path = tariff.object_path
    tariff.delete()
    _record(tenant, partner, path, DeliveryMethod.DELETE)


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    """The PUT of a tariff's current state, or its DELETE; tariffs are never PATCHed (2.2.1 has no tariff
    PATCH, so every partner gets the whole tariff)."""
    country_code, party_id, tariff_id = delivery.object_path.split("/", 2)
    sent = {
        "module": MODULE,
        "from_party": PartyRef(country_code, party_id),
        "to_party": receiving_party(delivery.partner_id),
    }
    if delivery.method == DeliveryMethod.DELETE:
        return outbox.OutgoingRequest("DELETE", delivery.object_path, **sent)
    tariff = Tariff.objects.filter(
        tenant_id=delivery.tenant_id, country_code=country_code, party_id=party_id, tariff_id=tariff_id
    ).first()
    if tariff is None or not dialect.module(MODULE).may_see(tariff, now()):
        return None
    body = dialect.module(MODULE).to_wire(tariff)
    if body is None:
        return None
    return outbox.OutgoingRequest("PUT", delivery.object_path, body=body, extensions=tariff.extensions, **sent)


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Change:
    """One tariff pulled from a partner, stored through the same service as a receiver PUT."""
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire)
    data = translator.from_wire(wire, owner=owner)
    return put_tariff(
        tenant=partner.tenant,
        partner=partner,
        country_code=owner[0],
        party_id=owner[1],
        tariff_id=data["tariff_id"],
        data=data,
    )


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """Paths of the tariffs a partner holds of ours once in sync: what it may list, oldest first."""
    owned = visible_to(tenant=partner.tenant, partner=partner, dialect=dialect).order_by("pk")
    return ["/".join(row) for row in owned.values_list("country_code", "party_id", "tariff_id")]


def prune(partner: Partner, seen: set[str]) -> int:
    """After a complete full pull: the partner's tariffs it no longer lists are gone (mod_tariffs GET: "Any older
    information that is not specified in the response is considered no longer valid"), deleted as a DELETE of
    theirs would be."""
    gone = [
        t
        for t in Tariff.objects.for_tenant(partner.tenant).filter(partner=partner)
        if t.object_path.upper() not in seen
    ]
    for tariff in gone:
        delete_tariff(
            tenant=partner.tenant,
            partner=partner,
            country_code=tariff.country_code,
            party_id=tariff.party_id,
            tariff_id=tariff.tariff_id,
        )
    return len(gone)


PUSHABLE = outbox.Pushable(MODULE, build=build_push, current=current)
PULLABLE = sync.Pullable(MODULE, ingest=ingest, prune=prune)
