from django.core.management.base import BaseCommand, CommandError

from partners import handshake
from partners.management.commands._lookup import tenant_or_fail
from partners.models import Partner
from partners.tasks import register_with_partner_task
from roaming.ocpi.dialects import all_dialects


class Command(BaseCommand):
    help = (
        "Register with a partner using their versions URL and the token A they gave (what the admin's Register does)."
    )

    def add_base_argument(self, parser, *args, **kwargs):
        if "--version" not in args:  # --version here pins the OCPI version, not Django's
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("--versions-url", required=True)
        parser.add_argument("--token-a", required=True)
        parser.add_argument("--version", choices=[d.version for d in all_dialects()], help="Pin this OCPI version.")
        parser.add_argument("--wait", action="store_true", help="Run the handshake now and exit non-zero if it fails.")

    def handle(self, *args, slug, partner_name, versions_url, token_a, version, wait, **options):
        tenant = tenant_or_fail(slug)
        partner, _ = Partner.objects.for_tenant(tenant).get_or_create(name=partner_name, defaults={"tenant": tenant})
        partner.versions_url, partner.token_to_them = versions_url, token_a
        if version:
            partner.pinned_version = version
        partner.save()
        if not wait:
            register_with_partner_task.delay(partner.pk)
            self.stdout.write(f"registration with {partner_name} queued; see partner_status {slug}")
            return
        result = handshake.register_with_partner(partner=partner)
        for step in result.steps:
            self.stdout.write(f"  {step['step']}")
        if not result.succeeded:
            raise CommandError(f"registration failed: {result.error}")
        partner.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"registered with {partner_name} in OCPI {partner.version}"))
