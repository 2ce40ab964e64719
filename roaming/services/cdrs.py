"""CDRs services: receiving a CDR (once), the tenant's own CDRs and their pushes (POST, exactly once),
the sender's selector, and pulls (mod_cdrs, both versions)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from partners.models import Partner, PartnerParty, Role, Tenant
from roaming.models import Cdr, Connector, DeliveryMethod
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.errors import InvalidParameters, NotFound
from roaming.ocpi.headers import PartyRef
from roaming.services import outbox, ownership, sync
from roaming.services.ownership import pull_owner
from roaming.services.tokens import resolve_cdr_token

MODULE = "cdrs"
_FIELDS = [f.name for f in Cdr._meta.concrete_fields if f.name not in ("id", "tenant", "partner")]


@dataclass(frozen=True)
class Stored:
    cdr: Cdr
    object_path: str


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Cdr, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own CDRs a partner may list: of the connection's CPO parties, for the partner's drivers;
    credit CDRs only where the version can say so."""
    owners = ownership.own_parties_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.CPO)
    drivers = ownership.drivers_of_q(partner)
    queryset = Cdr.objects.for_tenant(tenant).filter(owners, drivers, partner__isnull=True)
    if not dialect.module(MODULE).carries_credit:
        queryset = queryset.exclude(credit=True)
    return queryset


def find(queryset: QuerySet, *, cdr_id: str) -> Cdr:
    cdr = queryset.filter(cdr_id__iexact=cdr_id).first()
    if cdr is None:
        raise NotFound(f"Unknown CDR {cdr_id!r}")
    return cdr


@transaction.atomic
def store_cdr(*, tenant: Tenant, partner: Partner | None, data: dict) -> Stored:
    """Store a CDR once: a CDR is final, so a second one with the same owner and id is refused (2001)
    and the first stays as it was. The tenant's own CDRs are owed to the driver's eMSP as a POST."""
    resolve_cdr_token(tenant=tenant, data=data)
    if (
        owned_by(tenant=tenant, country_code=data["country_code"], party_id=data["party_id"])
        .filter(cdr_id__iexact=data["cdr_id"])
        .exists()
    ):
        raise InvalidParameters(f"id: CDR {data['cdr_id']!r} was received before; CDRs cannot be changed")
    cdr = Cdr(tenant=tenant, partner=partner, **{k: v for k, v in data.items() if k in _FIELDS})
    cdr.country_code, cdr.party_id = cdr.country_code.upper(), cdr.party_id.upper()
    cdr.save()
    if partner is None:
        outbox.record_change(tenant=tenant, module=MODULE, object_path=cdr.object_path, method=DeliveryMethod.POST)
    return Stored(cdr, cdr.object_path)


def _stored_connector(cdr: Cdr) -> Connector | None:
    where = cdr.cdr_location
    return Connector.objects.filter(
        tenant_id=cdr.tenant_id,
        evse__location__partner__isnull=True,
        evse__location__location_id__iexact=where["id"],
        evse__uid__iexact=where["evse_uid"],
        connector_id__iexact=where["connector_id"],
    ).first()


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    country_code, party_id, cdr_id = delivery.object_path.split("/", 2)
    cdr = Cdr.objects.filter(
        tenant_id=delivery.tenant_id, country_code=country_code, party_id=party_id, cdr_id=cdr_id
    ).first()
    translator = dialect.module(MODULE)
    if cdr is None or (cdr.credit and not translator.carries_credit):
        return None
    cdr.stored_connector = _stored_connector(cdr)
    routing = {}
    if dialect.routing_headers:
        routing = {
            "from_party": PartyRef(country_code, party_id),
            "to_party": PartyRef(cdr.cdr_token["country_code"], cdr.cdr_token["party_id"]),
        }
    # The CDR POST URL has no owner segments (mod_cdrs): the body goes to the endpoint itself.
    return outbox.OutgoingRequest("POST", "", body=translator.to_wire(cdr), **routing)


def audience(partner: Partner, object_path: str) -> bool:
    """A CDR goes only to the eMSP whose driver it is."""
    country_code, party_id, cdr_id = object_path.split("/", 2)
    cdr = (
        Cdr.objects.filter(tenant_id=partner.tenant_id, country_code=country_code, party_id=party_id, cdr_id=cdr_id)
        .only("cdr_token")
        .first()
    )
    return (
        cdr is not None
        and PartnerParty.objects.filter(
            partner=partner, country_code=cdr.cdr_token["country_code"], party_id=cdr.cdr_token["party_id"]
        ).exists()
    )


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Stored | None:
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire)
    bound = partner.bound_party
    data = translator.from_wire(wire, owner=owner, token_owner=(bound.country_code, bound.party_id) if bound else None)
    if (
        owned_by(tenant=partner.tenant, country_code=owner[0], party_id=owner[1])
        .filter(cdr_id__iexact=data["cdr_id"])
        .exists()
    ):
        return None  # pulled before: CDRs never change
    return store_cdr(tenant=partner.tenant, partner=partner, data=data)


outbox.register_pushable(outbox.Pushable(MODULE, build=build_push, audience=audience))
sync.register_pullable(sync.Pullable(MODULE, ingest=ingest))
