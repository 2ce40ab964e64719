import json as json_module

from django.core.management.base import BaseCommand, CommandError

from partners.management.commands._lookup import partner_or_fail, tenant_or_fail
from roaming.services.diagnostics import apply_proposals, diagnose


class Command(BaseCommand):
    help = (
        "Call a partner as the platform does, say which quirks it shows and which settings cope with them "
        "(the admin's Diagnose). Exits 1 when it has problems no setting fixes."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("--apply", action="store_true", help="Set the proposed settings on the partner.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, apply: bool, json: bool, **options):
        tenant = tenant_or_fail(slug)
        partner = partner_or_fail(tenant, partner_name)
        report = diagnose(tenant=tenant, partner=partner)
        if apply:
            report.applied = apply_proposals(tenant=tenant, partner=partner, proposals=report.proposals)
        if json:
            self.stdout.write(json_module.dumps(report.as_dict(), indent=2))
        else:
            self._print(report)
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s) no setting fixes", returncode=1)

    def _print(self, report) -> None:
        verdict = "no problem found" if report.ok else ("problems found" if report.problems else "quirks to set")
        self.stdout.write(f"{report.partner} (OCPI {report.version or '-'}): {verdict}")
        if report.token_forms:
            forms = "; ".join(f"{form.lower()} {verdict}" for form, verdict in report.token_forms.items())
            self.stdout.write(f"  token forms: {forms}")
        for finding in report.findings:
            where = f"{finding.module}: " if finding.module else ""
            fix = ""
            if finding.settings:
                settings = ", ".join(f"{name} = {value!r}" for name, value in finding.settings.items())
                fix = f" -> {settings}{' (set)' if finding.handled else ''}"
            self.stdout.write(f"  {finding.kind}: {where}{finding.text}{fix}")
            for example in finding.examples:
                self.stdout.write(f"      {example}")
        for module in report.modules:
            total = f", X-Total-Count {module.total_count}" if module.total_count is not None else ""
            stopped = "" if module.walked_to_end else ", stopped before the last page"
            walk = ", walked by offset" if module.by_offset else ""
            self.stdout.write(
                f"  {module.module}: {module.pages} pages, {module.objects} objects checked, "
                f"{module.valid} valid{total}{walk}{stopped}"
            )
            for check in module.checks.values():
                explained = " (a quirk above)" if check.check in module.explained else ""
                self.stdout.write(f"    {check.check}: seen {check.count} time(s){explained}")
                for example in check.examples:
                    where = " ".join(part for part in (example.object_id, example.path) if part)
                    self.stdout.write(f"      {where + ': ' if where else ''}{example.message}")
        if report.proposals:
            label = "applied" if report.applied else "proposed (--apply sets them)"
            self.stdout.write(f"  settings {label}:")
            for name, value in report.proposals.items():
                self.stdout.write(f"    {name} = {value!r}")
