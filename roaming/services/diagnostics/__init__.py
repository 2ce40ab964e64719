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

from typing import Any

from django.db import transaction

from partners.models import InterfaceRole, Partner, PartnerEndpoint
from partners.profile import PROFILE_FIELDS
from roaming.ocpi.client import OcpiClient
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.versions import first_token_form
from roaming.services.diagnostics.connection import check_token_forms, check_unknown_token, check_versions
from roaming.services.diagnostics.lists import walk
from roaming.services.diagnostics.report import PROBLEM, QUIRK, Report

#: Modules whose sender interface is a paginated list of objects the dialect can validate.
LIST_MODULES = ("locations", "tariffs", "sessions", "cdrs", "tokens", "invoicereconciliation")

#: Settings a diagnosis may propose: the profile's, but the version, which is the operator's choice.
PROPOSABLE = tuple(name for name in PROFILE_FIELDS if name != "pinned_version")


# -- the diagnosis ------------------------------------------------------------------------------------


def diagnose(*, tenant, partner: Partner) -> Report:
    """Call `partner` (a partner of `tenant`) as the platform does and report its quirks and problems."""
    assert partner.tenant_id == tenant.pk, "a partner of another tenant"
    dialect = dialect_of(partner)
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
    form = first_token_form(profile.send_token_form, dialect)
    if probe_url and partner.token_to_them:
        form = check_token_forms(report, partner, dialect, probe_url)
    client = OcpiClient(dialect=dialect, token=partner.token_to_them, token_form=form, profile=profile)
    if partner.versions_url:
        check_versions(report, tenant, partner, dialect, client)
    if probe_url:
        check_unknown_token(report, dialect, form, partner.versions_url or probe_url, profile)
    if not endpoints:
        report.found(
            PROBLEM,
            "no_sender_list",
            f"No sender list endpoint ({', '.join(LIST_MODULES)}) among the partner's endpoints.",
        )
        return _propose(report, partner)
    for endpoint in endpoints:
        module = walk(report, client, dialect, profile, endpoint)
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
