import json

from django.core.management.base import BaseCommand, CommandError

from partners.models import Party
from partners.services import PartySpec, provision_tenant


class Command(BaseCommand):
    help = "Create or update a tenant with its OCPI parties (idempotent) and print its versions URL."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--party", action="append", default=[], metavar="CC:PARTY_ID:ROLE[:NAME]")
        parser.add_argument("--inactive", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, name, party, inactive, json: bool, **options):
        try:
            parties = [PartySpec.parse(text) for text in party]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        tenant = provision_tenant(slug=slug, name=name, parties=parties, is_active=not inactive)
        if json:
            self.stdout.write(_json(tenant))
        else:
            self.stdout.write(tenant.versions_url)


def _json(tenant) -> str:
    parties = [
        {"country_code": p.country_code, "party_id": p.party_id, "role": p.role}
        for p in Party.objects.for_tenant(tenant)
    ]
    return json.dumps(
        {"slug": tenant.slug, "name": tenant.name, "versions_url": tenant.versions_url, "parties": parties}
    )
