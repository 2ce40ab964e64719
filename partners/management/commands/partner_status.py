import json

from django.core.management.base import BaseCommand
from django.db.models import Count

from partners.management.commands._lookup import tenant_or_fail
from partners.models import Partner
from roaming.models import Delivery, SyncState
from roaming.services import initialsync


def _iso(value):
    return value.isoformat() if value else None


def _describe(run: dict) -> str:
    done = f"{run['sent']:,}/{run['total']:,} sent" if run["direction"] == "push" else f"{run['total']:,} pulled"
    outcome = f": {run['error']}" if run["error"] else ""
    return f"{run['direction']} {run['module']} {run['state']}, {done}{outcome}"


class Command(BaseCommand):
    help = "Each partner's status, version, parties, endpoints, last contact, last error, deliveries and pulls."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, **options):
        tenant = tenant_or_fail(slug)
        rows = []
        partners = list(Partner.objects.for_tenant(tenant).prefetch_related("parties", "endpoints"))
        initial_syncs = initialsync.latest(tenant=tenant, partner_ids=[p.pk for p in partners])
        for partner in partners:
            deliveries = dict(
                Delivery.objects.for_tenant(tenant)
                .filter(partner=partner)
                .values_list("status")
                .annotate(n=Count("pk"))
            )
            rows.append(
                {
                    "name": partner.name,
                    "status": partner.status,
                    "version": partner.version or None,
                    "parties": [f"{p.country_code}*{p.party_id} {p.role}" for p in partner.parties.all()],
                    "endpoints": [
                        {"identifier": e.identifier, "role": e.role, "url": e.url} for e in partner.endpoints.all()
                    ],
                    "last_contact_at": _iso(partner.last_contact_at),
                    "last_error": partner.last_error or None,
                    "deliveries": {
                        s.lower(): deliveries.get(s, 0) for s in ("PENDING", "SENDING", "DELIVERED", "FAILED")
                    },
                    "pulls": [
                        {
                            "module": s.module,
                            "cursor": _iso(s.cursor),
                            "running": s.running_since is not None,
                            "last_completed_at": _iso(s.last_completed_at),
                            "last_objects": s.last_objects,
                            "last_error": s.last_error or None,
                        }
                        for s in SyncState.objects.for_tenant(tenant).filter(partner=partner)
                    ],
                    # The latest initial sync: per module, objects sent (or pulled) of the total, and its outcome.
                    "initial_sync": [run.as_dict() for run in initial_syncs.get(partner.pk, [])],
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['name']}: {row['status']} {row['version'] or '-'} [{', '.join(row['parties'])}] "
                f"last contact {row['last_contact_at'] or 'never'}; deliveries {row['deliveries']}"
                + (f"; last error: {row['last_error']}" if row["last_error"] else "")
            )
            for run in row["initial_sync"]:
                self.stdout.write(f"  initial sync: {_describe(run)}")
