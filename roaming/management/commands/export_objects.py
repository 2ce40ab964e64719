import json as json_module

from django.core.management.base import BaseCommand

from partners.management.commands._lookup import tenant_or_fail
from roaming.services.export import MODULES, export_objects


class Command(BaseCommand):
    help = "Print the tenant's objects of one module in the internal normalized form (own and received)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("module", choices=list(MODULES))
        parser.add_argument("--partner", help="Only objects received from this partner.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, module, partner, json: bool, **options):
        rows = export_objects(tenant=tenant_or_fail(slug), module=module, partner_name=partner)
        if json:
            self.stdout.write(json_module.dumps(rows, indent=2))
            return
        keys = MODULES[module][1]
        for row in rows:
            self.stdout.write(f"{' '.join(str(row[k]) for k in keys)} (from {row['partner'] or 'own'})")
        self.stdout.write(f"{len(rows)} {module}")
