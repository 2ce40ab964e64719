"""Hub Client Info (2.2.1 mod_hub_client_info) on both sides of a hub connection.

As a hub's client: the hub pushes (or we pull) ClientInfo; a CONNECTED party joins the hub partner's
party list, so what the hub routes from it is accepted; a party reported otherwise stays listed, but
pushes addressed to it are not sent ("OFFLINE: No requests can be sent. Do not queue Push messages").
As a hub (a tenant with a HUB party): the tenant publishes the status of the parties it connects,
its partners' and its own, and pushes each change to its other partners.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from partners.models import Partner, PartnerParty, PartnerStatus, Party, Role, Tenant
from roaming.errors import NotYours, UnknownObject
from roaming.models import ClientInfo, ConnectionStatus, DeliveryMethod
from roaming.ocpi.dialect import Dialect
from roaming.services import outbox, sync
from roaming.services.changes import Change
from roaming.services.ownership import check_ids

MODULE = "hubclientinfo"

#: What a partner's own status means to the parties it connects through this hub: SUSPENDED is final in
#: mod_hub_client_info ("will never connect anymore"), so a partner that may come back is OFFLINE.
STATUS_OF_PARTNER = {
    PartnerStatus.REGISTERED: ConnectionStatus.CONNECTED,
    PartnerStatus.PENDING: ConnectionStatus.PLANNED,
    PartnerStatus.SUSPENDED: ConnectionStatus.OFFLINE,
    PartnerStatus.UNREGISTERED: ConnectionStatus.SUSPENDED,
}


def is_hub_partner(partner: Partner) -> bool:
    return PartnerParty.objects.for_tenant(partner.tenant_id).filter(partner=partner, role=Role.HUB).exists()


def is_hub(tenant: Tenant) -> bool:
    return Party.objects.for_tenant(tenant).filter(role=Role.HUB).exists()


def received_from(*, tenant: Tenant, partner: Partner) -> QuerySet:
    """What one hub partner reported."""
    return ClientInfo.objects.for_tenant(tenant).filter(partner=partner)


def published(*, tenant: Tenant | int) -> QuerySet:
    """What this tenant, as a hub, reports about the parties it connects."""
    return ClientInfo.objects.filter(tenant=tenant, partner__isnull=True)


def find(queryset: QuerySet, *, country_code: str, party_id: str) -> ClientInfo:
    info = queryset.filter(country_code__iexact=country_code, party_id__iexact=party_id).first()
    if info is None:
        raise UnknownObject(f"Unknown ClientInfo {country_code}*{party_id}")
    return info


@transaction.atomic
def put_client_info(*, tenant: Tenant, partner: Partner, country_code: str, party_id: str, data: dict) -> Change:
    """Store what a hub reports about one party, and keep the hub's party list in step: a CONNECTED party
    becomes one the hub speaks for. Never one of the tenant's own parties: the hub lists us too."""
    if not is_hub_partner(partner):
        raise NotYours("Only a partner in the HUB role sends ClientInfo (mod_hub_client_info: data owner Hub)")
    check_ids({"country_code": (data["country_code"], country_code), "party_id": (data["party_id"], party_id)})
    key = {"country_code": data["country_code"], "party_id": data["party_id"], "role": data["role"]}
    info = received_from(tenant=tenant, partner=partner).select_for_update().filter(**key).first()
    created = info is None
    if created:
        info = ClientInfo(tenant=tenant, partner=partner, **key)
    info.status, info.last_updated = data["status"], data["last_updated"]
    info.save()
    own = Party.objects.for_tenant(tenant).filter(country_code=info.country_code, party_id=info.party_id).exists()
    if info.is_reachable and not own:
        PartnerParty.objects.get_or_create(
            tenant=tenant, partner=partner, **key, defaults={"name": f"{info.country_code}*{info.party_id}"}
        )
    return Change(created, info.object_path)


def restore_served_parties(*, partner: Partner) -> int:
    """Put the parties a hub reported CONNECTED back on its party list (a credentials exchange rewrites it
    with the hub's own roles only); returns how many were added. Call inside the exchange's transaction."""
    own = {(p.country_code, p.party_id) for p in Party.objects.for_tenant(partner.tenant_id)}
    listed = {(p.country_code, p.party_id, p.role) for p in PartnerParty.objects.filter(partner=partner)}
    missing = [
        PartnerParty(
            tenant_id=partner.tenant_id,
            partner=partner,
            country_code=info.country_code,
            party_id=info.party_id,
            role=info.role,
            name=f"{info.country_code}*{info.party_id}",
        )
        for info in received_from(tenant=partner.tenant_id, partner=partner).filter(status=ConnectionStatus.CONNECTED)
        if (info.country_code, info.party_id) not in own and (info.country_code, info.party_id, info.role) not in listed
    ]
    PartnerParty.objects.bulk_create(missing)
    return len(missing)


def _publish(tenant: Tenant, key: dict, status: str, *, moment, exclude_partner_id: int | None) -> ClientInfo | None:
    info = published(tenant=tenant).select_for_update().filter(**key).first()
    if info is not None and info.status == status:
        return None
    if info is None:
        info = ClientInfo(tenant=tenant, partner=None, **key)
    info.status, info.last_updated = status, moment
    info.save()
    outbox.record_change(
        tenant=tenant,
        module=MODULE,
        object_path=info.object_path,
        method=DeliveryMethod.PUT,
        exclude_partner_id=exclude_partner_id,
    )
    return info


@transaction.atomic
def publish_connection(*, tenant: Tenant, partner: Partner) -> list[ClientInfo]:
    """As a hub: the partner's parties take the status its connection now has, and the tenant's own parties
    are listed CONNECTED; each change is owed to every other partner (mod_hub_client_info push model).
    Returns what changed; nothing for a tenant that is not a hub."""
    if not is_hub(tenant):
        return []
    moment = timezone.now()
    status = STATUS_OF_PARTNER[partner.status]
    changed = []
    for party in PartnerParty.objects.for_tenant(tenant).filter(partner=partner).exclude(role=Role.HUB):
        key = {"country_code": party.country_code, "party_id": party.party_id, "role": party.role}
        changed.append(_publish(tenant, key, status, moment=moment, exclude_partner_id=partner.pk))
    for party in Party.objects.for_tenant(tenant).exclude(role=Role.HUB):
        key = {"country_code": party.country_code, "party_id": party.party_id, "role": party.role}
        changed.append(_publish(tenant, key, ConnectionStatus.CONNECTED, moment=moment, exclude_partner_id=None))
    return [info for info in changed if info is not None]


def connection_changed(*, partner: Partner) -> None:
    """After a partner registered, updated its credentials, was suspended or unregistered: its reported
    parties stay on its list if it is a hub, and if we are the hub the others hear of it."""
    if partner.status == PartnerStatus.REGISTERED:
        restore_served_parties(partner=partner)
    publish_connection(tenant=partner.tenant, partner=partner)


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    """PUT {country_code}/{party_id} of the current state; a configuration module carries no routing headers."""
    if not dialect.has_module(MODULE):
        return None
    country_code, party_id, role = delivery.object_path.split("/")
    info = published(tenant=delivery.tenant_id).filter(country_code=country_code, party_id=party_id, role=role).first()
    if info is None:
        return None
    return outbox.OutgoingRequest(
        "PUT", f"{country_code}/{party_id}", body=dialect.module(MODULE).to_wire(info), module=MODULE
    )


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Change:
    """One ClientInfo pulled from a hub, stored as if the hub had pushed it."""
    data = dialect.module(MODULE).from_wire(wire)
    return put_client_info(
        tenant=partner.tenant,
        partner=partner,
        country_code=data["country_code"],
        party_id=data["party_id"],
        data=data,
    )


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """As a hub: the status of every party it connects, but the partner's own, which a partner holds once in
    sync; nothing when the tenant is no hub or the version has no such module."""
    if not dialect.has_module(MODULE) or not is_hub(partner.tenant):
        return []
    theirs = set(
        PartnerParty.objects.for_tenant(partner.tenant).filter(partner=partner).values_list("country_code", "party_id")
    )
    return [
        info.object_path
        for info in published(tenant=partner.tenant).order_by("pk")
        if (info.country_code, info.party_id) not in theirs
    ]


PUSHABLE = outbox.Pushable(MODULE, build=build_push, current=current)
PULLABLE = sync.Pullable(MODULE, ingest=ingest, routed=False)
