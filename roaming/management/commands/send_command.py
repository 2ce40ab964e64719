import json as json_module
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners.management.commands._lookup import partner_or_fail, tenant_or_fail
from roaming.models import CommandType, Token
from roaming.services import commands


class Command(BaseCommand):
    help = (
        "Send a remote command to a CPO partner as the tenant's eMSP; with --wait, wait for the charge point's result."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("command", choices=CommandType.values)
        parser.add_argument("--token", help="uid of one of the tenant's own tokens (START_SESSION, RESERVE_NOW).")
        parser.add_argument("--token-type", default="RFID")
        parser.add_argument("--location", help="location_id")
        parser.add_argument("--evse", help="evse_uid")
        parser.add_argument("--connector", help="connector_id")
        parser.add_argument("--session", help="session_id (STOP_SESSION)")
        parser.add_argument("--reservation", help="reservation_id (RESERVE_NOW, CANCEL_RESERVATION)")
        parser.add_argument("--expiry", help="expiry_date of a reservation, RFC 3339 (default: in one hour)")
        parser.add_argument("--authorization-reference")
        parser.add_argument("--wait", action="store_true", help="Poll until the result arrives or the deadline passes.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, command, wait: bool, json: bool, **options):
        tenant = tenant_or_fail(slug)
        partner = partner_or_fail(tenant, partner_name)
        request = self.request(tenant, command, options)
        record = commands.send_command(tenant=tenant, partner=partner, command=command, request=request)
        self.report(record, json)
        while wait and record.is_waiting and timezone.now() < record.deadline:
            time.sleep(0.5)
            record.refresh_from_db()
        if wait:
            self.report(record, json)
        if (
            not record.is_waiting
            and record.result not in ("", "ACCEPTED")
            or record.status
            not in (
                "ACCEPTED",
                "COMPLETED",
            )
        ):
            raise CommandError(f"{command} {record.get_status_display()}{f': {record.error}' if record.error else ''}")

    def request(self, tenant, command: str, options: dict) -> dict:
        fields = {
            "location_id": options["location"],
            "evse_uid": options["evse"],
            "connector_id": options["connector"],
            "session_id": options["session"],
            "reservation_id": options["reservation"],
            "authorization_reference": options["authorization_reference"],
        }
        request = {name: value for name, value in fields.items() if value}
        if command == CommandType.RESERVE_NOW:
            request["expiry_date"] = options["expiry"] or (timezone.now() + timedelta(hours=1)).isoformat()
        if options["token"]:
            token = (
                Token.objects.for_tenant(tenant)
                .filter(partner__isnull=True, uid__iexact=options["token"], type=options["token_type"])
                .first()
            )
            if token is None:
                raise CommandError(
                    f"tenant {tenant.slug!r} has no own {options['token_type']} token {options['token']!r}"
                )
            request["token"] = commands.token_request(token)
        return request

    def report(self, record, json: bool) -> None:
        if json:
            fields = ["uid", "command", "status", "response_result", "response_timeout", "result", "error"]
            self.stdout.write(json_module.dumps({name: getattr(record, name) for name in fields}))
            return
        line = f"{record.command} to {record.partner.name}: {record.get_status_display()}"
        if record.response_result:
            line += f"; answer {record.response_result}"
            if record.response_timeout is not None:
                line += f" (timeout {record.response_timeout} s)"
        if record.result:
            line += f"; result {record.result}"
        messages = [m["text"] for m in record.response_message + record.result_message]
        if messages or record.error:
            line += f" - {'; '.join(messages) or record.error}"
        self.stdout.write(line)
