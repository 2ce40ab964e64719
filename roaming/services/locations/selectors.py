"""Which locations a party owns and a partner may list, and the location, EVSE or connector a path
addresses (mod_locations, both versions). Ids are compared case-insensitively (CiString)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Upper

from partners.models import Partner, Role, Tenant
from roaming.errors import UnknownLocation
from roaming.models import Connector, Evse, Location
from roaming.ocpi.dialect import Dialect
from roaming.services import ownership

#: The module's identifier: in the outbox, sync and the wire cache.
MODULE = "locations"


def with_children(queryset: QuerySet) -> QuerySet:
    """Locations with EVSEs and connectors in two more queries, whatever the page size."""
    return queryset.prefetch_related(
        Prefetch(
            "evses",
            queryset=Evse.objects.order_by("position", "pk").prefetch_related(
                Prefetch("connectors", queryset=Connector.objects.order_by("position", "pk"))
            ),
        )
    )


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Location, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own locations a partner may list: its CPO parties of this connection, publish rules applied."""
    owners = ownership.listed_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.CPO)
    published = Q(publish=True)
    if dialect.shares_restricted_locations:
        published |= ~Q(publish_allowed_to=[])
    return Location.objects.for_tenant(tenant).filter(owners, published)


def find(queryset: QuerySet, *, location_id: str, evse_uid: str | None = None, connector_id: str | None = None):
    """The addressed location, EVSE or connector (ids compared case-insensitively), or 404 / 2003."""
    location = with_children(queryset).filter(location_id__iexact=location_id).first()
    if location is None:
        raise UnknownLocation(f"Unknown location {location_id!r}")
    if evse_uid is None:
        return location
    evse = evse_of(location, evse_uid)
    if evse is None:
        raise UnknownLocation(f"Location {location_id!r} has no EVSE {evse_uid!r}")
    if connector_id is None:
        return evse
    connector = connector_of(evse, connector_id)
    if connector is None:
        raise UnknownLocation(f"EVSE {evse_uid!r} has no connector {connector_id!r}")
    return connector


def evse_of(location: Location, uid: str) -> Evse | None:
    """The location's EVSE of this uid, compared case-insensitively, from its prefetched EVSEs."""
    return next((e for e in location.evses.all() if e.uid.upper() == uid.upper()), None)


def connector_of(evse: Evse, connector_id: str) -> Connector | None:
    return next((c for c in evse.connectors.all() if c.connector_id.upper() == connector_id.upper()), None)


def with_keys(tenant_id: int, keys) -> QuerySet:
    """The tenant's locations of these (country_code, party_id, upper-cased location id) keys, each annotated
    with its `id_key`: one query however many owners the keys name."""
    of_batch = Q(pk__in=[])
    for country_code, party_id in {(c, p) for c, p, _ in keys}:
        ids = [i for c, p, i in keys if (c, p) == (country_code, party_id)]
        of_batch |= Q(country_code=country_code, party_id=party_id, id_key__in=ids)
    return Location.objects.filter(tenant_id=tenant_id).annotate(id_key=Upper("location_id")).filter(of_batch)
