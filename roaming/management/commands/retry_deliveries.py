import json as _json

from django.core.management.base import BaseCommand, CommandError

from partners.models import Partner, Tenant
from roaming.models import Delivery, DeliveryStatus
from roaming.services import outbox


class Command(BaseCommand):
    help = "Send a partner's failed and pending deliveries again now (what the admin's retry action does)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, json: bool, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"no tenant {slug!r}")
        partner = Partner.objects.for_tenant(tenant).filter(name=partner_name).first()
        if partner is None:
            raise CommandError(f"tenant {slug!r} has no partner {partner_name!r}")
        deliveries = Delivery.objects.for_tenant(tenant).filter(
            partner=partner, status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]
        )
        count = outbox.retry(deliveries=deliveries)
        self.stdout.write(_json.dumps({"queued": count}) if json else f"{count} deliveries queued again")
