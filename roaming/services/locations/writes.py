"""PUT and PATCH of locations, EVSEs and connectors (mod_locations receiver, both versions), and the
tenant's own EVSE status changes.

Writes take internal dicts (see roaming.ocpi.v*/locations) and run in one transaction that also
records the outbox deliveries the change owes partners. A change to an EVSE or connector moves
its parents' last_updated along (2.2.1 mod_locations PUT/PATCH; done for both versions).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from partners.models import Partner, Tenant
from partners.rows import prepared_cursor
from roaming.errors import UnknownLocation
from roaming.models import Connector, DeliveryMethod, Evse, Location
from roaming.ocpi.timestamps import now
from roaming.services import outbox, ownership
from roaming.services.changes import Change
from roaming.services.locations.selectors import MODULE, find, owned_by

LOCATION_FIELDS = [
    f.name
    for f in Location._meta.concrete_fields
    if f.name not in ("id", "tenant", "partner", "country_code", "party_id", "location_id")
]
EVSE_FIELDS = [
    f.name for f in Evse._meta.concrete_fields if f.name not in ("id", "tenant", "location", "uid", "position")
]
CONNECTOR_FIELDS = [
    f.name
    for f in Connector._meta.concrete_fields
    if f.name not in ("id", "tenant", "evse", "connector_id", "position")
]


def _new_connectors(tenant: Tenant, evse: Evse, connectors: list[dict]) -> list[Connector]:
    return [
        Connector(tenant=tenant, evse=evse, position=index, **{k: v for k, v in c.items()})
        for index, c in enumerate(connectors)
    ]


def _replace_evses(tenant: Tenant, location: Location, evses: list[dict]) -> None:
    """A whole-location PUT replaces its EVSE list, each EVSE with its connectors."""
    location.evses.all().delete()
    made = Evse.objects.bulk_create(
        Evse(tenant=tenant, location=location, position=index, **{k: v for k, v in e.items() if k != "connectors"})
        for index, e in enumerate(evses)
    )
    Connector.objects.bulk_create(
        connector
        for evse, data in zip(made, evses, strict=True)
        for connector in _new_connectors(tenant, evse, data["connectors"])
    )


def _record(tenant: Tenant, partner: Partner | None, path: str, method: str, fields=()) -> None:
    outbox.record_own_or_hub_change(
        tenant=tenant, partner=partner, module=MODULE, object_path=path, method=method, fields=fields
    )


# Writes lock a location before its EVSEs and an EVSE before its connectors, the order a PUT of a whole
# location takes: two writes to one location never wait for each other's locks in opposite orders.
_LATER = "last_updated = CASE WHEN last_updated < %s THEN %s ELSE last_updated END"


def _bump_location(stamp: datetime, where: str, params: list) -> tuple[int, str] | None:
    """Parents' last_updated follows a child's change (mod_locations PUT/PATCH); the location's revision
    moves on every write. The location `where` selects, found and locked by the same statement: (its id,
    its object path), or None when there is none. Plain SQL on the status-update hot path: compiling the
    ORM's UPDATE cost more than running it."""
    stamp = connection.ops.adapt_datetimefield_value(stamp)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {Location._meta.db_table} SET revision = revision + 1, {_LATER} "  # noqa: S608 - the model's table
            f"WHERE {where} RETURNING id, country_code, party_id, location_id",
            [stamp, stamp, *params],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], "/".join(row[1:]))


def _bump(location_id: int, stamp: datetime, evse_id: int | None = None) -> str:
    """_bump_location() of a known location, then its EVSE's last_updated; returns the location's object
    path. Call before writing the child (lock order)."""
    _, path = _bump_location(stamp, "id = %s", [location_id])
    if evse_id is not None:
        adapted = connection.ops.adapt_datetimefield_value(stamp)
        with prepared_cursor() as cursor:
            cursor.execute(f"UPDATE {Evse._meta.db_table} SET {_LATER} WHERE id = %s", [adapted, adapted, evse_id])  # noqa: S608
    return path


def _bump_owned_location(owner: list, stamp: datetime) -> tuple[int, str] | None:
    """_bump_location() of the location `owner` (tenant id, country_code, party_id, location_id) names."""
    return _bump_location(
        stamp,
        f"id = (SELECT id FROM {Location._meta.db_table} WHERE tenant_id = %s AND country_code = %s "  # noqa: S608
        "AND party_id = %s AND UPPER(location_id) = UPPER(%s))",
        owner,
    )


# The child a PATCH addresses under its parent: (model, parent column, id column). Ids are CiStrings, unique
# per parent whatever their case (the models' constraints), so each subquery finds at most one row.
_CHILDREN = {"evse": (Evse, "location_id", "uid"), "connector": (Connector, "evse_id", "connector_id")}


def _update_child(
    level: str, parent_id: int, own_id: str, assignments: str, params: list, *, not_after: datetime | None = None
) -> tuple | None:
    """UPDATE the EVSE or connector `own_id` of the parent row `parent_id`, found and locked by the same
    statement: (its id, its id as stored), or None when there is none or, with `not_after`, when what is stored
    was last updated after that moment (a stale PATCH: see _refuse_stale_child)."""
    model, parent, column = _CHILDREN[level]
    table = model._meta.db_table
    fresh, fresh_params = "", []
    if not_after is not None:
        fresh, fresh_params = " AND last_updated <= %s", [connection.ops.adapt_datetimefield_value(not_after)]
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ("  # noqa: S608 - names from the models
            f"SELECT id FROM {table} WHERE {parent} = %s AND UPPER({column}) = UPPER(%s)){fresh} "
            f"RETURNING id, {column}",
            [*params, parent_id, own_id, *fresh_params],
        )
        return cursor.fetchone()


def _refuse_stale_child(model, parent: str, parent_id: int, column: str, own_id: str, stamp: datetime) -> None:
    """After a PATCH's UPDATE found nothing: StaleWrite when the child is there, newer than the PATCH (the
    transaction then takes back the parents' bumps); else the caller answers unknown object. Only failed
    PATCHes pay for this query."""
    stored = (
        model.objects.filter(**{parent: parent_id, f"{column}__iexact": own_id})
        .values_list("last_updated", flat=True)
        .first()
    )
    ownership.refuse_stale(stored, stamp, f"{model.__name__} {own_id}")


def _assignments(model, values: dict) -> tuple[str, list]:
    """SET clause and its parameters for `values`, each prepared for the database as the ORM would."""
    fields = [model._meta.get_field(name) for name in values]
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    return ", ".join(f'"{field.column}" = %s' for field in fields), params


@transaction.atomic
def put_location(
    *, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, location_id: str, data: dict
) -> Change:
    """Create or replace a whole location with its EVSEs and connectors."""
    country_code, party_id = country_code.upper(), party_id.upper()
    ownership.check_ids({"id": (data.get("location_id"), location_id)})
    ownership.check_ids({"country_code": (data.get("country_code"), country_code)})
    ownership.check_ids({"party_id": (data.get("party_id"), party_id)})
    location = (
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id)
        .select_for_update()
        .filter(location_id__iexact=location_id)
        .first()
    )
    created = location is None
    if created:
        location = Location(tenant=tenant, country_code=country_code, party_id=party_id, location_id=location_id)
    else:
        ownership.refuse_stale(location.last_updated, data.get("last_updated"), f"location {location.object_path}")
    location.partner = partner
    for name in LOCATION_FIELDS:
        if name in data:
            setattr(location, name, data[name])
    location.revision = (location.revision or 0) + 1
    location.save()
    _replace_evses(tenant, location, data.get("evses", []))
    _record(tenant, partner, location.object_path, DeliveryMethod.PUT)
    return Change(created, location.object_path, level="location")


@transaction.atomic
def put_evse(
    *,
    tenant: Tenant,
    partner: Partner | None,
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
    data: dict,
) -> Change:
    """Create or replace one EVSE (with its connectors) of an existing location."""
    ownership.check_ids({"uid": (data.get("uid"), evse_uid)})
    location = find(owned_by(tenant=tenant, country_code=country_code, party_id=party_id), location_id=location_id)
    evse = next((e for e in location.evses.all() if e.uid.upper() == evse_uid.upper()), None)
    created = evse is None
    if created:
        evse = Evse(tenant=tenant, location=location, uid=evse_uid, position=len(location.evses.all()))
    else:
        ownership.refuse_stale(evse.last_updated, data.get("last_updated"), f"EVSE {location.object_path}/{evse.uid}")
    for name in EVSE_FIELDS:
        if name in data:
            setattr(evse, name, data[name])
    _bump(location.pk, evse.last_updated)
    evse.save()
    evse.connectors.all().delete()
    Connector.objects.bulk_create(_new_connectors(tenant, evse, data.get("connectors", [])))
    path = f"{location.object_path}/{evse.uid}"
    _record(tenant, partner, path, DeliveryMethod.PUT)
    return Change(created, path, level="evse")


@transaction.atomic
def put_connector(
    *,
    tenant: Tenant,
    partner: Partner | None,
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    data: dict,
) -> Change:
    """Create or replace one connector of an existing EVSE."""
    ownership.check_ids({"id": (data.get("connector_id"), connector_id)})
    evse = find(
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id),
        location_id=location_id,
        evse_uid=evse_uid,
    )
    connector = next((c for c in evse.connectors.all() if c.connector_id.upper() == connector_id.upper()), None)
    created = connector is None
    if created:
        connector = Connector(tenant=tenant, evse=evse, connector_id=connector_id, position=len(evse.connectors.all()))
    else:
        ownership.refuse_stale(connector.last_updated, data.get("last_updated"), f"connector {connector_id}")
    for name in CONNECTOR_FIELDS:
        if name in data:
            setattr(connector, name, data[name])
    _bump(evse.location_id, connector.last_updated, evse.pk)
    connector.save()
    path = f"{evse.location.object_path}/{evse.uid}/{connector.connector_id}"
    _record(tenant, partner, path, DeliveryMethod.PUT)
    return Change(created, path, level="connector")


@transaction.atomic
def patch(
    *,
    tenant: Tenant,
    partner: Partner | None,
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str | None = None,
    connector_id: str | None = None,
    fields: dict,
) -> Change:
    """Apply a PATCH to a location, EVSE or connector. A PATCH without last_updated (2.1.1 allows it)
    is stamped with the time it was received."""
    fields = dict(fields)
    fields.setdefault("last_updated", now())
    level = "connector" if connector_id else "evse" if evse_uid else "location"
    for name, expected in (("location_id", location_id), ("uid", evse_uid), ("connector_id", connector_id)):
        if expected is not None:
            ownership.check_ids({"id" if name != "uid" else "uid": (fields.pop(name, None), expected)})
    evses = fields.pop("evses", None)
    connectors = fields.pop("connectors", None)
    allowed = {"location": LOCATION_FIELDS, "evse": EVSE_FIELDS, "connector": CONNECTOR_FIELDS}[level]
    updates = {k: v for k, v in fields.items() if k in allowed}
    if level == "location":
        location = (
            Location.objects.select_for_update()
            .filter(
                tenant=tenant,
                country_code=country_code.upper(),
                party_id=party_id.upper(),
                location_id__iexact=location_id,
            )
            .first()
        )
        if location is None:
            raise UnknownLocation(f"Unknown location {location_id!r}")
        ownership.refuse_stale(location.last_updated, updates["last_updated"], f"location {location.object_path}")
        Location.objects.filter(pk=location.pk).update(**updates, revision=F("revision") + 1)
        if evses is not None:
            _replace_evses(tenant, location, evses)
        path = location.object_path
    else:
        stamp = updates["last_updated"]
        if level == "evse":
            missing = UnknownLocation(f"Location {location_id!r} has no EVSE {evse_uid!r}")
        else:
            missing = UnknownLocation(
                f"EVSE {evse_uid!r} of location {location_id!r} has no connector {connector_id!r}"
            )
        # Parents first (see _LATER); a missing child raises, and the transaction takes the bumps back.
        location = _bump_owned_location([tenant.pk, country_code.upper(), party_id.upper(), location_id], stamp)
        if location is None:
            raise missing
        location_pk, location_path = location
        if level == "evse":
            updated = _update_child("evse", location_pk, evse_uid, *_assignments(Evse, updates), not_after=stamp)
            if updated is None:
                _refuse_stale_child(Evse, "location_id", location_pk, "uid", evse_uid, stamp)
                raise missing
            evse_pk, uid = updated
            if connectors is not None:
                Connector.objects.filter(evse_id=evse_pk).delete()
                evse = Evse(pk=evse_pk, tenant=tenant)
                Connector.objects.bulk_create(_new_connectors(tenant, evse, connectors))
            path = f"{location_path}/{uid}"
        else:
            adapted = connection.ops.adapt_datetimefield_value(stamp)
            evse = _update_child("evse", location_pk, evse_uid, _LATER, [adapted, adapted])
            if evse is None:
                raise missing
            evse_pk, uid = evse
            updated = _update_child(
                "connector", evse_pk, connector_id, *_assignments(Connector, updates), not_after=stamp
            )
            if updated is None:
                _refuse_stale_child(Connector, "evse_id", evse_pk, "connector_id", connector_id, stamp)
                raise missing
            path = f"{location_path}/{uid}/{updated[1]}"
    changed = sorted(
        set(updates)
        | ({"evses"} if evses is not None else set())
        | ({"connectors"} if connectors is not None else set())
    )
    _record(tenant, partner, path, DeliveryMethod.PATCH, changed)
    return Change(False, path, level=level)


@transaction.atomic
def set_evse_status(*, evse: Evse, status: str) -> Change:
    """The tenant's own EVSE changes status (charge point backend, simulator, admin): PATCH to partners."""
    stamp = now()
    location_path = _bump(evse.location_id, stamp)
    Evse.objects.filter(pk=evse.pk).update(status=status, last_updated=stamp)
    path = f"{location_path}/{evse.uid}"
    _record(evse.tenant, evse.location.partner, path, DeliveryMethod.PATCH, ["status"])
    return Change(False, path, level="evse")
