import json as json_module

from django.core.management.base import BaseCommand

from partners.management.commands._lookup import tenant_or_fail
from roaming.services.export import MODULES, export_objects

ALL = "all"


class Command(BaseCommand):
    help = (
        "Print the tenant's objects of one module in the internal normalized form (own and received); "
        "'all' prints every module, keyed by module."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("module", choices=[*MODULES, ALL])
        parser.add_argument("--partner", help="Only objects received from this partner.")
        parser.add_argument(
            "--partner-copies",
            action="store_true",
            help="cdrs: GET each own CDR back from the partners it was delivered to, at the Location they answered.",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, module, partner, json: bool, partner_copies: bool, **options):
        tenant = tenant_or_fail(slug)
        modules = list(MODULES) if module == ALL else [module]
        dumps = {
            name: export_objects(tenant=tenant, module=name, partner_name=partner, partner_copies=partner_copies)
            for name in modules
        }
        if json:
            self.stdout.write(json_module.dumps(dumps if module == ALL else dumps[module], indent=2))
            return
        for name, rows in dumps.items():
            keys = MODULES[name][1]
            for row in rows:
                self.stdout.write(f"{' '.join(str(row[k]) for k in keys)} (from {row['partner'] or 'own'})")
            self.stdout.write(f"{len(rows)} {name}")
