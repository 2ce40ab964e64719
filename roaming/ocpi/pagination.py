"""Pagination of sender list endpoints (transport_and_format, paginated request/response).

date_from is inclusive and date_to exclusive on last_updated (2.2.1 semantics, used for both
versions); the order is creation order (primary key), which does not shift while objects change;
X-Limit is the upper limit of this request, min(limit asked, our maximum): the spec's example answers
limit=2000 with X-Limit 100, and clients that advance offset by X-Limit must not skip objects
(decisions.md, "X-Limit").
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import parse_datetime

logger = logging.getLogger(__name__)


@dataclass
class Page:
    items: list
    total: int
    headers: dict[str, str] = field(default_factory=dict)


def _non_negative_int(params, name: str, default: int | None) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidParameters(f"Query parameter '{name}' must be a non-negative integer, got {raw!r}")
    return int(raw)


def _datetime_param(params, name: str):
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_datetime(raw.replace(" ", "+"))  # an unescaped '+' in a query string arrives as a space
    except ValueError as exc:
        raise InvalidParameters(f"Query parameter '{name}' is not a valid DateTime: {exc}") from None


def _last_pk(items) -> int | None:
    """The primary key of a page's last item: a model instance, a row read directly, or what a page that renders
    its objects itself says (`last_pk`, roaming.services.locations.render_page)."""
    if hasattr(items, "last_pk"):
        return items.last_pk
    last = items[-1]
    return getattr(last, "pk", None) or getattr(last, "id", None)


def paginate(request, queryset: QuerySet, *, date_field: str = "last_updated", fetch=list, keep=None) -> Page:
    """Filter and slice `queryset` per the request's offset/limit/date_from/date_to.

    `fetch` turns the sliced queryset into the page's items (model instances by default; a module
    can read rows directly when pages are large). `keep`, for short lists only, drops objects the
    caller's version cannot carry before counting and slicing, so no page comes out short and
    X-Total-Count counts what the client can get.
    """
    params = request.query_params if hasattr(request, "query_params") else request.GET
    max_limit = settings.OCPI_MAX_PAGE_SIZE
    offset = _non_negative_int(params, "offset", 0)
    limit = min(_non_negative_int(params, "limit", settings.OCPI_DEFAULT_PAGE_SIZE), max_limit)
    date_from = _datetime_param(params, "date_from")
    date_to = _datetime_param(params, "date_to")
    if date_from is not None:
        queryset = queryset.filter(**{f"{date_field}__gte": date_from})
    if date_to is not None:
        queryset = queryset.filter(**{f"{date_field}__lt": date_to})

    # Our own Link carries `after`, the last primary key of the page, so the next page is found by the index
    # (pk > after) instead of counting past `offset` rows: a page deep in a national network costs what the
    # first does. A client that builds its own offsets gets the same once it walks: each page remembers where
    # the next offset starts (_boundary); only a jump to an offset no page led to counts past the rows, by OFFSET.
    after = _non_negative_int(params, "after", None) if "after" in params else None
    ordered = queryset.order_by("pk")
    if keep is not None:
        kept = [item for item in ordered if keep(item)]
        total, items = len(kept), kept[offset : offset + limit]
    else:
        # The newest key with the count tells whether the list is as a remembered boundary found it (below).
        counted = queryset.aggregate(total=Count("pk"), newest=Max("pk"))
        total, state = counted["total"], (counted["total"], counted["newest"])
        if after is None and offset:
            after = _boundary(queryset, offset, state)
        window = ordered.filter(pk__gt=after)[:limit] if after is not None else ordered[offset : offset + limit]
        items = fetch(window) if limit else []
    headers = {"X-Total-Count": str(total), "X-Limit": str(limit)}
    if offset + limit < total and limit:
        query = {k: v for k, v in params.items() if k not in ("offset", "limit", "after")}
        query.update(offset=offset + limit, limit=limit)
        if items and keep is None and (last := _last_pk(items)) is not None:
            query["after"] = last
            _remember_boundary(queryset, offset + limit, state, last)
        # On the platform's public base URL, as every URL it hands out (OCPI_BASE_URL), never the Host the
        # request came with: a hub's pages and those it forwards link to the hub, whoever asked how.
        base = settings.OCPI_BASE_URL.rstrip("/") + request.path_info
        headers["Link"] = f'<{base}?{urlencode(query)}>; rel="next"'
    return Page(items=items, total=total, headers=headers)


def _boundary_key(queryset: QuerySet, offset: int) -> str:
    """The cache key of where `offset` starts in this list: the list's own SQL (tenant, caller's parties,
    filters), so no other list or tenant shares it."""
    sql, query_params = queryset.query.sql_with_params()
    return f"page-boundary:{hashlib.sha256(repr((sql, query_params)).encode()).hexdigest()}:{offset}"


def _remember_boundary(queryset: QuerySet, offset: int, state: tuple, last_pk: int) -> None:
    try:
        cache.set(_boundary_key(queryset, offset), (last_pk, *state), timeout=settings.OCPI_PAGE_BOUNDARY_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the cache is a shortcut: without it the next page counts by OFFSET
        logger.warning("page boundary not remembered: %s", exc)


def _boundary(queryset: QuerySet, offset: int, state: tuple) -> int | None:
    """The primary key the object at `offset` follows, as the page before it left it, while the list is as it
    was then: as many objects and the same newest key. Keys only grow, so an object gone since (which would
    shift the offsets) changes the count, and one gone with another created changes the newest key."""
    try:
        remembered = cache.get(_boundary_key(queryset, offset))
    except Exception as exc:  # noqa: BLE001 - as above: found by OFFSET instead
        logger.warning("page boundary not read: %s", exc)
        return None
    if remembered is None or tuple(remembered[1:]) != state:
        return None
    return remembered[0]
