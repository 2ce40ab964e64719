import json as json_module

from django.core.management.base import BaseCommand, CommandError

from partners.models import Partner, Tenant
from roaming.models import SyncState
from roaming.services import initialsync, sync


class Command(BaseCommand):
    help = (
        "Pull a partner's sender modules now (what the admin's pull and full resync actions do); with --full, "
        "also push them our complete current objects when their profile's initial sync pushes (the partner "
        "page's Resync)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("partner_name")
        parser.add_argument("--module", help="Only this module (e.g. locations).")
        parser.add_argument("--full", action="store_true", help="Ignore the cursor and fetch everything.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, slug, partner_name, module, full, json: bool, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        partner = Partner.objects.for_tenant(tenant).filter(name=partner_name).first() if tenant else None
        if partner is None:
            raise CommandError(f"no partner {partner_name!r} in tenant {slug!r}")
        sync.ensure_sync_states(partner=partner)
        states = SyncState.objects.for_tenant(tenant).filter(partner=partner)
        if module:
            states = states.filter(module=module)
        if not states.exists():
            raise CommandError(
                f"{partner_name!r} offers no sender module the platform pulls" + (f": {module}" if module else "")
            )
        pushed = []
        if full:
            # The pulls are this command's own (below, at once); the push is the initial sync's, in the outbox.
            runs = initialsync.start(
                partner=partner, reason="sync_partner --full", pull=False, modules=[module] if module else None
            )
            pushed = [{"module": r.module, "direction": "push", "objects": r.total, "queued": True} for r in runs]
        results = [sync.pull(state_id=state.pk, full=full) for state in states]
        pulled = [{**r.__dict__, "direction": "pull"} for r in results if r is not None]
        if json:
            self.stdout.write(json_module.dumps(pulled + pushed))
        else:
            for row in pulled:
                state = "complete" if row["complete"] else f"INCOMPLETE: {row['error']}"
                self.stdout.write(
                    f"{row['module']}: {row['objects']} objects in {row['pages']} pages, "
                    f"{row['rejected']} refused, {state}"
                )
            for row in pushed:
                self.stdout.write(f"{row['module']}: {row['objects']} objects queued to push")
        if any(not row["complete"] for row in pulled):
            raise CommandError("a pull did not complete")
