"""Locations pulled from partners (mod_locations sender interface of theirs): one at a time through the
receiver's PUT, or a page in bulk (COPY on PostgreSQL, partners.rows)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Upper

from partners.models import Partner, Tenant
from partners.rows import copy_insert, copy_update, value_rows
from roaming.errors import DomainError
from roaming.models import Connector, DeliveryMethod, Evse, Location
from roaming.ocpi.dialect import Dialect
from roaming.services import outbox, ownership, sync
from roaming.services.changes import Change
from roaming.services.locations.selectors import MODULE
from roaming.services.locations.writes import CONNECTOR_FIELDS, EVSE_FIELDS, LOCATION_FIELDS, put_location
from roaming.services.ownership import pull_owner


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Change:
    """One location pulled from a partner, stored through the same service as a receiver PUT."""
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire)
    data = translator.from_wire(wire, owner=owner)
    return put_location(
        tenant=partner.tenant,
        partner=partner,
        country_code=owner[0],
        party_id=owner[1],
        location_id=data["location_id"],
        data=data,
    )


_EVSE_DEFAULTS = {name: Evse._meta.get_field(name).get_default() for name in EVSE_FIELDS}
_CONNECTOR_DEFAULTS = {name: Connector._meta.get_field(name).get_default() for name in CONNECTOR_FIELDS}


def _evses_as_stored(evses: list[dict]) -> list[tuple]:
    """An EVSE list as its rows would read back (absent fields at their defaults), to compare with what is stored."""
    return [
        (
            evse["uid"],
            *(evse.get(name, _EVSE_DEFAULTS[name]) for name in EVSE_FIELDS),
            [
                (c["connector_id"], *(c.get(name, _CONNECTOR_DEFAULTS[name]) for name in CONNECTOR_FIELDS))
                for c in evse.get("connectors", [])
            ],
        )
        for evse in evses
    ]


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}


def _stored_evses(tenant: Tenant, location_ids: list[int]) -> dict[int, list[tuple]]:
    """The EVSEs (with connectors) of these locations as rows, in two queries, shaped like _evses_as_stored."""
    if not location_ids:
        return {}
    connectors: dict[int, list[tuple]] = defaultdict(list)
    for evse_id, *row in value_rows(
        Connector.objects.for_tenant(tenant)
        .filter(evse__location_id__in=location_ids)
        .order_by("evse_id", "position", "pk")
        .values_list("evse_id", "connector_id", *CONNECTOR_FIELDS)
    ):
        connectors[evse_id].append(tuple(row))
    evses: dict[int, list[tuple]] = defaultdict(list)
    for evse_id, location_id, *row in value_rows(
        Evse.objects.for_tenant(tenant)
        .filter(location_id__in=location_ids)
        .order_by("location_id", "position", "pk")
        .values_list("pk", "location_id", "uid", *EVSE_FIELDS)
    ):
        evses[location_id].append((*row, connectors[evse_id]))
    return evses


def ingest_page(partner: Partner, dialect: Dialect, wires: list) -> sync.PageIngested:
    """A page of locations pulled from a partner, stored in bulk: what put_location does for each, in a
    handful of queries for the whole page.

    Every object is validated first; an invalid one (or one of a party the partner does not speak for)
    is refused alone. Then, in one transaction, the page's stored locations are read in one query:
    new ones are inserted, changed ones updated (their EVSE lists replaced only when those changed),
    and unchanged ones are left alone, so a full resync of a quiet network writes nothing and owes
    no partner anything. New and changed locations are recorded in the outbox as a receiver PUT
    records them (only a hub passes on what it received).
    """
    tenant = partner.tenant
    translator = dialect.module(MODULE)
    owner_of = ownership.pull_owners(partner=partner, translator=translator)
    page: dict[tuple[str, str, str], dict] = {}  # the last of an id in the page wins, as sequential PUTs would
    accepted, refused = 0, []
    for wire in wires:
        try:
            country_code, party_id = owner_of(wire)
            data = translator.from_wire(wire, owner=(country_code, party_id))
            ownership.check_ids({"country_code": (data.get("country_code"), country_code)})
            ownership.check_ids({"party_id": (data.get("party_id"), party_id)})
        except DomainError as exc:
            refused.append(sync.refusal(MODULE, wire, exc.message))
            continue
        key = (country_code.upper(), party_id.upper(), data["location_id"].upper())
        page.pop(key, None)
        page[key] = data
        accepted += 1
    if not page:
        return sync.PageIngested(accepted, refused)
    with transaction.atomic():
        ids_by_owner: dict[tuple[str, str], list[str]] = defaultdict(list)
        for country_code, party_id, location_id in page:
            ids_by_owner[(country_code, party_id)].append(location_id)
        of_page = Q(pk__in=[])
        for (country_code, party_id), location_ids in ids_by_owner.items():
            of_page |= Q(country_code=country_code, party_id=party_id, id_key__in=location_ids)
        stored = {
            (location.country_code, location.party_id, location.id_key): location
            for location in Location.objects.for_tenant(tenant)
            .select_for_update()
            .annotate(id_key=Upper("location_id"))
            .filter(of_page)
            .order_by("pk")  # locks taken in one order, whoever else locks several
        }
        stored_evses = _stored_evses(tenant, [location.pk for location in stored.values()])
        created, updated, refill, written, refilled = [], [], [], [], set()
        update_fields = {"partner", "revision"}
        for key, data in page.items():
            location = stored.get(key)
            fields = {name: data[name] for name in LOCATION_FIELDS if name in data}
            evses = data.get("evses", [])
            if location is None:
                location = Location(
                    tenant=tenant,
                    country_code=key[0],
                    party_id=key[1],
                    location_id=data["location_id"],
                    partner=partner,
                    revision=1,
                    **fields,
                )
                created.append(location)
                refill.append((location, evses))
            elif _older(fields.get("last_updated"), location.last_updated):
                continue  # a stale state of what we hold newer (decisions.md, "Stale writes")
            else:
                evses_changed = _evses_as_stored(evses) != stored_evses.get(location.pk, [])
                if (
                    not evses_changed
                    and location.partner_id == partner.pk
                    and all(getattr(location, name) == value for name, value in fields.items())
                ):
                    continue
                for name, value in fields.items():
                    setattr(location, name, value)
                update_fields.update(fields)
                location.partner, location.revision = partner, location.revision + 1
                updated.append(location)
                if evses_changed:
                    refill.append((location, evses))
                    refilled.add(location)
            written.append(location)
        new_ids = copy_insert(Location, [_values(location) for location in created])
        for location, pk in zip(created, new_ids, strict=True):
            location.pk, location._state.adding = pk, False
        if updated:
            copy_update(Location, updated, sorted(update_fields))
        replaced = [location.pk for location in updated if location in refilled]
        if replaced:
            Evse.objects.for_tenant(tenant).filter(location_id__in=replaced).delete()
        evses = [evse for _, location_evses in refill for evse in location_evses]
        evse_ids = copy_insert(
            Evse,
            [
                {**_without(evse, "connectors"), "tenant_id": tenant.pk, "location_id": location.pk, "position": index}
                for location, location_evses in refill
                for index, evse in enumerate(location_evses)
            ],
        )
        copy_insert(
            Connector,
            [
                {**connector, "tenant_id": tenant.pk, "evse_id": evse_id, "position": index}
                for evse_id, evse in zip(evse_ids, evses, strict=True)
                for index, connector in enumerate(evse.get("connectors", []))
            ],
        )
        outbox.record_own_or_hub_changes(
            tenant=tenant,
            partner=partner,
            module=MODULE,
            object_paths=[location.object_path for location in written],
            method=DeliveryMethod.PUT,
        )
    return sync.PageIngested(accepted, refused)


def _older(incoming, stored) -> bool:
    return incoming is not None and stored is not None and incoming < stored


def _without(values: dict, name: str) -> dict:
    return {k: v for k, v in values.items() if k != name}
