"""Locations services (mod_locations, both versions), one concern per module:

- `selectors`: which locations a party owns and a partner may list; the object a path addresses;
- `pages`: a sender's page as wire JSON, with the wire cache;
- `writes`: PUT and PATCH of locations, EVSEs and connectors, and EVSE status changes;
- `pushing`: the requests that push them to partners;
- `ingest`: what is pulled from partners, one at a time or a page in bulk.

Callers use the names re-exported here (`locations.put_location(...)`).
"""

from roaming.services import outbox, sync
from roaming.services.locations.ingest import ingest, ingest_page
from roaming.services.locations.pages import KeyedPage, read_page, render_page, rendered
from roaming.services.locations.pushing import LEVELS, applying_tariff, build_push, build_pushes, current
from roaming.services.locations.selectors import MODULE, find, owned_by, visible_to, with_children
from roaming.services.locations.writes import (
    Change,
    patch,
    put_connector,
    put_evse,
    put_location,
    set_evse_status,
)

__all__ = [
    "LEVELS",
    "MODULE",
    "Change",
    "KeyedPage",
    "applying_tariff",
    "build_push",
    "build_pushes",
    "current",
    "find",
    "ingest",
    "ingest_page",
    "owned_by",
    "patch",
    "put_connector",
    "put_evse",
    "put_location",
    "read_page",
    "render_page",
    "rendered",
    "set_evse_status",
    "visible_to",
    "with_children",
]

PUSHABLE = outbox.Pushable(MODULE, build=build_push, build_many=build_pushes, current=current, nested=True)
PULLABLE = sync.Pullable(MODULE, ingest=ingest, ingest_page=ingest_page)
