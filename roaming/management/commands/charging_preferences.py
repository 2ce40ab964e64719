import json as json_module

from django.core.management.base import BaseCommand, CommandError

from partners.management.commands._lookup import partner_or_fail, tenant_or_fail
from roaming.models import Session
from roaming.services import chargingpreferences


class Command(BaseCommand):
    help = (
        "Send a driver's charging preferences (2.2.1 mod_sessions) for a CPO partner's session as the tenant's "
        "eMSP, and print the CPO's ChargingPreferencesResponse."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("session_id")
        parser.add_argument("--profile-type", choices=["REGULAR", "FAST", "CHEAP", "GREEN"], default="REGULAR")
        parser.add_argument("--departure-time", help="Expected departure, RFC 3339 (e.g. 2026-12-02T18:00:00Z).")
        parser.add_argument("--energy-need", type=float, help="kWh the driver wants charged.")
        parser.add_argument("--discharge-allowed", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, session_id, json: bool, **options):
        tenant = tenant_or_fail(slug)
        partner = partner_or_fail(tenant, partner_name)
        session = Session.objects.for_tenant(tenant).filter(partner=partner, session_id__iexact=session_id).first()
        if session is None:
            raise CommandError(f"{partner.name} has no session {session_id!r} here")
        preferences = {"profile_type": options["profile_type"]}
        if options["departure_time"]:
            preferences["departure_time"] = options["departure_time"]
        if options["energy_need"] is not None:
            preferences["energy_need"] = options["energy_need"]
        if options["discharge_allowed"]:
            preferences["discharge_allowed"] = True
        sent = chargingpreferences.send(tenant=tenant, session=session, preferences=preferences)
        if json:
            self.stdout.write(json_module.dumps({"session_id": session.session_id, **sent.__dict__}))
        else:
            self.stdout.write(f"{session.session_id} at {partner.name}: {sent.response or sent.error}")
        if not sent.response:
            raise CommandError(sent.error)
