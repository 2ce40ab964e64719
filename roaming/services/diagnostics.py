"""Partner diagnostics: walk a partner's sender lists and say what in their answers breaks OCPI.

Onboarding a partner usually fails on details a pull would only log one by one: an object our
wire schema refuses, a missing X-Total-Count, a Link that leads nowhere, a body that is not an
envelope, a token form they do not accept. diagnose() calls every sender list module of the
partner's negotiated version (from its PartnerEndpoint rows), follows Link for at most
DIAGNOSE_MAX_PAGES pages, validates each object with that version's translator (transport_and_format:
response format, pagination headers; each module's object definition) and reports per module how
many objects it checked and each kind of problem with up to three examples. It changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from django.conf import settings

from partners.models import InterfaceRole, Partner, PartnerEndpoint, TokenForm
from roaming.ocpi.client import (
    OcpiClient,
    OcpiResult,
    PartnerBadResponse,
    PartnerError,
    PartnerHttpError,
    client_for,
    next_page_url,
)
from roaming.ocpi.dialect import Dialect, get_dialect
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.status import is_success
from roaming.ocpi.timestamps import parse_datetime

#: Modules whose sender interface is a paginated list of objects the dialect can validate.
LIST_MODULES = ("locations", "tariffs", "sessions", "cdrs", "tokens")
EXAMPLES = 3


@dataclass(frozen=True)
class Example:
    object_id: str
    path: str
    message: str


@dataclass
class Finding:
    """One kind of problem (a check, and for objects the field path) with how often it was seen."""

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
    findings: dict[str, Finding] = field(default_factory=dict)

    def add(self, check: str, message: str, *, object_id: str = "", path: str = "") -> None:
        finding = self.findings.setdefault(check, Finding(check))
        finding.count += 1
        if len(finding.examples) < EXAMPLES:
            finding.examples.append(Example(object_id, path, message))

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class Report:
    partner: str
    version: str
    #: Token form (RAW / BASE64) -> "accepted" or why it was refused.
    token_forms: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # about the connection as a whole
    modules: list[ModuleReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(m.ok for m in self.modules)

    def as_dict(self) -> dict:
        data = asdict(self)
        for module, report in zip(data["modules"], self.modules, strict=True):
            module["findings"] = list(module["findings"].values())
            module["ok"] = report.ok
        data["ok"] = self.ok
        return data


def diagnose(*, tenant, partner: Partner) -> Report:
    """Check every sender list of `partner` (a partner of `tenant`) in its negotiated version."""
    assert partner.tenant_id == tenant.pk, "a partner of another tenant"
    dialect = get_dialect(partner.version) if partner.version else None
    report = Report(partner=partner.name, version=partner.version or "")
    if dialect is None:
        report.problems.append("No negotiated OCPI version: register with the partner first.")
        return report
    endpoints = [
        e
        for e in PartnerEndpoint.objects.for_tenant(tenant).filter(partner=partner, role=InterfaceRole.SENDER)
        if e.identifier in LIST_MODULES and dialect.has_module(e.identifier)
    ]
    if not endpoints:
        report.problems.append(f"No sender list endpoint ({', '.join(LIST_MODULES)}) among the partner's endpoints.")
        return report
    _check_token_forms(report, partner, dialect, endpoints[0].url)
    client = client_for(partner)
    for endpoint in endpoints:
        report.modules.append(_walk(client, dialect, partner, endpoint))
    return report


def _check_token_forms(report: Report, partner: Partner, dialect: Dialect, url: str) -> None:
    """Which Authorization forms their server takes; a problem when the one we send is refused."""
    for form in (TokenForm.RAW, TokenForm.BASE64):
        client = OcpiClient(dialect=dialect, token=partner.token_to_them, token_form=form.value)
        try:
            result = client.get(url, params={"limit": 1}, expect_success=False)
            accepted = is_success(result.status_code)
            report.token_forms[form.value] = "accepted" if accepted else f"refused: OCPI {result.status_code}"
        except PartnerError as exc:
            report.token_forms[form.value] = f"refused: {exc}"
    ours = TokenForm(partner.send_token_form)
    if ours == TokenForm.AUTO:
        ours = TokenForm.BASE64 if dialect.token_base64 else TokenForm.RAW
    if report.token_forms.get(ours.value) != "accepted":
        other = TokenForm.RAW if ours == TokenForm.BASE64 else TokenForm.BASE64
        advice = (
            f"; they accept it {other.label}: set the partner's token form to {other.label}"
            if report.token_forms.get(other.value) == "accepted"
            else ""
        )
        report.problems.append(f"The token in the form we send ({ours.label}) is refused{advice}.")


def _header(result: OcpiResult, name: str) -> str | None:
    return next((v for k, v in result.headers.items() if k.lower() == name.lower()), None)


def _walk(client: OcpiClient, dialect: Dialect, partner: Partner, endpoint: PartnerEndpoint) -> ModuleReport:
    module = ModuleReport(module=endpoint.identifier, url=endpoint.url)
    translator = dialect.module(endpoint.identifier)
    params = {"limit": partner.page_size} if partner.page_size else None
    url: str | None = endpoint.url
    while url and module.pages < settings.DIAGNOSE_MAX_PAGES:
        try:
            result = client.get(url, params=params, expect_success=False)
        except PartnerBadResponse as exc:
            module.add("envelope", str(exc), path="body")
            return module
        except PartnerHttpError as exc:
            check = "Link" if module.pages else "HTTP status"
            module.add(check, f"GET {url}: {exc}", path="Link" if module.pages else "")
            return module
        except PartnerError as exc:
            module.add("unreachable", str(exc))
            return module
        params = None  # the Link URL carries the query
        module.pages += 1
        if not _check_page(module, result, url):
            return module
        for wire_object in result.data:
            _check_object(module, translator, wire_object)
        url = _next_url(module, result)
    module.walked_to_end = url is None
    if module.walked_to_end and module.total_count is not None and module.objects != module.total_count:
        module.add(
            "X-Total-Count",
            f"the pages held {module.objects} objects in all, X-Total-Count said {module.total_count}",
            path="X-Total-Count",
        )
    return module


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


def _check_object(module: ModuleReport, translator, wire_object) -> None:
    module.objects += 1
    object_id = ""
    if isinstance(wire_object, dict):
        object_id = str(wire_object.get("id") or wire_object.get("uid") or "")
    object_id = object_id or f"#{module.objects}"
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
