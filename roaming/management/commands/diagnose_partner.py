import json as json_module

from django.core.management.base import BaseCommand

from partners.management.commands._lookup import partner_or_fail, tenant_or_fail
from roaming.services.diagnostics import diagnose


class Command(BaseCommand):
    help = "Walk a partner's sender lists in its version and report what breaks OCPI (the admin's Diagnose)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, json: bool, **options):
        tenant = tenant_or_fail(slug)
        report = diagnose(tenant=tenant, partner=partner_or_fail(tenant, partner_name))
        if json:
            self.stdout.write(json_module.dumps(report.as_dict(), indent=2))
            return
        verdict = "no problem found" if report.ok else "problems found"
        self.stdout.write(f"{report.partner} (OCPI {report.version or '-'}): {verdict}")
        if report.token_forms:
            forms = "; ".join(f"{form.lower()} {verdict}" for form, verdict in report.token_forms.items())
            self.stdout.write(f"  token forms: {forms}")
        for problem in report.problems:
            self.stdout.write(f"  ! {problem}")
        for module in report.modules:
            total = f", X-Total-Count {module.total_count}" if module.total_count is not None else ""
            stopped = "" if module.walked_to_end else ", stopped before the last page"
            self.stdout.write(
                f"  {module.module}: {module.pages} pages, {module.objects} objects checked, "
                f"{module.valid} valid{total}{stopped}"
            )
            for finding in module.findings.values():
                self.stdout.write(f"    {finding.check}: seen {finding.count} time(s)")
                for example in finding.examples:
                    where = " ".join(part for part in (example.object_id, example.path) if part)
                    self.stdout.write(f"      {where + ': ' if where else ''}{example.message}")
