"""Diagnosing a sender list: walk it as the pull would (our page size, Link or, with follow_link off,
offset), validate each object in the partner's version, and see what the pages show: a Link to walk
around by offset, a page cap, a limit ignored, the always-tolerated deviations in the objects
(transport_and_format: pagination; each module's object definition)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

from partners.profile import Profile
from roaming.errors import Invalid
from roaming.ocpi.client import (
    OcpiClient,
    OcpiResult,
    PartnerBadResponse,
    PartnerError,
    PartnerHttpError,
    next_page_url,
)
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.status import is_success
from roaming.ocpi.timestamps import parse_datetime
from roaming.services.diagnostics.connection import answer
from roaming.services.diagnostics.report import EXAMPLES, QUIRK, TOLERATED, ModuleReport, Report

#: The limit of the page that checks whether they honour `limit` and send X-Limit and Link.
SMALL_LIMIT = 2


@dataclass
class _Seen:
    """What the objects of one module show besides validity: the always-tolerated deviations."""

    ids: set[str] = field(default_factory=set)
    nulls: list[str] = field(default_factory=list)
    naive_times: list[str] = field(default_factory=list)
    lower_ids: list[str] = field(default_factory=list)


def _header(result: OcpiResult, name: str) -> str | None:
    return next((v for k, v in result.headers.items() if k.lower() == name.lower()), None)


def _int_header(result: OcpiResult, name: str) -> int | None:
    value = (_header(result, name) or "").strip()
    return int(value) if value.isdigit() else None


def _fetch(module: ModuleReport, client: OcpiClient, url: str, params, *, failed: str) -> OcpiResult | None:
    """One page, or None with the failure recorded as check `failed` (HTTP status, or Link past page one)."""
    try:
        return client.get(url, params=params, expect_success=False)
    except PartnerBadResponse as exc:
        module.add("envelope", str(exc), path="body")
    except PartnerHttpError as exc:
        module.add(failed, f"GET {url}: {exc}", path="Link" if failed == "Link" else "")
    except PartnerError as exc:
        module.add("unreachable", str(exc))
    return None


def _new_objects(client: OcpiClient, url: str, params: dict, seen: _Seen) -> OcpiResult | None:
    """A page by offset when it holds objects not seen yet (an offset they ignore serves the first page again)."""
    try:
        result = client.get(url, params=params, expect_success=False)
    except PartnerError:
        return None
    if not is_success(result.status_code) or not isinstance(result.data, list) or not result.data:
        return None
    ids = {_object_id(o) for o in result.data}
    return None if ids & seen.ids else result


def walk(report: Report, client: OcpiClient, dialect: Dialect, profile: Profile, endpoint) -> ModuleReport:
    """Walk one sender list as the pull would (our page size, Link or, with follow_link off, offset), then
    look at what it showed: a Link to walk around, a page cap, a limit ignored, tolerated deviations."""
    name = endpoint.identifier
    module = ModuleReport(module=name, url=endpoint.url, by_offset=not profile.follow_link)
    translator = dialect.module(name)
    seen = _Seen()
    asked = profile.page_limit(name)
    params: dict | None = {"limit": asked} if asked else None
    result = _fetch(module, client, endpoint.url, params, failed="HTTP status")
    if asked and (result is None or not is_success(result.status_code)):
        params, result = _refused_limit(report, module, client, endpoint.url, asked, params, result)
    if result is None:
        return module
    first = result
    size = (len(first.data) if isinstance(first.data, list) else 0) or SMALL_LIMIT
    module.walked_to_end = _pages(module, client, translator, endpoint.url, result, size, seen)
    if "Link" in module.checks and not module.by_offset:
        # Their Link cannot be followed: can their list be walked by offset instead?
        resumed = _new_objects(client, endpoint.url, {"offset": module.objects, "limit": size}, seen)
        if resumed is not None:
            _link_unusable(report, module)
            module.walked_to_end = _pages(module, client, translator, endpoint.url, resumed, size, seen)
    if module.walked_to_end and module.total_count is not None and module.objects != module.total_count:
        module.add(
            "X-Total-Count",
            f"the pages held {module.objects} objects in all, X-Total-Count said {module.total_count}",
            path="X-Total-Count",
        )
    _check_small_page(report, module, client, endpoint.url)
    _check_cap(report, module, first, asked)
    _tolerated(report, module, seen)
    return module


def _read_page(module: ModuleReport, translator, result: OcpiResult, url: str, seen: _Seen) -> None:
    for wire_object in result.data:
        _check_object(module, translator, wire_object, seen)
    if isinstance(result.timestamp, str) and _NAIVE_TIME.match(result.timestamp):
        seen.naive_times.append(f"envelope timestamp of GET {url}: {result.timestamp!r}")


def _pages(module, client, translator, list_url: str, result: OcpiResult, size: int, seen: _Seen) -> bool:
    """Read `result` and the pages after it, by Link or by offset as the module is walked, up to
    DIAGNOSE_MAX_PAGES; True when the walk reached the last page."""
    url = list_url
    while True:
        module.pages += 1
        if not _check_page(module, result, url):
            return False
        _read_page(module, translator, result, url, seen)
        if module.by_offset:
            more = bool(result.data) and (module.total_count is None or module.objects < module.total_count)
            url, params = (list_url, {"offset": module.objects, "limit": size}) if more else (None, None)
        else:
            url, params = _next_url(module, result), None
        if url is None:
            return True
        if module.pages >= settings.DIAGNOSE_MAX_PAGES:
            return False
        result = _fetch(module, client, url, params, failed="HTTP status" if module.by_offset else "Link")
        if result is None:
            return False
        if module.by_offset and {_object_id(o) for o in result.data or []} & seen.ids:
            module.add("offset", f"GET {url} offset {params['offset']}: served objects of earlier pages again")
            return False


def _link_unusable(report: Report, module: ModuleReport) -> None:
    module.by_offset = True
    module.explained.add("Link")
    report.found(
        QUIRK,
        "link_unusable",
        "Link header unusable: walk by offset",
        module=module.module,
        settings={"follow_link": False},
        examples=[e.message for e in module.checks["Link"].examples],
    )


def _refused_limit(report, module, client, url, asked, params, result):
    """The first page, asked with our page size, failed: when a small page comes, the limit was refused and
    their X-Limit is the cap to keep to. Returns the parameters and the first page to go on with."""
    small, _ = answer(client, url, params={"limit": SMALL_LIMIT})
    cap = _int_header(small, "X-Limit") if small is not None and is_success(small.status_code) else None
    if not cap or cap >= asked:
        return params, result
    refused = next(iter(module.checks.values())).examples[0].message if module.checks else f"OCPI {result.status_code}"
    module.checks.clear()  # what the refused page showed is the cap, not a fault of the list
    report.found(
        QUIRK,
        "page_cap",
        f"caps pages at {cap} for {module.module}",
        module=module.module,
        settings={"page_size_caps": {module.module: cap}},
        examples=[f"a page of {asked} refused ({refused}); X-Limit {cap}"],
    )
    params = {"limit": cap}
    return params, _fetch(module, client, url, params, failed="HTTP status")


def _check_cap(report: Report, module: ModuleReport, first: OcpiResult, asked: int | None) -> None:
    """A cap matters when we ask for more than they serve: their X-Limit, or a short page while more remain."""
    if not asked or not isinstance(first.data, list):
        return
    if any(f.key == "page_cap" and f.module == module.module for f in report.findings):
        return
    x_limit = _int_header(first, "X-Limit")
    served = len(first.data)
    if x_limit is not None and x_limit < asked:
        cap, evidence = x_limit, f"asked {asked}, X-Limit {x_limit}, served {served}"
    elif served < asked and module.total_count is not None and module.total_count > served:
        cap, evidence = served, f"asked {asked}, served {served} of {module.total_count}"
    else:
        return
    report.found(
        QUIRK,
        "page_cap",
        f"caps pages at {cap} for {module.module}",
        module=module.module,
        settings={"page_size_caps": {module.module: cap}},
        examples=[evidence],
    )


def _check_small_page(report: Report, module: ModuleReport, client: OcpiClient, url: str) -> None:
    """A page of SMALL_LIMIT: they should serve no more, and say where the rest is."""
    if not module.pages:
        return
    small, shape = answer(client, url, params={"limit": SMALL_LIMIT})
    if small is None or shape or not isinstance(small.data, list):
        return
    served = len(small.data)
    if served > SMALL_LIMIT:
        report.found(
            TOLERATED,
            "ignores_limit",
            "ignores the limit parameter",
            module=module.module,
            examples=[f"GET {url}?limit={SMALL_LIMIT}: {served} objects"],
        )
    total = _int_header(small, "X-Total-Count")
    if module.by_offset or "Link" in module.checks or total is None or total <= served:
        return
    if next_page_url(_header(small, "Link")) is None:
        module.add(
            "Link", f"no next page after {served} of {total} objects on a page of limit={SMALL_LIMIT}", path="Link"
        )
        if _new_objects(
            client, url, {"offset": served, "limit": SMALL_LIMIT}, _Seen(ids={_object_id(o) for o in small.data})
        ):
            _link_unusable(report, module)


def _tolerated(report: Report, module: ModuleReport, seen: _Seen) -> None:
    for key, text, examples in (
        ("nulls", "sends null for optional fields (read as absent)", seen.nulls),
        ("naive_timestamps", "sends timestamps without zone (read as UTC)", seen.naive_times),
        ("lower_case_ids", "lower-cases ids (compared without case)", seen.lower_ids),
    ):
        if examples:
            report.found(TOLERATED, key, text, module=module.module, examples=examples[:EXAMPLES])


def _check_page(module: ModuleReport, result: OcpiResult, url: str) -> bool:
    """Envelope, status codes and pagination headers of one page; False when its data cannot be read."""
    if result.http_status != 200:
        module.add("HTTP status", f"GET {url}: HTTP {result.http_status}, a list answers 200")
    if not is_success(result.status_code):
        module.add("status code", f"GET {url}: OCPI {result.status_code} {result.status_message}".strip())
    try:
        parse_datetime(result.timestamp)
    except ValueError as exc:
        module.add("envelope timestamp", str(exc), path="timestamp")
    if not isinstance(result.data, list):
        module.add("envelope", f"GET {url}: data is {type(result.data).__name__}, a list was expected", path="data")
        return False
    for name in ("X-Total-Count", "X-Limit"):
        value = _header(result, name)
        if value is None:
            module.add(name, f"GET {url}: header missing", path=name)
        elif not value.strip().isdigit():
            module.add(name, f"GET {url}: {value!r} is not a non-negative integer", path=name)
        elif name == "X-Total-Count" and module.total_count is None:
            module.total_count = int(value)
        elif name == "X-Limit" and len(result.data) > int(value):
            module.add(name, f"GET {url}: {len(result.data)} objects on a page, X-Limit says {value}", path=name)
    return True


def _next_url(module: ModuleReport, result: OcpiResult) -> str | None:
    link = _header(result, "Link")
    if link:
        url = next_page_url(link)
        if url:
            return url
        module.add("Link", f'{link!r} is not <url>; rel="next"', path="Link")
        return None
    if module.total_count is not None and module.objects < module.total_count:
        module.add(
            "Link",
            f"no next page after {module.objects} objects, while X-Total-Count says {module.total_count}",
            path="Link",
        )
    return None


_INDEX = re.compile(r"\[\d+\]")
_NAIVE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")
_IDS = ("country_code", "party_id")


def _object_id(wire_object) -> str:
    if isinstance(wire_object, dict):
        return str(wire_object.get("id") or wire_object.get("uid") or "")
    return ""


def _observe(value, path: str, object_id: str, seen: _Seen) -> None:
    """Note the tolerated deviations in one wire object: nulls, timestamps without zone, lower-case ids."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if item is None:
                seen.nulls.append(f"{object_id} {where}")
            elif key in _IDS and isinstance(item, str) and item != item.upper():
                seen.lower_ids.append(f"{object_id} {where}: {item!r}")
            else:
                _observe(item, where, object_id, seen)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _observe(item, f"{path}[{index}]", object_id, seen)
    elif isinstance(value, str) and _NAIVE_TIME.match(value):
        seen.naive_times.append(f"{object_id} {path}: {value!r}")


def _check_object(module: ModuleReport, translator, wire_object, seen: _Seen) -> None:
    module.objects += 1
    object_id = _object_id(wire_object) or f"#{module.objects}"
    seen.ids.add(object_id)
    try:
        translator.from_wire(wire_object)
    except Invalid as exc:
        # The message names each offending field: "evses[0].status: Input should be ...; last_updated: ...".
        for part in exc.message.split("; "):
            path, _, message = part.partition(": ") if ": " in part else ("", "", part)
            module.add(f"object {_INDEX.sub('[]', path) or 'body'}", message, object_id=object_id, path=path)
        return
    except (TypeError, ValueError, KeyError) as exc:
        module.add("object", f"{exc.__class__.__name__}: {exc}", object_id=object_id)
        return
    module.valid += 1
    # Only in objects we could read: a null there was in an optional field, the rest was read past.
    _observe(wire_object, "", object_id, seen)
