import json

from django.core.management.base import BaseCommand

from partners.management.commands._lookup import tenant_or_fail
from partners.services import issue_registration_token


class Command(BaseCommand):
    help = "Create the partner if needed and print the tenant's versions URL and a fresh registration token (token A)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, **options):
        tenant = tenant_or_fail(slug)
        partner, token = issue_registration_token(tenant=tenant, partner_name=partner_name)
        if options["json"]:
            self.stdout.write(
                json.dumps({"partner": partner.name, "versions_url": tenant.versions_url, "token": token})
            )
        else:
            self.stdout.write(f"versions URL: {tenant.versions_url}\ntoken A:      {token}")
