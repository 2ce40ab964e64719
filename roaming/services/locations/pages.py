"""A sender's page of locations as wire JSON, and the wire cache (`WireCache`) that keeps each location's
body per version and revision (docs/decisions.md, "Locations pages")."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from partners.rows import ModelRows, on_postgresql, one_of, value_rows
from roaming.models import Connector, Evse, Location, WireCache
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.timestamps import now
from roaming.services.locations.selectors import MODULE, with_children

_LOCATION_ROWS = ModelRows(Location, "LocationRow")
_EVSE_ROWS = ModelRows(Evse, "EvseRow")
_CONNECTOR_ROWS = ModelRows(Connector, "ConnectorRow")

#: A location with its EVSEs, each with its connectors: what a translator's location_to_wire takes.
LocationTree = tuple[Any, list[tuple[Any, list]]]


def read_page(ids: list[int]) -> list[LocationTree]:
    """The locations `ids` (in id order) with their EVSEs and connectors, in three queries (fewer without children).

    On PostgreSQL as plain rows straight from the cursor (partners.rows.ModelRows): a page of a thousand
    locations holds some 13,000 objects, and building model instances for them costs several times the
    translation. Children are found by their parents' ids (one array each, by the foreign keys' indexes): a
    join against the page's query had PostgreSQL scan every EVSE and connector of the database for each page.
    """
    if not on_postgresql():
        queryset = with_children(Location.objects.filter(pk__in=ids).order_by("pk"))
        return [(loc, [(evse, evse.connectors.all()) for evse in loc.evses.all()]) for loc in queryset]
    locations = _LOCATION_ROWS.where_one_of("id", ids, order_by=("id",))
    evses = _EVSE_ROWS.where_one_of("location", ids, order_by=("location", "position", "id")) if locations else []
    connectors = defaultdict(list)
    if evses:
        for connector in _CONNECTOR_ROWS.where_one_of(
            "evse", [evse.id for evse in evses], order_by=("evse", "position", "id")
        ):
            connectors[connector.evse_id].append(connector)
    by_location = defaultdict(list)
    for evse in evses:
        by_location[evse.location_id].append((evse, connectors[evse.id]))
    return [(location, by_location[location.id]) for location in locations]


def render_page(queryset: QuerySet, dialect: Dialect) -> list:
    """A page of locations as wire JSON in `dialect`, reusing bodies rendered for the same revision.

    Steady state costs two queries however large the page. Changed locations are read with
    read_page and translated; their bodies are kept for later pages only once they have been
    quiet for WIRE_CACHE_MIN_AGE_SECONDS, so what changes often (and what incremental pulls ask
    for) is not written to the cache only to be replaced.
    """
    rows = value_rows(queryset.values_list("pk", "revision", "last_updated"))
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
            one_of("object_id", ids), module=MODULE, version=dialect.version
        ).values_list("object_id", "revision", "body")
    }
    stale = {
        pk: (revision, last_updated) for pk, revision, last_updated in rows if cached.get(pk, (None,))[0] != revision
    }
    if stale:
        quiet_since = now() - timedelta(seconds=settings.WIRE_CACHE_MIN_AGE_SECONDS)
        translator = dialect.module(MODULE)
        keep = []
        for location, evses in read_page(sorted(stale)):
            revision, last_updated = stale[location.id]
            body = orjson.dumps(translator.location_to_wire(location, evses))
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
    if not on_postgresql():
        WireCache.objects.bulk_create(
            bodies,
            update_conflicts=True,
            unique_fields=["module", "version", "object_id"],
            update_fields=["revision", "body"],
        )
        return
    with connection.cursor() as cursor:
        cursor.executemany(_KEEP_SQL, [(b.module, b.version, b.object_id, b.revision, b.body) for b in bodies])
