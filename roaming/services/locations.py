"""Locations services: PUT and PATCH of locations, EVSEs and connectors, the sender's selectors,
and how locations are pushed to and pulled from partners (mod_locations, both versions).

Writes take internal dicts (see roaming.ocpi.v*/locations) and run in one transaction that also
records the outbox deliveries the change owes partners. A change to an EVSE or connector moves
its parents' last_updated along (2.2.1 mod_locations PUT/PATCH; done for both versions).
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, DateTimeField, F, JSONField, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast, Upper

from partners.models import Partner, PartnerParty, Party, Role, Tenant
from partners.rows import prepared_cursor
from roaming.models import Connector, DeliveryMethod, Evse, Location, WireCache
from roaming.ocpi.common import business_details_to_wire
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.errors import NotFound, OcpiError, UnknownLocation
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.timestamps import now
from roaming.services import outbox, ownership, sync
from roaming.services.ownership import pull_owner, receiving_party
from tariffs.models import Tariff

MODULE = "locations"
LEVELS = ("location", "evse", "connector")


@dataclass(frozen=True)
class Change:
    """What a write did: `created` or updated, at which level, under which object path."""

    created: bool
    level: str
    object_path: str


# -- reading -----------------------------------------------------------------------------------------


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


class _Children(list):
    """A list that answers .all(), so rows read directly look like prefetched model objects to translators."""

    def all(self):
        return self


class _Rows:
    """Reads one model's rows as named tuples, straight from the database cursor.

    Django's row iteration, its JSON decoding (standard library) and its timestamp loader (pure
    Python) are most of the cost of a page of a thousand locations. Here the query is compiled by
    Django but fetched from the cursor as is: JSON columns are read as text and decoded with
    orjson; timestamps are read as the database's UTC text, which format_datetime turns into
    OCPI's form by slicing (the session time zone is UTC); booleans are made booleans again for
    databases that return integers.
    """

    def __init__(self, model, name: str, extra: tuple[str, ...] = ()):
        fields = model._meta.concrete_fields
        self.columns = [f.attname for f in fields]
        self.json_positions = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
        self.bool_positions = [i for i, f in enumerate(fields) if isinstance(f, BooleanField)]
        self.as_text = {
            f.attname: Cast(f.attname, TextField()) for f in fields if isinstance(f, (JSONField, DateTimeField))
        }
        self.row = namedtuple(name, (*self.columns, *extra))

    def read(self, queryset: QuerySet) -> list[list]:
        names = [f"_{c}_text" if c in self.as_text else c for c in self.columns]
        annotated = queryset.annotate(**{f"_{c}_text": expr for c, expr in self.as_text.items()}).values_list(*names)
        sql, params = annotated.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [list(values) for values in cursor.fetchall()]
        loads = orjson.loads
        for values in rows:
            for position in self.json_positions:
                if values[position] is not None:
                    values[position] = loads(values[position])
            for position in self.bool_positions:
                if values[position] is not None:
                    values[position] = bool(values[position])
        return rows


_LOCATION_ROWS = _Rows(Location, "LocationRow", ("evses",))
_EVSE_ROWS = _Rows(Evse, "EvseRow", ("connectors",))
_CONNECTOR_ROWS = _Rows(Connector, "ConnectorRow")


def read_page(queryset: QuerySet) -> list:
    """A page of locations with EVSEs and connectors as plain rows, in three queries.

    Pages of a thousand locations hold some 13,000 objects; reading tuples instead of building
    model instances makes a page several times faster, and the translators read both alike.
    """
    page = queryset.values("pk")
    locations = _LOCATION_ROWS.read(queryset)
    evses = _EVSE_ROWS.read(Evse.objects.filter(location__in=page).order_by("location_id", "position", "pk"))
    connectors: dict[int, _Children] = defaultdict(_Children)
    make_connector, make_evse, make_location = _CONNECTOR_ROWS.row, _EVSE_ROWS.row, _LOCATION_ROWS.row
    for values in _CONNECTOR_ROWS.read(
        Connector.objects.filter(evse__location__in=page).order_by("evse_id", "position", "pk")
    ):
        connector = make_connector(*values)
        connectors[connector.evse_id].append(connector)
    by_location: dict[int, _Children] = defaultdict(_Children)
    for values in evses:
        evse = make_evse(*values, connectors[values[0]])
        by_location[evse.location_id].append(evse)
    return [make_location(*values, by_location[values[0]]) for values in locations]


def render_page(queryset: QuerySet, dialect: Dialect) -> list:
    """A page of locations as wire JSON in `dialect`, reusing bodies rendered for the same revision.

    Steady state costs two queries however large the page. Changed locations are read with
    read_page and translated; their bodies are kept for later pages only once they have been
    quiet for WIRE_CACHE_MIN_AGE_SECONDS, so what changes often (and what incremental pulls ask
    for) is not written to the cache only to be replaced.
    """
    rows = list(queryset.values_list("pk", "revision", "last_updated"))
    if not rows:
        return []
    bodies = rendered(rows, dialect)
    return KeyedPage([orjson.Fragment(bodies[pk]) for pk, _, _ in rows], last_pk=rows[-1][0])


class KeyedPage(list):
    """Rendered bodies that still know the primary key of their last object (pagination's `after`)."""

    def __init__(self, items, *, last_pk: int):
        super().__init__(items)
        self.last_pk = last_pk


def rendered(rows: list[tuple[int, int, datetime]], dialect: Dialect) -> dict[int, bytes]:
    """The wire JSON in `dialect` of the locations (id, revision, last_updated), by id: bodies kept for their
    revision are reused, the others read and translated in a few queries for all (see render_page)."""
    ids = [pk for pk, _, _ in rows]
    cached = {
        object_id: (revision, body)
        for object_id, revision, body in WireCache.objects.filter(
            module=MODULE, version=dialect.version, object_id__in=ids
        ).values_list("object_id", "revision", "body")
    }
    stale = {
        pk: (revision, last_updated) for pk, revision, last_updated in rows if cached.get(pk, (None,))[0] != revision
    }
    if stale:
        quiet_since = now() - timedelta(seconds=settings.WIRE_CACHE_MIN_AGE_SECONDS)
        translator = dialect.module(MODULE)
        keep = []
        for location in read_page(Location.objects.filter(pk__in=list(stale)).order_by("pk")):
            revision, last_updated = stale[location.id]
            body = orjson.dumps(translator.to_wire(location))
            cached[location.id] = (revision, body)
            if last_updated < quiet_since:
                keep.append(
                    WireCache(
                        module=MODULE,
                        version=dialect.version,
                        object_id=location.id,
                        revision=revision,
                        body=body.decode(),
                    )
                )
        _keep(keep)
    return {pk: cached[pk][1] if isinstance(cached[pk][1], bytes) else cached[pk][1].encode() for pk in ids}


_KEEP_SQL = (
    f"INSERT INTO {WireCache._meta.db_table} (module, version, object_id, revision, body) "  # noqa: S608 - the model's table
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (module, version, object_id) "
    "DO UPDATE SET revision = EXCLUDED.revision, body = EXCLUDED.body"
)


def _keep(bodies: list[WireCache]) -> None:
    """Store rendered bodies, replacing older revisions. On PostgreSQL as one pipelined executemany: the
    bulk_create's arrays of some kilobytes of JSON each are quoted character by character on the client,
    several times slower than the rendering they save."""
    if not bodies:
        return
    if connection.vendor != "postgresql":
        WireCache.objects.bulk_create(
            bodies,
            update_conflicts=True,
            unique_fields=["module", "version", "object_id"],
            update_fields=["revision", "body"],
        )
        return
    with connection.cursor() as cursor:
        cursor.executemany(_KEEP_SQL, [(b.module, b.version, b.object_id, b.revision, b.body) for b in bodies])


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Location, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own locations a partner may list: its CPO parties of this connection, publish rules applied."""
    owners = ownership.own_parties_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.CPO)
    published = Q(publish=True)
    if dialect.shares_restricted_locations:
        published |= ~Q(publish_allowed_to=[])
    return Location.objects.for_tenant(tenant).filter(owners, published, partner__isnull=True)


def find(queryset: QuerySet, *, location_id: str, evse_uid: str | None = None, connector_id: str | None = None):
    """The addressed location, EVSE or connector (ids compared case-insensitively), or 404 / 2003."""
    location = with_children(queryset).filter(location_id__iexact=location_id).first()
    if location is None:
        raise UnknownLocation(f"Unknown location {location_id!r}", http_status=404)
    if evse_uid is None:
        return location
    evse = _evse_of(location, evse_uid)
    if evse is None:
        raise NotFound(f"Location {location_id!r} has no EVSE {evse_uid!r}", status_code=2003)
    if connector_id is None:
        return evse
    connector = _connector_of(evse, connector_id)
    if connector is None:
        raise NotFound(f"EVSE {evse_uid!r} has no connector {connector_id!r}", status_code=2003)
    return connector


def _evse_of(location: Location, uid: str) -> Evse | None:
    """The location's EVSE of this uid, compared case-insensitively, from its prefetched EVSEs."""
    return next((e for e in location.evses.all() if e.uid.upper() == uid.upper()), None)


def _connector_of(evse: Evse, connector_id: str) -> Connector | None:
    return next((c for c in evse.connectors.all() if c.connector_id.upper() == connector_id.upper()), None)


def _with_keys(tenant_id: int, keys) -> QuerySet:
    """The tenant's locations of these (country_code, party_id, upper-cased location id) keys, each annotated
    with its `id_key`: one query however many owners the keys name."""
    of_batch = Q(pk__in=[])
    for country_code, party_id in {(c, p) for c, p, _ in keys}:
        ids = [i for c, p, i in keys if (c, p) == (country_code, party_id)]
        of_batch |= Q(country_code=country_code, party_id=party_id, id_key__in=ids)
    return Location.objects.filter(tenant_id=tenant_id).annotate(id_key=Upper("location_id")).filter(of_batch)


# -- writing -----------------------------------------------------------------------------------------

_LOCATION_FIELDS = [
    f.name
    for f in Location._meta.concrete_fields
    if f.name not in ("id", "tenant", "partner", "country_code", "party_id", "location_id")
]
_EVSE_FIELDS = [
    f.name for f in Evse._meta.concrete_fields if f.name not in ("id", "tenant", "location", "uid", "position")
]
_CONNECTOR_FIELDS = [
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
    for name in _LOCATION_FIELDS:
        if name in data:
            setattr(location, name, data[name])
    location.revision = (location.revision or 0) + 1
    location.save()
    _replace_evses(tenant, location, data.get("evses", []))
    _record(tenant, partner, location.object_path, DeliveryMethod.PUT)
    return Change(created, "location", location.object_path)


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
    for name in _EVSE_FIELDS:
        if name in data:
            setattr(evse, name, data[name])
    _bump(location.pk, evse.last_updated)
    evse.save()
    evse.connectors.all().delete()
    Connector.objects.bulk_create(_new_connectors(tenant, evse, data.get("connectors", [])))
    path = f"{location.object_path}/{evse.uid}"
    _record(tenant, partner, path, DeliveryMethod.PUT)
    return Change(created, "evse", path)


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
    for name in _CONNECTOR_FIELDS:
        if name in data:
            setattr(connector, name, data[name])
    _bump(evse.location_id, connector.last_updated, evse.pk)
    connector.save()
    path = f"{evse.location.object_path}/{evse.uid}/{connector.connector_id}"
    _record(tenant, partner, path, DeliveryMethod.PUT)
    return Change(created, "connector", path)


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
    allowed = {"location": _LOCATION_FIELDS, "evse": _EVSE_FIELDS, "connector": _CONNECTOR_FIELDS}[level]
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
            raise UnknownLocation(f"Unknown location {location_id!r}", http_status=404)
        ownership.refuse_stale(location.last_updated, updates["last_updated"], f"location {location.object_path}")
        Location.objects.filter(pk=location.pk).update(**updates, revision=F("revision") + 1)
        if evses is not None:
            _replace_evses(tenant, location, evses)
        path = location.object_path
    else:
        stamp = updates["last_updated"]
        if level == "evse":
            missing = NotFound(f"Location {location_id!r} has no EVSE {evse_uid!r}", status_code=2003)
        else:
            missing = NotFound(
                f"EVSE {evse_uid!r} of location {location_id!r} has no connector {connector_id!r}", status_code=2003
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
    return Change(False, level, path)


@transaction.atomic
def set_evse_status(*, evse: Evse, status: str) -> Change:
    """The tenant's own EVSE changes status (charge point backend, simulator, admin): PATCH to partners."""
    stamp = now()
    location_path = _bump(evse.location_id, stamp)
    Evse.objects.filter(pk=evse.pk).update(status=status, last_updated=stamp)
    path = f"{location_path}/{evse.uid}"
    _record(evse.tenant, evse.location.partner, path, DeliveryMethod.PATCH, ["status"])
    return Change(False, "evse", path)


# -- pushing and pulling -------------------------------------------------------------------------------


def _load(tenant_id: int, path: str):
    parts = path.split("/")
    country_code, party_id, location_id = parts[:3]
    queryset = Location.objects.filter(tenant_id=tenant_id, country_code=country_code, party_id=party_id)
    try:
        return find(
            queryset,
            location_id=location_id,
            evse_uid=parts[3] if len(parts) > 3 else None,
            connector_id=parts[4] if len(parts) > 4 else None,
        ), LEVELS[len(parts) - 3]
    except (NotFound, UnknownLocation):
        return None, None


def _load_many(tenant_id: int, paths: list[str]) -> dict[str, tuple]:
    """_load for many paths at once: their locations with EVSEs and connectors in three queries, the
    addressed EVSE or connector picked from them as find() does (ids compared case-insensitively)."""
    keys = {(cc, pid, location_id.upper()) for cc, pid, location_id, *_ in (path.split("/") for path in paths)}
    found = {
        (location.country_code, location.party_id, location.id_key): location
        for location in with_children(_with_keys(tenant_id, keys))
    }
    loaded = {}
    for path in paths:
        parts = path.split("/")
        obj = found.get((parts[0], parts[1], parts[2].upper()))
        if obj is not None and len(parts) > 3:
            obj = _evse_of(obj, parts[3])
        if obj is not None and len(parts) > 4:
            obj = _connector_of(obj, parts[4])
        loaded[path] = (obj, LEVELS[len(parts) - 3]) if obj is not None else (None, None)
    return loaded


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    """The PUT or PATCH of a location, EVSE or connector in its current state. A PATCH carries the PUT of
    the whole location (at the location's path) to send instead: a partner lacking an EVSE or connector
    usually lacks its location."""
    return _build_push(delivery, dialect, *_load(delivery.tenant_id, delivery.object_path))


def _build_push(delivery, dialect: Dialect, obj, level) -> outbox.OutgoingRequest | None:
    if obj is None:
        return None
    location = obj if level == "location" else obj.location if level == "evse" else obj.evse.location
    if not dialect.module(MODULE).may_see(location):
        return None
    translator = dialect.module(MODULE)
    if delivery.method == DeliveryMethod.PATCH:
        body = translator.patch_to_wire(obj, level=level, fields=delivery.fields)
    else:
        body = translator.to_wire(obj, level)
    if body is None:  # nothing this version can express
        return None
    sent = {
        "module": MODULE,
        "to_party": receiving_party(delivery.partner_id),
        "from_party": PartyRef(location.country_code, location.party_id),
        # Looked up now when it may be needed: a batch sends from other threads (see _our_values).
        "fill": _our_values(location, dialect, now=True) if _fills(delivery) else None,
    }
    # The location's extension fields go with the location's own body, never inside an EVSE or connector.
    extensions = location.extensions if level == "location" else {}
    whole = None
    if delivery.method == DeliveryMethod.PATCH:
        whole = outbox.OutgoingRequest(
            "PUT",
            location.object_path,
            body=translator.to_wire(location, "location"),
            extensions=location.extensions,
            **sent,
        )
    return outbox.OutgoingRequest(
        delivery.method,
        delivery.object_path,
        body=body,
        whole=whole,
        part=_PARTS[level],
        extensions=extensions,
        **sent,
    )


def _fills(delivery) -> bool:
    """Whether the partner requires fields to be filled (on whole objects: a PUT, or the PUT a PATCH may become)."""
    return bool(delivery.partner.profile.required_fields)


#: Where each level's body sits in a location on the wire (push.OutgoingRequest.part).
_PARTS = {"location": "", "evse": "evses", "connector": "evses.connectors"}


def _our_values(location: Location, dialect: Dialect, *, now: bool = False):
    """What our data says for optional fields a partner requires (profile.required_fields) and a location we
    send lacks: operator and owner are the owning party's business details (the tenant's own party of the
    location, or for a location received from a partner, that partner's party); capabilities an empty list;
    a connector's tariff the one tariff of the owner that applies (see applying_tariff); without one, 2.2.1's
    tariff_ids an empty list and 2.1.1's tariff_id (a string, with no empty value) left out.
    Looked up only when a field is wanted, once per location; with `now`, at once (a batch sends from other
    threads, whose database connections are not the builder's)."""
    found: dict[str, object] = {}

    def value(path: str, holder: dict):
        name = path.rpartition(".")[2]
        if name in ("operator", "owner"):
            if "details" not in found:
                found["details"] = _owner_details(location)
            return found["details"]
        if name == "capabilities":
            return []
        if name in ("tariff_id", "tariff_ids"):
            if "tariff" not in found:
                found["tariff"] = applying_tariff(location, dialect)
            tariff_id = found["tariff"]
            if name == "tariff_ids":  # an empty list names no tariff, as an absent one does
                return [] if tariff_id is None else [tariff_id]
            return tariff_id
        return None

    if now:
        found["details"] = _owner_details(location)
        found["tariff"] = applying_tariff(location, dialect)
    return value


def _owner_details(location: Location) -> dict | None:
    """The BusinessDetails of the party owning `location`, on the wire (both versions alike), or None
    when the party is unknown or has no name."""
    owners = (
        PartnerParty.objects.for_tenant(location.tenant_id).filter(partner_id=location.partner_id)
        if location.partner_id
        else Party.objects.for_tenant(location.tenant_id)
    )
    party = owners.filter(country_code=location.country_code, party_id=location.party_id, role=Role.CPO).first()
    if party is None or not party.name:
        return None
    logo = {
        "url": party.logo_url,
        "thumbnail": party.logo_thumbnail,
        "category": party.logo_category,
        "type": party.logo_type,
        "width": party.logo_width,
        "height": party.logo_height,
    }
    return business_details_to_wire(
        {"name": party.name, "website": party.website, "logo": logo if party.logo_category else None}
    )


def applying_tariff(location: Location, dialect: Dialect) -> str | None:
    """The id of the tariff that applies to a connector naming none, for a partner that requires one: the
    owner's only tariff in force now that this partner may see or, among several, the only REGULAR (or
    untyped) one. With none, or no way to choose, None: a guessed tariff would bill drivers wrongly."""
    moment = now()
    in_force = [
        tariff
        for tariff in Tariff.objects.for_tenant(location.tenant_id).filter(
            country_code=location.country_code, party_id=location.party_id, partner_id=location.partner_id
        )
        if (tariff.start_date_time is None or tariff.start_date_time <= moment)
        and (tariff.end_date_time is None or tariff.end_date_time > moment)
        and dialect.module("tariffs").may_see(tariff, moment)
    ]
    if len(in_force) > 1:
        in_force = [tariff for tariff in in_force if tariff.type in ("", "REGULAR")]
    return in_force[0].tariff_id if len(in_force) == 1 else None


def build_pushes(deliveries: list, dialect: Dialect) -> dict[int, outbox.OutgoingRequest | None]:
    """build_push for a batch of one partner's deliveries, by delivery id: the PUTs of whole locations (an
    initial sync's) in a few queries for all, their bodies the wire form rendered once per version and
    revision (render_page's cache, shared with the sender's pages); the others (EVSE and connector PATCHes,
    mostly) built one by one from their locations, loaded together."""
    whole = [d for d in deliveries if d.method == DeliveryMethod.PUT and d.object_path.count("/") == 2]
    whole_ids = {d.pk for d in whole}
    others = [d for d in deliveries if d.pk not in whole_ids]
    loaded = _load_many(others[0].tenant_id, [d.object_path for d in others]) if others else {}
    built = {d.pk: _build_push(d, dialect, *loaded[d.object_path]) for d in others}
    if not whole:
        return built
    keys = {}
    for delivery in whole:
        country_code, party_id, location_id = delivery.object_path.split("/")
        keys[(country_code, party_id, location_id.upper())] = delivery
    found = {
        (location.country_code, location.party_id, location.id_key): location
        for location in _with_keys(whole[0].tenant_id, keys).only(
            "pk",
            "tenant_id",
            "partner_id",
            "country_code",
            "party_id",
            "location_id",
            "publish",
            "publish_allowed_to",
            "revision",
            "last_updated",
            "extensions",
        )
    }
    translator = dialect.module(MODULE)
    visible = {key: location for key, location in found.items() if translator.may_see(location)}
    bodies = rendered([(loc.pk, loc.revision, loc.last_updated) for loc in visible.values()], dialect)
    to_party = receiving_party(whole[0].partner_id)
    requires_fields = _fills(whole[0])
    for key, delivery in keys.items():
        location = visible.get(key)
        body = orjson.loads(bodies[location.pk]) if location is not None else None
        if body is None:  # gone, not for this partner's eyes, or nothing this version can express
            built[delivery.pk] = None
            continue
        # As build_push sends it: the partner's profile decides on the routing headers, fills the fields it
        # requires and gets its extension fields back.
        built[delivery.pk] = outbox.OutgoingRequest(
            DeliveryMethod.PUT,
            delivery.object_path,
            body=body,
            module=MODULE,
            to_party=to_party,
            from_party=PartyRef(location.country_code, location.party_id),
            extensions=location.extensions,
            fill=_our_values(location, dialect, now=True) if requires_fields else None,
        )
    return built


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


_EVSE_DEFAULTS = {name: Evse._meta.get_field(name).get_default() for name in _EVSE_FIELDS}
_CONNECTOR_DEFAULTS = {name: Connector._meta.get_field(name).get_default() for name in _CONNECTOR_FIELDS}


def _evses_as_stored(evses: list[dict]) -> list[tuple]:
    """An EVSE list as its rows would read back (absent fields at their defaults), to compare with what is stored."""
    return [
        (
            evse["uid"],
            *(evse.get(name, _EVSE_DEFAULTS[name]) for name in _EVSE_FIELDS),
            [
                (c["connector_id"], *(c.get(name, _CONNECTOR_DEFAULTS[name]) for name in _CONNECTOR_FIELDS))
                for c in evse.get("connectors", [])
            ],
        )
        for evse in evses
    ]


def _rows(queryset: QuerySet) -> list[tuple]:
    """A values_list queryset's rows. On PostgreSQL they are read from the cursor as is, JSON decoded
    with orjson and timestamps by psycopg's own (C) loader: Django's converters and its pure-Python
    timestamp loader are most of the cost of reading a page's 12,000 EVSE and connector rows."""
    if connection.vendor != "postgresql":
        return list(queryset)
    from psycopg import postgres
    from psycopg.pq import Format

    json_names = {
        n for f in queryset.model._meta.concrete_fields if isinstance(f, JSONField) for n in (f.name, f.attname)
    }
    json_positions = [i for i, name in enumerate(queryset.query.values_select) if name in json_names]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        loader = postgres.adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)
        cursor.cursor.adapters.register_loader("timestamptz", loader)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not json_positions:
        return rows
    loads = orjson.loads
    decoded = []
    for row in rows:
        row = list(row)
        for position in json_positions:
            if isinstance(row[position], (str, bytes)):  # Django has psycopg hand jsonb over as text
                row[position] = loads(row[position])
        decoded.append(tuple(row))
    return decoded


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert rows given as {attname: value} (absent fields at their defaults) and return their ids.

    bulk_create elsewhere; on PostgreSQL one COPY, with the ids drawn from the table's sequence in one
    query: several times faster than building model instances and an INSERT whose every value the
    client quotes, for the 13,000 rows of a page of locations.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)]
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    json_fields = [f.attname for f in fields if isinstance(f, JSONField)]
    dumps = orjson.dumps
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(c) for c in ("id", *(f.column for f in fields)))
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = {**defaults, **row}
                for name in json_fields:
                    if values[name] is not None:
                        values[name] = dumps(values[name]).decode()
                copy.write_row((pk, *(values[f.attname] for f in fields)))
    return ids


def _update(model, objects: list, names: list[str]) -> None:
    """Save fields `names` of many objects. bulk_update elsewhere; on PostgreSQL the values are copied into
    a temporary table and applied with one UPDATE … FROM, where bulk_update's CASE per field and row takes
    seconds for a page."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, names, batch_size=500)
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = [quote(f.column) for f in fields]
    json_fields = {f.attname for f in fields if isinstance(f, JSONField)}
    table = quote(model._meta.db_table)
    dumps = orjson.dumps
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE pulled_update ON COMMIT DROP AS SELECT id, {', '.join(columns)} "  # noqa: S608
            f"FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY pulled_update (id, {', '.join(columns)}) FROM STDIN") as copy:
            for obj in objects:
                values = [getattr(obj, f.attname) for f in fields]
                copy.write_row(
                    (
                        obj.pk,
                        *(
                            dumps(v).decode() if f.attname in json_fields and v is not None else v
                            for f, v in zip(fields, values, strict=True)
                        ),
                    )
                )
        assignments = ", ".join(f"{c} = pulled_update.{c}" for c in columns)
        cursor.execute(f"UPDATE {table} SET {assignments} FROM pulled_update WHERE {table}.id = pulled_update.id")  # noqa: S608
        cursor.execute("DROP TABLE pulled_update")


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}


def _stored_evses(tenant: Tenant, location_ids: list[int]) -> dict[int, list[tuple]]:
    """The EVSEs (with connectors) of these locations as rows, in two queries, shaped like _evses_as_stored."""
    if not location_ids:
        return {}
    connectors: dict[int, list[tuple]] = defaultdict(list)
    for evse_id, *row in _rows(
        Connector.objects.for_tenant(tenant)
        .filter(evse__location_id__in=location_ids)
        .order_by("evse_id", "position", "pk")
        .values_list("evse_id", "connector_id", *_CONNECTOR_FIELDS)
    ):
        connectors[evse_id].append(tuple(row))
    evses: dict[int, list[tuple]] = defaultdict(list)
    for evse_id, location_id, *row in _rows(
        Evse.objects.for_tenant(tenant)
        .filter(location_id__in=location_ids)
        .order_by("location_id", "position", "pk")
        .values_list("pk", "location_id", "uid", *_EVSE_FIELDS)
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
        except OcpiError as exc:
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
            fields = {name: data[name] for name in _LOCATION_FIELDS if name in data}
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
        for location, pk in zip(created, _insert(Location, [_values(location) for location in created]), strict=True):
            location.pk, location._state.adding = pk, False
        if updated:
            _update(Location, updated, sorted(update_fields))
        replaced = [location.pk for location in updated if location in refilled]
        if replaced:
            Evse.objects.for_tenant(tenant).filter(location_id__in=replaced).delete()
        evses = [evse for _, location_evses in refill for evse in location_evses]
        evse_ids = _insert(
            Evse,
            [
                {**_without(evse, "connectors"), "tenant_id": tenant.pk, "location_id": location.pk, "position": index}
                for location, location_evses in refill
                for index, evse in enumerate(location_evses)
            ],
        )
        _insert(
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


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """Paths of the locations a partner holds of ours once in sync: what it may list, oldest first."""
    owned = visible_to(tenant=partner.tenant, partner=partner, dialect=dialect).order_by("pk")
    return ["/".join(row) for row in owned.values_list("country_code", "party_id", "location_id")]


PUSHABLE = outbox.Pushable(MODULE, build=build_push, build_many=build_pushes, current=current, nested=True)
PULLABLE = sync.Pullable(MODULE, ingest=ingest, ingest_page=ingest_page)
