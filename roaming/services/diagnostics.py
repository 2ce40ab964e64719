"""Partner diagnostics: call a partner as the platform does, say which quirks it shows, and propose the
compatibility settings (partners.profile) that make us cope with them.

Onboarding a partner usually fails on details a pull would only log one by one: a token form they do
not take, an odd answer to an unknown token, a Link that leads nowhere, a page cap, an object our wire
schema refuses. diagnose() calls their versions and version details, tries our token in both forms and
a deliberately unknown token, and walks every sender list of the negotiated version (from its
PartnerEndpoint rows) for at most DIAGNOSE_MAX_PAGES pages: first page, a page with a small limit (is
`limit` honoured, do X-Limit and Link come?), Link or offset onwards, each object validated with that
version's translator (transport_and_format: response format, pagination headers; each module's object
definition). It changes nothing.

Every finding is one of three kinds (the split of docs/compatibility notes): a *quirk* that a profile
setting copes with (the finding names the setting and the value), something *tolerated* whatever the
settings (read past always), or a *problem* no setting fixes (the partner's to fix, or an operator's
step such as updating the credentials). `report.proposals` are the settings whose value differs from the
partner's now; apply_proposals() sets them, from the admin's Apply button or `diagnose_partner --apply`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from partners.models import InterfaceRole, Partner, PartnerEndpoint, TokenForm
from partners.profile import PROFILE_FIELDS, Profile
from roaming.ocpi.client import (
    OcpiClient,
    OcpiResult,
    PartnerBadResponse,
    PartnerError,
    PartnerHttpError,
    next_page_url,
)
from roaming.ocpi.dialect import Dialect, get_dialect
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.status import is_success
from roaming.ocpi.timestamps import parse_datetime
from roaming.ocpi.versions import version_details_document, versions_list_from_wire

#: Modules whose sender interface is a paginated list of objects the dialect can validate.
LIST_MODULES = ("locations", "tariffs", "sessions", "cdrs", "tokens")
EXAMPLES = 3
#: The limit of the page that checks whether they honour `limit` and send X-Limit and Link.
SMALL_LIMIT = 2

QUIRK = "quirk"  # a profile setting copes with it
TOLERATED = "tolerated"  # read past whatever the settings
PROBLEM = "problem"  # no setting fixes it

#: Settings a diagnosis may propose: the profile's, but the version, which is the operator's choice.
PROPOSABLE = tuple(name for name in PROFILE_FIELDS if name != "pinned_version")


@dataclass
class Finding:
    """One thing the partner does, what kind it is and, for a quirk, the settings that cope with it."""

    kind: str
    key: str  # stable name: token_form, wrong_form_answer, unknown_token_answer, page_cap, link_unusable, ...
    text: str
    module: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    #: The partner's profile already holds `settings`.
    handled: bool = False


@dataclass(frozen=True)
class Example:
    object_id: str
    path: str
    message: str


@dataclass
class Check:
    """One kind of problem seen on a module's pages (a check, and for objects the field path), with how often."""

    check: str
    count: int = 0
    examples: list[Example] = field(default_factory=list)


@dataclass
class ModuleReport:
    module: str
    url: str
    pages: int = 0
    objects: int = 0
    valid: int = 0
    total_count: int | None = None
    walked_to_end: bool = False
    by_offset: bool = False
    checks: dict[str, Check] = field(default_factory=dict)
    #: Checks a quirk finding accounts for (a Link walked around by offset): not problems.
    explained: set[str] = field(default_factory=set)

    def add(self, check: str, message: str, *, object_id: str = "", path: str = "") -> None:
        found = self.checks.setdefault(check, Check(check))
        found.count += 1
        if len(found.examples) < EXAMPLES:
            found.examples.append(Example(object_id, path, message))

    @property
    def ok(self) -> bool:
        return not set(self.checks) - self.explained


@dataclass
class Report:
    partner: str
    version: str
    #: Token form (RAW / BASE64) -> "accepted" or why it was refused.
    token_forms: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    modules: list[ModuleReport] = field(default_factory=list)
    #: Settings whose value differs from the partner's now: what applying the diagnosis sets.
    proposals: dict[str, Any] = field(default_factory=dict)
    applied: dict[str, Any] = field(default_factory=dict)

    def found(self, kind: str, key: str, text: str, **details) -> Finding:
        finding = Finding(kind, key, text, **details)
        self.findings.append(finding)
        return finding

    @property
    def problems(self) -> list[Finding]:
        """What no setting fixes."""
        return [f for f in self.findings if f.kind == PROBLEM]

    @property
    def ok(self) -> bool:
        """Nothing wrong that the settings do not already cope with."""
        return not self.problems and not self.proposals

    def as_dict(self) -> dict:
        data = asdict(self)
        for module, report in zip(data["modules"], self.modules, strict=True):
            module["checks"] = list(module["checks"].values())
            module["explained"] = sorted(report.explained)
            module["ok"] = report.ok
        data["ok"] = self.ok
        return data


# -- the diagnosis ------------------------------------------------------------------------------------


def diagnose(*, tenant, partner: Partner) -> Report:
    """Call `partner` (a partner of `tenant`) as the platform does and report its quirks and problems."""
    assert partner.tenant_id == tenant.pk, "a partner of another tenant"
    dialect = get_dialect(partner.version) if partner.version else None
    report = Report(partner=partner.name, version=partner.version or "")
    if dialect is None:
        report.found(PROBLEM, "no_version", "No negotiated OCPI version: register with the partner first.")
        return _propose(report, partner)
    profile = partner.profile
    endpoints = [
        e
        for e in PartnerEndpoint.objects.for_tenant(tenant).filter(partner=partner, role=InterfaceRole.SENDER)
        if e.identifier in LIST_MODULES and dialect.has_module(e.identifier)
    ]
    probe_url = endpoints[0].url if endpoints else partner.versions_url
    form = _sent_form(profile, dialect)
    if probe_url and partner.token_to_them:
        form = _check_token_forms(report, partner, dialect, probe_url)
    client = OcpiClient(dialect=dialect, token=partner.token_to_them, token_form=form, profile=profile)
    if partner.versions_url:
        _check_versions(report, tenant, partner, dialect, client)
    if probe_url:
        _check_unknown_token(report, dialect, form, partner.versions_url or probe_url, profile)
    if not endpoints:
        report.found(
            PROBLEM,
            "no_sender_list",
            f"No sender list endpoint ({', '.join(LIST_MODULES)}) among the partner's endpoints.",
        )
        return _propose(report, partner)
    for endpoint in endpoints:
        module = _walk(report, client, dialect, profile, endpoint)
        report.modules.append(module)
        for check in module.checks.values():
            if check.check not in module.explained:
                example = check.examples[0]
                where = " ".join(part for part in (example.object_id, example.path) if part)
                report.found(
                    PROBLEM,
                    f"check {check.check}",
                    f"{check.check}: seen {check.count} time(s), e.g. {where + ': ' if where else ''}{example.message}",
                    module=module.module,
                )
    return _propose(report, partner)


def _sent_form(profile: Profile, dialect: Dialect) -> str:
    """The form our token goes in (RAW or BASE64): the setting, or for AUTO the one the version prescribes."""
    if profile.send_token_form != TokenForm.AUTO:
        return str(profile.send_token_form)
    return TokenForm.BASE64.value if dialect.token_base64 else TokenForm.RAW.value


def _other(form: str) -> str:
    return TokenForm.RAW.value if form == TokenForm.BASE64 else TokenForm.BASE64.value


def _answer(client: OcpiClient, url: str, **kwargs) -> tuple[OcpiResult | None, str]:
    """Their answer, and its shape when it is not a success: the HTTP status ("403"), "200 + 3000" for an
    OCPI error code in a 2xx answer, or the failure."""
    try:
        result = client.get(url, expect_success=False, **kwargs)
    except PartnerHttpError as exc:
        return None, str(exc.http_status)
    except PartnerError as exc:
        return None, str(exc)
    if not is_success(result.status_code):
        return result, f"{result.http_status} + {result.status_code}"
    return result, ""


#: Answers to a token they do not take, besides the spec's HTTP 401, that a probing handshake reads as such.
_TOKEN_SHAPES = re.compile(r"^(403|\d{3} \+ \d{4})$")


def _check_token_forms(report: Report, partner: Partner, dialect: Dialect, url: str) -> str:
    """Which Authorization forms their server takes; returns the form to go on with (ours, or the one they
    take when they refuse ours)."""
    shapes = {}
    for form in (TokenForm.RAW, TokenForm.BASE64):
        client = OcpiClient(
            dialect=dialect, token=partner.token_to_them, token_form=form.value, profile=partner.profile
        )
        try:
            result = client.get(url, params={"limit": 1}, expect_success=False)
            accepted = is_success(result.status_code)
            report.token_forms[form.value] = "accepted" if accepted else f"refused: OCPI {result.status_code}"
            shapes[form.value] = "" if accepted else f"{result.http_status} + {result.status_code}"
        except PartnerError as exc:
            report.token_forms[form.value] = f"refused: {exc}"
            shapes[form.value] = str(exc.http_status) if isinstance(exc, PartnerHttpError) else str(exc)
    ours = _sent_form(partner.profile, dialect)
    other = _other(ours)
    version_form = TokenForm.BASE64.value if dialect.token_base64 else TokenForm.RAW.value
    refused = [form for form in (ours, other) if shapes[form]]
    for form in refused:
        if _TOKEN_SHAPES.match(shapes[form]):
            report.found(
                QUIRK,
                "wrong_form_answer",
                f"answers {shapes[form]} to the wrong token form",
                settings={"probe_token_form": True},
                examples=[f"token sent {TokenForm(form).label} to {url}: {report.token_forms[form]}"],
            )
            break
    if ours not in refused:
        return ours
    if other in refused:
        report.found(
            PROBLEM,
            "token_refused",
            f"refuses the token we hold in both forms (raw: {report.token_forms['RAW']}; Base64: "
            f"{report.token_forms['BASE64']}): update the credentials, or ask them for a new token",
        )
        return ours
    if other == version_form:
        text = (
            f"refuses the token form set by hand ({TokenForm(ours).label}); takes {TokenForm(other).label}, as "
            f"OCPI {dialect} prescribes"
        )
        wanted = TokenForm.AUTO.value
    else:
        text = f"requires {TokenForm(other).label if other == TokenForm.BASE64 else 'the raw token'} in {dialect}"
        wanted = other
    report.found(
        QUIRK,
        "token_form",
        text,
        settings={"send_token_form": wanted},
        examples=[f"token sent {TokenForm(ours).label} to {url}: {report.token_forms[ours]}"],
    )
    return other


def _check_unknown_token(report: Report, dialect: Dialect, form: str, url: str, profile: Profile) -> None:
    """What they answer to a token nobody holds: the spec says HTTP 401; a probing handshake reads 403 and
    an OCPI error the same way."""
    stranger = OcpiClient(dialect=dialect, token=f"unknown-{secrets.token_hex(8)}", token_form=form, profile=profile)
    result, shape = _answer(stranger, url)
    if _TOKEN_SHAPES.match(shape):
        report.found(
            QUIRK,
            "unknown_token_answer",
            f"answers {shape} to an unknown token",
            settings={"probe_token_form": True},
            examples=[f"GET {url} with an unknown token: {shape}"],
        )
    elif result is not None and not shape:
        report.found(
            TOLERATED,
            "unknown_token_accepted",
            f"answers an unknown token with success at {url}",
            examples=[f"GET {url} with an unknown token: HTTP {result.http_status} + {result.status_code}"],
        )


def _check_versions(report: Report, tenant, partner: Partner, dialect: Dialect, client: OcpiClient) -> None:
    """Their versions list and the details of our version, as a handshake would read them."""
    try:
        theirs = versions_list_from_wire(client.get(partner.versions_url).data)
    except (PartnerError, ValueError) as exc:
        report.found(PROBLEM, "versions", f"Could not read their versions at {partner.versions_url}: {exc}")
        return
    for version, written in theirs.reported.items():
        report.found(
            TOLERATED, "loose_version", f'reports version "{written}" for {version}', examples=[theirs.describe()]
        )
    if dialect.version not in theirs:
        report.found(
            PROBLEM,
            "version_gone",
            f"no longer offers OCPI {dialect} (offers: {theirs.describe()}): update the credentials to another version",
        )
        return
    details_url = theirs[dialect.version]
    try:
        document = version_details_document(client.get(details_url).data)
        listed = dialect.module("versions").details_from_wire(document)
    except (PartnerError, ValueError) as exc:
        report.found(PROBLEM, "version_details", f"Could not read their {dialect} details at {details_url}: {exc}")
        return
    stored = set(PartnerEndpoint.objects.for_tenant(tenant).filter(partner=partner).values_list("identifier", "url"))
    now = {(e.identifier, e.url) for e in listed}
    if now != stored:
        changes = [f"new {i} {u}" for i, u in sorted(now - stored)] + [f"gone {i} {u}" for i, u in sorted(stored - now)]
        report.found(
            PROBLEM,
            "endpoints_changed",
            f"their {dialect} endpoints changed since the handshake: update the credentials to read them again",
            examples=changes[:EXAMPLES],
        )


# -- walking a list -------------------------------------------------------------------------------------


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


def _walk(report: Report, client: OcpiClient, dialect: Dialect, profile: Profile, endpoint) -> ModuleReport:
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
    url = endpoint.url
    while True:
        module.pages += 1
        if not _check_page(module, result, url):
            return module
        _read_page(module, translator, result, url, seen)
        if module.by_offset:
            more = bool(result.data) and (module.total_count is None or module.objects < module.total_count)
            url, params = (endpoint.url, {"offset": module.objects, "limit": size}) if more else (None, None)
        else:
            url, params = _next_url(module, result), None
        if url is None or module.pages >= settings.DIAGNOSE_MAX_PAGES:
            break
        result = _fetch(module, client, url, params, failed="HTTP status" if module.by_offset else "Link")
        if result is None:
            break
        if module.by_offset and {_object_id(o) for o in result.data or []} & seen.ids:
            module.add("offset", f"GET {url} offset {params['offset']}: served objects of earlier pages again")
            break
    module.walked_to_end = url is None
    if "Link" in module.checks and not module.by_offset:
        # Their Link cannot be followed: can their list be walked by offset instead?
        by_offset = _new_objects(client, endpoint.url, {"offset": module.objects, "limit": size}, seen)
        if by_offset is not None:
            _link_unusable(report, module)
            module.walked_to_end = _walk_on_by_offset(module, client, translator, endpoint.url, by_offset, size, seen)
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


def _walk_on_by_offset(module, client, translator, url: str, result: OcpiResult, size: int, seen: _Seen) -> bool:
    """Go on through the list by offset from `result`; True when the walk reached the end."""
    while True:
        module.pages += 1
        if not _check_page(module, result, url):
            return False
        _read_page(module, translator, result, url, seen)
        if not result.data or (module.total_count is not None and module.objects >= module.total_count):
            return True
        if module.pages >= settings.DIAGNOSE_MAX_PAGES:
            return False
        result = _new_objects(client, url, {"offset": module.objects, "limit": size}, seen)
        if result is None:
            # Nothing new there: the end, unless X-Total-Count promised more.
            return module.total_count is None


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
    small, _ = _answer(client, url, params={"limit": SMALL_LIMIT})
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
    small, shape = _answer(client, url, params={"limit": SMALL_LIMIT})
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
    except OcpiError as exc:
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


# -- proposing and applying -------------------------------------------------------------------------------


def _satisfied(current, wanted) -> bool:
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(current.get(k) == v for k, v in wanted.items())
    return current == wanted


def _propose(report: Report, partner: Partner) -> Report:
    """The settings the quirks ask for, merged (page caps per module into one object), where they differ
    from the partner's now."""
    wanted: dict[str, Any] = {}
    for finding in report.findings:
        if finding.kind != QUIRK:
            continue
        finding.handled = all(_satisfied(getattr(partner, n), v) for n, v in finding.settings.items())
        for name, value in finding.settings.items():
            if isinstance(value, dict):
                value = {**wanted.get(name, getattr(partner, name) or {}), **value}
            wanted[name] = value
    report.proposals = {name: value for name, value in wanted.items() if getattr(partner, name) != value}
    return report


class NotProposable(ValueError):
    """A setting a diagnosis does not propose, or a value the setting does not take."""


def apply_proposals(*, tenant, partner: Partner, proposals: dict[str, Any]) -> dict[str, Any]:
    """Set the proposed profile settings on `partner` (of `tenant`), each validated as the admin validates
    it, in one transaction; returns what was set."""
    assert partner.tenant_id == tenant.pk, "a partner of another tenant"
    unknown = sorted(set(proposals) - set(PROPOSABLE))
    if unknown:
        raise NotProposable(f"not a setting a diagnosis proposes: {', '.join(unknown)}")
    if not proposals:
        return {}
    with transaction.atomic():
        locked = Partner.objects.for_tenant(tenant).select_for_update().get(pk=partner.pk)
        for name, value in proposals.items():
            try:
                setattr(locked, name, Partner._meta.get_field(name).clean(value, locked))
            except Exception as exc:  # noqa: BLE001 - ValidationError and type errors alike: the value is refused
                raise NotProposable(f"{name}: {getattr(exc, 'messages', [exc])[0]}") from None
        locked.save(update_fields=list(proposals))
    return {name: getattr(locked, name) for name in proposals}
