import json as json_module
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners.management.commands._lookup import partner_or_fail, tenant_or_fail
from roaming.services import chargingprofiles


class Command(BaseCommand):
    help = (
        "Set, get or clear a charging profile on a CPO partner's session as the tenant's eMSP/SCSP; "
        "with --wait, wait for the charge point's result."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("action", choices=["set", "get", "clear"])
        parser.add_argument("session_id")
        parser.add_argument("--limit", type=float, default=16.0, help="set: the limit (default 16).")
        parser.add_argument("--unit", choices=["A", "W"], default="A", help="set: the limit's unit (default A).")
        parser.add_argument("--duration", type=int, default=900, help="get: seconds of profile asked (default 900).")
        parser.add_argument("--wait", action="store_true", help="Poll until the result arrives or the deadline passes.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, action, session_id, wait: bool, json: bool, **options):
        tenant = tenant_or_fail(slug)
        partner = partner_or_fail(tenant, partner_name)
        target = {"tenant": tenant, "partner": partner, "session_id": session_id}
        if action == "set":
            profile = {
                "charging_rate_unit": options["unit"],
                "charging_profile_period": [{"start_period": 0, "limit": round(options["limit"], 1)}],
            }
            record = chargingprofiles.set_profile(**target, profile=profile)
        elif action == "get":
            record = chargingprofiles.get_active_profile(**target, duration=options["duration"])
        else:
            record = chargingprofiles.clear_profile(**target)
        self.report(record, json)
        while wait and record.is_waiting and timezone.now() < record.deadline:
            time.sleep(0.5)
            record.refresh_from_db()
        if wait:
            self.report(record, json)
        if record.status not in ("ACCEPTED", "COMPLETED") or record.result not in ("", "ACCEPTED"):
            raise CommandError(f"{action} {record.get_status_display()}{f': {record.error}' if record.error else ''}")

    def report(self, record, json: bool) -> None:
        if json:
            fields = ["uid", "kind", "session_id", "status", "response_result", "response_timeout", "result", "error"]
            data = {name: getattr(record, name) for name in fields}
            self.stdout.write(json_module.dumps({**data, "profile": record.result_profile}))
            return
        line = f"{record.kind} {record.session_id} at {record.partner.name}: {record.get_status_display()}"
        if record.response_result:
            line += f"; answer {record.response_result}"
            if record.response_timeout is not None:
                line += f" (timeout {record.response_timeout} s)"
        if record.result:
            line += f"; result {record.result}"
        if record.result_profile:
            line += f"; profile {json_module.dumps(record.result_profile['charging_profile'])}"
        if record.error:
            line += f" - {record.error}"
        self.stdout.write(line)
