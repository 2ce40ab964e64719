"""Pagination of sender list endpoints (transport_and_format, paginated request/response).

date_from is inclusive and date_to exclusive on last_updated (2.2.1 semantics, used for both
versions); the order is creation order (primary key), which does not shift while objects change;
X-Limit is the upper limit of this request, min(limit asked, our maximum): the spec's example answers
limit=2000 with X-Limit 100, and clients that advance offset by X-Limit must not skip objects
(decisions.md, "X-Limit").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.timestamps import parse_datetime


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
    # first does. A client that builds its own offsets still gets them, by OFFSET.
    after = _non_negative_int(params, "after", None) if "after" in params else None
    ordered = queryset.order_by("pk")
    if keep is not None:
        kept = [item for item in ordered if keep(item)]
        total, items = len(kept), kept[offset : offset + limit]
    else:
        total = queryset.count()
        window = ordered.filter(pk__gt=after)[:limit] if after is not None else ordered[offset : offset + limit]
        items = fetch(window) if limit else []
    headers = {"X-Total-Count": str(total), "X-Limit": str(limit)}
    if offset + limit < total and limit:
        query = {k: v for k, v in params.items() if k not in ("offset", "limit", "after")}
        query.update(offset=offset + limit, limit=limit)
        if items and keep is None and (last := _last_pk(items)) is not None:
            query["after"] = last
        # On the platform's public base URL, as every URL it hands out (OCPI_BASE_URL), never the Host the
        # request came with: a hub's pages and those it forwards link to the hub, whoever asked how.
        base = settings.OCPI_BASE_URL.rstrip("/") + request.path_info
        headers["Link"] = f'<{base}?{urlencode(query)}>; rel="next"'
    return Page(items=items, total=total, headers=headers)
